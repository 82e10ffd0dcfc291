/**
 * Turns the runs into the report: per scenario and target the median over rounds of req/s,
 * p50/p99, latency added over the direct run, the ratio to the pass-through (both paired by
 * round, since the targets of one round ran back to back), peak RSS; then the markdown table
 * and the pass/fail lines of the issue's targets.
 * @module
 */
import type { PairedSummary } from "./paired.ts";
import type { Scenario, TargetName } from "./scenarios.ts";
import { median } from "./stats.ts";
import type { LoadResult } from "./wrk.ts";

/** One run of one target in one round. */
export interface RunRecord {
  /** Scenario name. */
  scenario: string;
  /** Target. */
  target: TargetName;
  /** Round, from 1. */
  round: number;
  /** The load result (absent when the run failed). */
  result?: LoadResult;
  /** Peak RSS of the target process during the run, MiB (not for direct). */
  peakRssMb?: number;
  /** RSS of the target process when the run started, MiB. */
  startRssMb?: number;
  /** Requests the fake upstream served during the run (warm-up of the stream client included). */
  served?: number;
  /** CPU time of the target's process during the run, ms (direct: the fake upstream's). */
  cpuMs?: number;
  /** `cpuMs` per request served, µs. */
  cpuUsPerRequest?: number;
  /** Share of the target's core the hypervisor took during the run, % (see steal.ts). */
  stealPct?: number;
  /** The same for the core of the load tool and upstream (pinned runs of the gateways). */
  loadStealPct?: number;
  /** Why the run failed. */
  error?: string;
}

/** The medians of one target in one scenario. */
export interface TargetSummary {
  /** Target. */
  target: TargetName;
  /** Rounds with a result. */
  rounds: number;
  /** Completed requests (streams) per second. */
  rps: number;
  /** Latency p50, ms (whole request or stream). */
  p50Ms: number;
  /** Latency p99, ms. */
  p99Ms: number;
  /** p50 minus direct's p50 (same round), ms. */
  addedP50Ms: number;
  /** p99 minus direct's p99 (same round), ms. */
  addedP99Ms: number;
  /** Time to first byte p50, ms (streams). */
  ttfbP50Ms: number;
  /** Time to first byte p99, ms (streams). */
  ttfbP99Ms: number;
  /** TTFB p50 minus direct's (same round), ms. */
  addedTtfbP50Ms: number;
  /** req/s ÷ pass-through's req/s (same round). */
  ratioVsPassthrough: number;
  /** Peak RSS, MiB. */
  peakRssMb: number;
  /** CPU time of the target's process per request served, µs. */
  cpuUsPerRequest: number;
  /** Share of the target's core stolen by the hypervisor, %. */
  stealPct: number;
  /** Failed requests over all rounds. */
  errors: number;
  /** First error messages. */
  errorDetail?: string;
  /** Most streams open at once at the upstream (hold runs). */
  maxOpen: number;
}

/** A scenario's outcome. */
export interface ScenarioSummary {
  /** Name. */
  name: string;
  /** Description. */
  description: string;
  /** Load kind. */
  load: Scenario["load"];
  /** Set when the gateway cannot run this scenario (e.g. no translation yet). */
  unavailable?: string;
  /** Per target. */
  targets: TargetSummary[];
}

/** Memory of the long-running processes outside the scenarios, MiB. */
export interface MemoryReport {
  /** RSS after start-up and one request, settled. */
  idle: Partial<Record<TargetName, number>>;
  /** RSS at the end of the benchmark, settled. */
  afterRun: Partial<Record<TargetName, number>>;
}

