/**
 * The benchmark's command line: `--help`, the scenarios to run and how, and which gateway to
 * start. Parsed into {@link BenchOptions}.
 * @module
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { repoRoot } from "./bodies.ts";
import { allScenarios, type Scenario } from "./scenarios.ts";
import { WRK_INSTALL } from "./wrk.ts";

/** The text of `--help`. */
export const HELP = `ccgate benchmark — deno task bench [options]

  --smoke                every scenario for ~1 s, one round, low counts (CI-sized)
  --scenario NAME        run only this scenario (repeatable); names:
                         ${allScenarios(false).map((s) => s.name).join(", ")}
  --rounds N             rounds per scenario (default 3; smoke 1); the report shows medians
  --duration S           seconds per run (default 5; smoke 1)
  --event-delay-ms N     inter-event delay of every stream scenario (default 1, and 10 in
                         stream-c64-paced)
  --gateway DIR          ccgate checkout to benchmark (default: this repository)
  --from-source          run the gateway's main.ts (~250 modules) instead of the bundle that
                         \`deno task start\` runs (scripts/bundle.ts)
  --gateway-log-level L  start ccgate with --log-level L (default: its own default, info)
  --no-client-auth       start ccgate without auth.clientKeys (profiling variant)
  --gateway-flag FLAG    extra \`deno run\` flag for ccgate, e.g. --v8-flags=… (repeatable)
  --label TEXT           free text recorded with the results (e.g. which build was measured)
  --no-wrk               use the Deno client for non-streaming load even where wrk exists
  --no-paired            skip the paired runs (pass-through and ccgate loaded at once on one core)
  --cpu-prof             start ccgate with --cpu-prof (from main.ts); profiles go to
                         bench-results/profiles/
  --out DIR              where the JSON results go (default: bench-results/ in this repository)
  --keep                 keep the temporary directory (configs, logs)
  -h, --help             this text

Pins ccgate and the pass-through to core 0 and the upstream and load tools to core 1 (taskset).
Non-streaming load uses wrk (${WRK_INSTALL}); without it the Deno client stands in.`;

/** What one benchmark run does, from its command line. */
export interface BenchOptions {
  /** Seconds-long runs, one round, low counts. */
  smoke: boolean;
  /** The scenarios to run, in order. */
  scenarios: Scenario[];
  /** Every scenario (the probes and warm-ups pick from these). */
  all: Scenario[];
  /** Rounds per scenario. */
  rounds: number;
  /** Seconds per run. */
  durationS: number;
  /** Seconds of each stream run left out of its numbers (at least twice its ramp). */
  warmupS: number;
  /** The ccgate checkout to start. */
  gatewayDir: string;
  /** Run main.ts instead of the bundle `deno task start` runs. */
  fromSource: boolean;
  /** ccgate's `--log-level` (undefined: its default). */
  logLevel?: string;
  /** Whether ccgate requires a client key. */
  clientAuth: boolean;
  /** Extra `deno run` flags for ccgate. */
  gatewayFlags: string[];
  /** Write V8 CPU profiles of ccgate. */
  cpuProf: boolean;
  /** Free text recorded with the results. */
  label?: string;
  /** Use the Deno clients even where wrk is installed. */
  noWrk: boolean;
  /** Run the paired rounds. */
  paired: boolean;
  /** Keep the temporary directory. */
  keep: boolean;
  /** Directory of the JSON results. */
  outDir: string;
}

/**
 * Parses the command line. A number is the exit code to stop with: 0 after `--help`, 2 after a
 * usage error (already printed). Throws on a malformed command line (an unknown flag, a missing
 * value, a count that is not a positive number).
 */
export function parseBenchOptions(args: string[]): BenchOptions | number {
  const { values } = parseArgs({
    args,
    options: {
      smoke: { type: "boolean", default: false },
      scenario: { type: "string", multiple: true },
      rounds: { type: "string" },
      duration: { type: "string" },
      "event-delay-ms": { type: "string" },
      gateway: { type: "string" },
      "from-source": { type: "boolean", default: false },
      "gateway-log-level": { type: "string" },
      "no-client-auth": { type: "boolean", default: false },
      "gateway-flag": { type: "string", multiple: true },
      "cpu-prof": { type: "boolean", default: false },
      label: { type: "string" },
      "no-wrk": { type: "boolean", default: false },
      "no-paired": { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
      out: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const smoke = values.smoke;
  const all = allScenarios(smoke);
  if (values["event-delay-ms"] !== undefined) {
    const delay = Number(values["event-delay-ms"]);
    if (!Number.isFinite(delay) || delay < 0) {
      console.error("--event-delay-ms: expected a number ≥ 0");
      return 2;
    }
    for (const s of all) if (s.load === "stream") s.eventDelayMs = delay;
  }
  let scenarios = all;
  if (values.scenario?.length) {
    const unknown = values.scenario.filter((n) => !all.some((s) => s.name === n));
    if (unknown.length) {
      console.error(
        `unknown scenario ${unknown.join(", ")}; known: ${all.map((s) => s.name).join(", ")}`,
      );
      return 2;
    }
    scenarios = all.filter((s) => values.scenario!.includes(s.name));
  }
  const positive = (v: string | undefined, name: string, fallback: number) => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name}: expected a positive number`);
    return n;
  };
  const level = values["gateway-log-level"];
  if (level !== undefined && !["debug", "info", "warn", "error"].includes(level)) {
    console.error("--gateway-log-level: expected debug | info | warn | error");
    return 2;
  }
  return {
    smoke,
    scenarios,
    all,
    rounds: Math.round(positive(values.rounds, "rounds", smoke ? 1 : 3)),
    durationS: positive(values.duration, "duration", smoke ? 1 : 5),
    warmupS: smoke ? 0.2 : 0.5,
    gatewayDir: resolve(values.gateway ?? repoRoot()),
    // Profiles name functions by file; a minified bundle's would not say which module.
    fromSource: values["from-source"] || values["cpu-prof"],
    logLevel: level,
    clientAuth: !values["no-client-auth"],
    gatewayFlags: values["gateway-flag"] ?? [],
    cpuProf: values["cpu-prof"],
    label: values.label,
    noWrk: values["no-wrk"],
    paired: !values["no-paired"],
    keep: values.keep,
    outDir: resolve(values.out ?? join(repoRoot(), "bench-results")),
  };
}
