/**
 * The benchmark's results: the markdown report on stdout and every run, median and target in a
 * JSON file.
 * @module
 */
import { join } from "node:path";
import { BENCH_MODEL } from "./bodies.ts";
import type { MachineFacts } from "./machine.ts";
import type { BenchOptions } from "./options.ts";
import { type PairedRecord, type PairedSummary, renderPaired } from "./paired.ts";
import {
  type MemoryReport,
  renderChecks,
  renderStealNote,
  type RunRecord,
  type ScenarioSummary,
  type TargetCheck,
} from "./report.ts";
import { UPSTREAM_KEYS } from "./launch.ts";

/** Everything one benchmark run measured. */
export interface BenchResults {
  /** The run's options. */
  options: BenchOptions;
  /** The machine and tools. */
  facts: MachineFacts;
  /** Share of the machine busy before the start (undefined: unknown). */
  busy: number | undefined;
  /** Size and source of the large body. */
  largeBody: { bytes: number; source: string };
  /** Lines ccgate logged during the run. */
  logLines: number;
  /** Medians per scenario and target. */
  summaries: ScenarioSummary[];
  /** Medians of the paired runs. */
  paired: PairedSummary[];
  /** Idle and after-run memory. */
  memory: MemoryReport;
  /** The issue's targets, judged. */
  checks: TargetCheck[];
  /** Every run. */
  runs: RunRecord[];
  /** Every paired run. */
  pairedRuns: PairedRecord[];
  /** The markdown table of {@link BenchResults.summaries}. */
  table: string;
}

/** Prints the report: machine, gateway, the tables and the targets. */
export function printReport(r: BenchResults): void {
  const { options, facts } = r;
  const mode = options.smoke ? "smoke" : "full";
  console.log(
    `\n## ccgate benchmark — ${mode} (${options.rounds} round${
      options.rounds > 1 ? "s" : ""
    }, ${options.durationS} s per run, medians)\n`,
  );
  console.log(
    `Machine: ${facts.cores} cores (${facts.cpuModel}), ${facts.memTotalGb} GiB, ${facts.os}; ` +
      `deno ${facts.deno} (v8 ${facts.v8}); ${facts.wrk}; pinning: ${facts.pinning}; ` +
      `busy before start: ${r.busy === undefined ? "?" : `${Math.round(r.busy * 100)}%`}.`,
  );
  console.log(
    `Gateway: ${facts.gateway.version} ${facts.gateway.commit}${
      options.label ? ` (${options.label})` : ""
    }, run ${
      options.fromSource ? "from main.ts" : "as the bundle `deno task start` runs"
    }; ${UPSTREAM_KEYS.length} upstream keys, client auth ${
      options.clientAuth ? "on" : "off"
    }, log level ${options.logLevel ?? "default (info)"} → file (${r.logLines} lines)${
      options.gatewayFlags.length ? `, deno flags ${options.gatewayFlags.join(" ")}` : ""
    }.\n`,
  );
  console.log(r.table);
  const steal = renderStealNote(r.runs);
  if (steal) console.log(`\n${steal}`);
  if (r.paired.length) {
    console.log(
      "\nPaired runs: the pass-through and ccgate loaded at the same time on the same core, " +
        "each with half the connections (medians; CPU per completed request):\n",
    );
    console.log(renderPaired(r.paired));
  }
  console.log(
    "\nLatency: whole request (wrk; small-c1: closed-loop client) or whole stream (stream " +
      "client). added = minus direct's, " +
      "same round. × pass-through = req/s ratio, same round. CPU = CPU time of the target's " +
      "process per request served (direct: the fake upstream's). RSS in MiB; open-streams " +
      "runs start from a fresh process.\n",
  );
  console.log("Targets:\n");
  console.log(renderChecks(r.checks));
}

/** Writes the results as JSON into the options' output directory; returns the file. */
export async function writeResults(r: BenchResults): Promise<string> {
  const { options } = r;
  await Deno.mkdir(options.outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
  const file = join(options.outDir, `bench-${stamp}${options.smoke ? "-smoke" : ""}.json`);
  const json = {
    date: new Date().toISOString(),
    mode: options.smoke ? "smoke" : "full",
    label: options.label,
    rounds: options.rounds,
    durationS: options.durationS,
    machine: { ...r.facts, busyBeforeStart: r.busy },
    gatewayOptions: {
      clientAuth: options.clientAuth,
      logLevel: options.logLevel ?? "default (info)",
      denoFlags: options.gatewayFlags,
      fromSource: options.fromSource,
      cpuProf: options.cpuProf,
      upstreamKeys: UPSTREAM_KEYS.length,
      logLines: r.logLines,
    },
    model: BENCH_MODEL,
    largeBody: r.largeBody,
    scenarios: options.scenarios,
    summaries: r.summaries,
    paired: r.paired,
    memory: r.memory,
    checks: r.checks,
    runs: r.runs,
    pairedRuns: r.pairedRuns,
    table: r.table,
  };
  // NaN and Infinity are not JSON: write them as null.
  const finite = (_k: string, v: unknown) =>
    typeof v === "number" && !Number.isFinite(v) ? null : v;
  await Deno.writeTextFile(file, JSON.stringify(json, finite, 2));
  return file;
}