/** Reduces the runs of one scenario to medians per target. */
export function summariseScenario(
  scenario: Scenario,
  records: readonly RunRecord[],
  unavailable?: string,
): ScenarioSummary {
  const mine = records.filter((r) => r.scenario === scenario.name);
  const targets = [...new Set(mine.map((r) => r.target))];
  const byRound = (target: TargetName, round: number) =>
    mine.find((r) => r.target === target && r.round === round)?.result;
  const summaries = targets.map((target): TargetSummary => {
    const runs = mine.filter((r) => r.target === target);
    const results = runs.map((r) => r.result).filter((r): r is LoadResult => !!r);
    const paired = (f: (mine: LoadResult, other: LoadResult) => number, other: TargetName) =>
      median(runs.map((r) => {
        const o = byRound(other, r.round);
        return r.result && o ? f(r.result, o) : undefined;
      }));
    const errors = runs.reduce((n, r) => n + (r.result?.errors ?? 0) + (r.error ? 1 : 0), 0);
    const details = [
      ...new Set(runs.map((r) => r.error ?? r.result?.errorDetail).filter(Boolean)),
    ];
    return {
      target,
      rounds: results.length,
      rps: median(results.map((r) => r.rps)),
      p50Ms: median(results.map((r) => r.p50Ms)),
      p99Ms: median(results.map((r) => r.p99Ms)),
      addedP50Ms: paired((a, b) => a.p50Ms - b.p50Ms, "direct"),
      addedP99Ms: paired((a, b) => a.p99Ms - b.p99Ms, "direct"),
      ttfbP50Ms: median(results.map((r) => r.ttfbP50Ms)),
      ttfbP99Ms: median(results.map((r) => r.ttfbP99Ms)),
      addedTtfbP50Ms: paired((a, b) => (a.ttfbP50Ms ?? NaN) - (b.ttfbP50Ms ?? NaN), "direct"),
      ratioVsPassthrough: paired((a, b) => a.rps / b.rps, "passthrough"),
      peakRssMb: median(runs.map((r) => r.peakRssMb)),
      cpuUsPerRequest: median(runs.map((r) => r.cpuUsPerRequest)),
      stealPct: median(runs.map((r) => r.stealPct)),
      errors,
      errorDetail: details.length ? details.slice(0, 2).join(" | ") : undefined,
      maxOpen: median(results.map((r) => r.maxOpen)),
    };
  });
  return {
    name: scenario.name,
    description: scenario.description,
    load: scenario.load,
    unavailable,
    targets: summaries,
  };
}

function fmt(v: number | undefined, digits = 2, signed = false): string {
  if (v === undefined || !Number.isFinite(v)) return "—";
  const s = v.toFixed(digits);
  return signed && v >= 0 ? `+${s}` : s;
}

function rpsFmt(v: number): string {
  if (!Number.isFinite(v)) return "—";
  return v >= 100 ? Math.round(v).toString() : v.toFixed(1);
}

