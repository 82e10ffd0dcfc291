/**
 * Paired runs: the pass-through and ccgate loaded at the same time, both pinned to the gateway
 * core, each by its own load process with half the scenario's connections. On a shared VM the
 * back-to-back runs of a round see different machines (±10–20 % in req/s between runs); two
 * targets that share one core at the same moment see the same one. While both are CPU-bound
 * the core is split fairly between them, so the ratio of their req/s is the ratio of their
 * capacities on one core, and drift cancels out.
 * @module
 */
import { readCpuMs } from "./rss.ts";
import { median } from "./stats.ts";
import type { LoadResult } from "./wrk.ts";

/** The two targets of a paired run. */
export type PairedTarget = "passthrough" | "ccgate";

/** One paired run. */
export interface PairedRecord {
  /** Scenario name. */
  scenario: string;
  /** Round, from 1. */
  round: number;
  /** The pass-through's load result. */
  passthrough?: LoadResult;
  /** ccgate's load result. */
  ccgate?: LoadResult;
  /** The pass-through's CPU per completed request, µs. */
  passthroughCpuUs?: number;
  /** ccgate's CPU per completed request, µs. */
  ccgateCpuUs?: number;
  /** Why the run failed. */
  error?: string;
}

/** The medians of a scenario's paired runs. */
export interface PairedSummary {
  /** Scenario name. */
  scenario: string;
  /** Runs with both results. */
  rounds: number;
  /** The pass-through's req/s. */
  passthroughRps: number;
  /** ccgate's req/s. */
  ccgateRps: number;
  /** ccgate's req/s ÷ the pass-through's, per run, then the median. */
  ratio: number;
  /** The pass-through's CPU per completed request, µs. */
  passthroughCpuUs: number;
  /** ccgate's CPU per completed request, µs. */
  ccgateCpuUs: number;
  /** Errors over all runs, both targets. */
  errors: number;
}

/**
 * Runs both targets at once and measures each process's CPU over the same window. `load`
 * starts one target's load (with half the connections) and resolves with its result.
 */
export async function pairedRun(
  scenario: string,
  round: number,
  pids: Record<PairedTarget, number>,
  load: (target: PairedTarget) => Promise<LoadResult>,
): Promise<PairedRecord> {
  const record: PairedRecord = { scenario, round };
  try {
    const before = await Promise.all([readCpuMs(pids.passthrough), readCpuMs(pids.ccgate)]);
    const [passthrough, ccgate] = await Promise.all([load("passthrough"), load("ccgate")]);
    const after = await Promise.all([readCpuMs(pids.passthrough), readCpuMs(pids.ccgate)]);
    record.passthrough = passthrough;
    record.ccgate = ccgate;
    const perRequest = (i: number, r: LoadResult) =>
      before[i] !== undefined && after[i] !== undefined && r.requests > 0
        ? ((after[i]! - before[i]!) * 1000) / r.requests
        : undefined;
    record.passthroughCpuUs = perRequest(0, passthrough);
    record.ccgateCpuUs = perRequest(1, ccgate);
  } catch (error) {
    record.error = (error as Error).message.slice(0, 500);
  }
  return record;
}

/** Reduces the paired runs of one scenario to medians (undefined when none succeeded). */
export function summarisePaired(
  scenario: string,
  records: readonly PairedRecord[],
): PairedSummary | undefined {
  const mine = records.filter((r) => r.scenario === scenario && r.passthrough && r.ccgate);
  const all = records.filter((r) => r.scenario === scenario);
  if (!mine.length) return undefined;
  return {
    scenario,
    rounds: mine.length,
    passthroughRps: median(mine.map((r) => r.passthrough!.rps)),
    ccgateRps: median(mine.map((r) => r.ccgate!.rps)),
    ratio: median(mine.map((r) => r.ccgate!.rps / r.passthrough!.rps)),
    passthroughCpuUs: median(mine.map((r) => r.passthroughCpuUs)),
    ccgateCpuUs: median(mine.map((r) => r.ccgateCpuUs)),
    errors: all.reduce(
      (n, r) => n + (r.passthrough?.errors ?? 0) + (r.ccgate?.errors ?? 0) + (r.error ? 1 : 0),
      0,
    ),
  };
}

function num(v: number, digits: number): string {
  return Number.isFinite(v) ? v.toFixed(digits) : "—";
}

/** The paired summaries as a markdown table. */
export function renderPaired(summaries: readonly PairedSummary[]): string {
  const head = [
    "scenario",
    "runs",
    "pass-through req/s",
    "ccgate req/s",
    "× pass-through (paired)",
    "pass-through CPU µs/req",
    "ccgate CPU µs/req",
    "errors",
  ];
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const rows = summaries.map((s) => [
    s.scenario,
    String(s.rounds),
    num(s.passthroughRps, 0),
    num(s.ccgateRps, 0),
    num(s.ratio, 2),
    num(s.passthroughCpuUs, 0),
    num(s.ccgateCpuUs, 0),
    String(s.errors),
  ]);
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}