/** The results as a markdown table (one row per scenario and target). */
export function renderTable(summaries: readonly ScenarioSummary[], memory: MemoryReport): string {
  const head = [
    "scenario",
    "target",
    "req/s",
    "p50 ms",
    "p99 ms",
    "added p50",
    "added p99",
    "× pass-through",
    "TTFB p50",
    "added TTFB p50",
    "CPU µs/req",
    "peak RSS MB",
    "errors",
  ];
  const rows: string[][] = [];
  for (const s of summaries) {
    if (s.unavailable) {
      rows.push([
        s.name,
        "ccgate",
        `not available: ${s.unavailable}`,
        ...head.slice(3).map(() => ""),
      ]);
      continue;
    }
    const streams = s.load === "stream" || s.load === "hold";
    for (const t of s.targets) {
      const direct = t.target === "direct";
      rows.push([
        s.load === "hold" ? `${s.name} (${fmt(t.maxOpen, 0)} open)` : s.name,
        t.target,
        s.load === "hold" ? "—" : rpsFmt(t.rps),
        fmt(t.p50Ms),
        fmt(t.p99Ms),
        direct ? "" : fmt(t.addedP50Ms, 2, true),
        direct ? "" : fmt(t.addedP99Ms, 2, true),
        direct || s.load === "hold" ? "" : fmt(t.ratioVsPassthrough, 2),
        streams ? fmt(t.ttfbP50Ms) : "",
        streams && !direct ? fmt(t.addedTtfbP50Ms, 2, true) : "",
        fmt(t.cpuUsPerRequest, 0),
        direct ? "" : fmt(t.peakRssMb, 1),
        String(t.errors),
      ]);
    }
  }
  for (const target of ["passthrough", "ccgate"] as const) {
    const idle = memory.idle[target];
    const after = memory.afterRun[target];
    if (idle === undefined && after === undefined) continue;
    rows.push([
      "idle RSS",
      target,
      ...Array(9).fill(""),
      `${fmt(idle, 1)} (after run: ${fmt(after, 1)})`,
      "",
    ]);
  }
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

/** Runs with at least this much of their core stolen are flagged as unreliable. */
export const STEAL_WARN_PCT = 5;

/**
 * A note naming the runs whose core the hypervisor took at least {@link STEAL_WARN_PCT} % of,
 * or undefined when there were none.
 */
export function renderStealNote(records: readonly RunRecord[]): string | undefined {
  const runs: string[] = [];
  for (const r of records) {
    const parts = [];
    if ((r.stealPct ?? 0) >= STEAL_WARN_PCT) parts.push(`${r.stealPct!.toFixed(1)} %`);
    if ((r.loadStealPct ?? 0) >= STEAL_WARN_PCT) {
      parts.push(`${r.loadStealPct!.toFixed(1)} % of the load's core`);
    }
    if (parts.length) runs.push(`${r.scenario} ${r.target} round ${r.round}: ${parts.join(", ")}`);
  }
  if (!runs.length) return undefined;
  return `CPU stolen by the hypervisor (≥ ${STEAL_WARN_PCT} % of the target's core or the ` +
    `load's): ${runs.join("; ")}. Those runs served fewer requests at a higher CPU cost each; ` +
    "read them with care, or run again when the host is quieter.";
}

/** One of the issue's targets, evaluated. */
export interface TargetCheck {
  /** What is required. */
  name: string;
  /** true: met; false: missed; undefined: not measured (scenario skipped or unavailable). */
  pass: boolean | undefined;
  /** The numbers behind it. */
  detail: string;
}

/** Evaluates the issue's targets against the summaries. */
export function evaluateTargets(
  summaries: readonly ScenarioSummary[],
  memory: MemoryReport,
  paired: readonly PairedSummary[] = [],
): TargetCheck[] {
  const get = (scenario: string, target: TargetName) =>
    summaries.find((s) => s.name === scenario && !s.unavailable)?.targets.find((t) =>
      t.target === target
    );
  const unavailable = (scenario: string) => summaries.find((s) => s.name === scenario)?.unavailable;
  const checks: TargetCheck[] = [];
  const check = (
    name: string,
    scenario: string,
    f: (gw: TargetSummary, pt: TargetSummary) => [boolean, string],
  ) => {
    const gw = get(scenario, "ccgate");
    const pt = get(scenario, "passthrough");
    const why = unavailable(scenario);
    if (why) return checks.push({ name, pass: undefined, detail: `not available: ${why}` });
    if (!gw || !pt || !gw.rounds || !pt.rounds) {
      return checks.push({ name, pass: undefined, detail: "not measured" });
    }
    const [pass, detail] = f(gw, pt);
    // The verdict stands, but a run on a core the host took from us says little about us.
    const stolen = Math.max(gw.stealPct, pt.stealPct);
    const note = stolen >= STEAL_WARN_PCT
      ? ` — unreliable: ${fmt(stolen, 1)} % of the gateway core stolen (median)`
      : "";
    checks.push({ name, pass, detail: detail + note });
  };
  // The verdict uses the back-to-back runs the issue defines; the paired ratio is shown beside.
  const ratio = (min: number, scenario: string) =>
  (
    gw: TargetSummary,
    pt: TargetSummary,
  ): [boolean, string] => {
    const p = paired.find((s) => s.scenario === scenario);
    const pass = gw.ratioVsPassthrough >= min;
    // A ratio that rounds to the limit on the side it failed is shown with one more digit.
    const digits = fmt(gw.ratioVsPassthrough) === fmt(min) && !pass ? 3 : 2;
    return [
      pass,
      `${fmt(gw.ratioVsPassthrough, digits)}× (${rpsFmt(gw.rps)} vs ${rpsFmt(pt.rps)} req/s)${
        p ? `; paired run ${fmt(p.ratio)}×` : ""
      }`,
    ];
  };
  // ccgate's added latency within `margin` ms of the pass-through's.
  const addedWithin = (key: "addedP50Ms" | "addedTtfbP50Ms", margin: number) =>
  (
    gw: TargetSummary,
    pt: TargetSummary,
  ): [boolean, string] => [
    gw[key] <= pt[key] + margin,
    `${fmt(gw[key], 3, true)} ms vs ${fmt(pt[key], 3, true)} ms (limit ${
      fmt(pt[key] + margin, 3, true)
    } ms)`,
  ];
  check(
    "small non-streaming c=32: ≥ 0.9× pass-through req/s",
    "small-c32",
    ratio(0.9, "small-c32"),
  );
  check(
    "small non-streaming c=1: added p50 ≤ pass-through's added p50 + 0.2 ms",
    "small-c1",
    addedWithin("addedP50Ms", 0.2),
  );
  check(
    "small non-streaming c=1: p99 ≤ 1.5× pass-through's p99",
    "small-c1",
    (gw, pt) => [
      gw.p99Ms <= 1.5 * pt.p99Ms,
      `${fmt(gw.p99Ms, 3)} ms vs ${fmt(pt.p99Ms, 3)} ms (limit ${fmt(1.5 * pt.p99Ms, 3)} ms)`,
    ],
  );
  check("150 KB bodies: ≥ 0.8× pass-through req/s", "body-150k", ratio(0.8, "body-150k"));
  // Both paces are judged: at 10 ms the gateway's own delay, at 1 ms its delay under a
  // saturated core (where CPU per event decides the queueing).
  check(
    "streaming, events 10 ms apart: added TTFB p50 ≤ pass-through's + 0.5 ms",
    "stream-c64-paced",
    addedWithin("addedTtfbP50Ms", 0.5),
  );
  check(
    "streaming, events 1 ms apart: added TTFB p50 ≤ pass-through's + 0.5 ms",
    "stream-c64",
    addedWithin("addedTtfbP50Ms", 0.5),
  );
  check(
    "translated streaming: ≥ 0.7× pass-through streams/s",
    "translated-stream-c64",
    ratio(0.7, "translated-stream-c64"),
  );
  const idle = memory.idle.ccgate;
  checks.push({
    name: "idle RSS ≤ 60 MB",
    pass: idle === undefined ? undefined : idle <= 60,
    detail: idle === undefined ? "not measured" : `${fmt(idle, 1)} MB`,
  });
  const open = get("open-streams", "ccgate");
  const measured = open !== undefined && Number.isFinite(open.peakRssMb);
  const enough = measured && open.maxOpen >= 1000;
  checks.push({
    name: "RSS with 1,000 open streams ≤ 250 MB",
    pass: enough ? open.peakRssMb <= 250 : undefined,
    detail: !measured
      ? "not measured"
      : `${fmt(open.peakRssMb, 1)} MB peak with ${fmt(open.maxOpen, 0)} streams open at once${
        enough ? "" : " (fewer than 1,000: not evaluated; run the full benchmark)"
      }`,
  });
  return checks;
}

/** The checks as lines: `PASS`, `MISS` or `N/A`. */
export function renderChecks(checks: readonly TargetCheck[]): string {
  return checks.map((c) =>
    `${c.pass === undefined ? "N/A " : c.pass ? "PASS" : "MISS"}  ${c.name} — ${c.detail}`
  ).join("\n");
}
