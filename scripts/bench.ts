/**
 * The ccgate benchmark (`deno task bench`). It starts, by itself and all on 127.0.0.1:
 *
 * - a fast fake upstream (scripts/bench/fake_upstream_server.ts), pinned to core 1;
 * - the minimal `Deno.serve` + `fetch` pass-through (scripts/bench/passthrough.ts), core 0;
 * - ccgate as a subprocess (`deno run -A main.ts serve --config <json> --kv <file> --port N`)
 *   with four API keys in one anthropic provider, client auth on and the default log level,
 *   its log going to a file, core 0;
 *
 * then drives each scenario with wrk (non-streaming throughput; Lua script for the POST body), the
 * closed-loop client (latency at one connection: every request timed, see closed_loop_client.ts)
 * or the Deno stream client (streams: time to first byte and total time of every stream), all on
 * core 1,
 * against the upstream directly, the pass-through and ccgate in turn, for several rounds, and
 * reports the medians: a markdown table on stdout, pass/fail lines for the targets of issue 5,
 * and JSON in bench-results/.
 *
 *   deno task bench                         # full run (5 s per run, 3 rounds)
 *   deno task bench --smoke                 # every scenario ~1 s, 1 round, low counts
 *   deno task bench --scenario small-c32 --scenario stream-c64 --rounds 5 --duration 10
 *
 * See `--help` and docs/performance.md.
 * @module
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  baseHeaders,
  BENCH_MODEL,
  type ClaudeCodeRequest,
  claudeCodeRequest,
  repoRoot,
  smallBody,
} from "./bench/bodies.ts";
import { commandFirstLine, hasCommand, machineBusy, Pinning } from "./bench/processes.ts";
import {
  evaluateTargets,
  type MemoryReport,
  renderChecks,
  renderTable,
  type RunRecord,
  type ScenarioSummary,
  summariseScenario,
} from "./bench/report.ts";
import { peakRssDuring, readRss } from "./bench/rss.ts";
import {
  allScenarios,
  LARGE_BODY_BYTES,
  type Scenario,
  streamRampMs,
  type TargetName,
  TARGETS,
} from "./bench/scenarios.ts";
import {
  CLIENT_KEY,
  LOAD_CPU,
  type Proc,
  startCcgate,
  startFakeUpstream,
  startPassthrough,
  UPSTREAM_KEYS,
} from "./bench/launch.ts";
import {
  type PairedRecord,
  pairedRun,
  type PairedSummary,
  renderPaired,
  summarisePaired,
} from "./bench/paired.ts";
import { spawnClosedLoopClient } from "./bench/closed_loop_client.ts";
import { spawnStreamClient } from "./bench/stream_client.ts";
import { type LoadResult, runWrk, WRK_INSTALL } from "./bench/wrk.ts";

const HELP = `ccgate benchmark — deno task bench [options]

  --smoke                every scenario for ~1 s, one round, low counts (CI-sized)
  --scenario NAME        run only this scenario (repeatable); names:
                         ${allScenarios(false).map((s) => s.name).join(", ")}
  --rounds N             rounds per scenario (default 3; smoke 1); the report shows medians
  --duration S           seconds per run (default 5; smoke 1)
  --event-delay-ms N     inter-event delay of every stream scenario (default 1, and 10 in
                         stream-c64-paced)
  --gateway DIR          ccgate checkout to benchmark (default: this repository)
  --gateway-log-level L  start ccgate with --log-level L (default: its own default, info)
  --no-client-auth       start ccgate without auth.clientKeys (profiling variant)
  --gateway-flag FLAG    extra \`deno run\` flag for ccgate, e.g. --v8-flags=… (repeatable)
  --label TEXT           free text recorded with the results (e.g. which build was measured)
  --no-wrk               use the Deno client for non-streaming load even where wrk exists
  --no-paired            skip the paired runs (pass-through and ccgate loaded at once on one core)
  --cpu-prof             start ccgate with --cpu-prof; profiles go to bench-results/profiles/
  --keep                 keep the temporary directory (configs, logs)
  -h, --help             this text

Pins ccgate and the pass-through to core 0 and the upstream and load tools to core 1 (taskset).
Non-streaming load uses wrk (${WRK_INSTALL}); without it the Deno client stands in.`;

interface Options {
  smoke: boolean;
  scenarios: Scenario[];
  all: Scenario[];
  rounds: number;
  durationS: number;
  warmupS: number;
  gatewayDir: string;
  logLevel?: string;
  clientAuth: boolean;
  gatewayFlags: string[];
  cpuProf: boolean;
  label?: string;
  noWrk: boolean;
  paired: boolean;
  keep: boolean;
}

function log(message: string): void {
  console.error(message);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function parseOptions(args: string[]): Options | number {
  const { values } = parseArgs({
    args,
    options: {
      smoke: { type: "boolean", default: false },
      scenario: { type: "string", multiple: true },
      rounds: { type: "string" },
      duration: { type: "string" },
      "event-delay-ms": { type: "string" },
      gateway: { type: "string" },
      "gateway-log-level": { type: "string" },
      "no-client-auth": { type: "boolean", default: false },
      "gateway-flag": { type: "string", multiple: true },
      "cpu-prof": { type: "boolean", default: false },
      label: { type: "string" },
      "no-wrk": { type: "boolean", default: false },
      "no-paired": { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
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
    logLevel: level,
    clientAuth: !values["no-client-auth"],
    gatewayFlags: values["gateway-flag"] ?? [],
    cpuProf: values["cpu-prof"],
    label: values.label,
    noWrk: values["no-wrk"],
    paired: !values["no-paired"],
    keep: values.keep,
  };
}

/** Facts about the machine and the tools, for the report. */
async function machineFacts(wrk: boolean | "disabled", pinning: Pinning, gatewayDir: string) {
  let cpuModel = "unknown";
  let memTotalGb = NaN;
  try {
    const cpuinfo = await Deno.readTextFile("/proc/cpuinfo");
    cpuModel = cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? cpuModel;
    const meminfo = await Deno.readTextFile("/proc/meminfo");
    const kb = Number(meminfo.match(/^MemTotal:\s+(\d+)/m)?.[1]);
    memTotalGb = Math.round((kb / 1024 / 1024) * 10) / 10;
  } catch { /* not Linux */ }
  const commit = await commandFirstLine("git", ["-C", gatewayDir, "rev-parse", "--short", "HEAD"]);
  const dirty = await commandFirstLine("git", ["-C", gatewayDir, "status", "--porcelain", "src"]);
  const version = await commandFirstLine(Deno.execPath(), [
    "run",
    "-A",
    join(gatewayDir, "main.ts"),
    "--version",
  ]);
  return {
    cores: navigator.hardwareConcurrency,
    cpuModel,
    memTotalGb,
    os: `${Deno.build.os} ${Deno.osRelease()}`,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    wrk: wrk === true
      ? await commandFirstLine("wrk", ["-v"])
      : wrk === "disabled"
      ? "wrk not used (--no-wrk): Deno client for non-streaming load"
      : "wrk not installed: Deno client for non-streaming load",
    pinning: pinning.enabled ? "taskset: gateway/pass-through core 0, upstream/load core 1" : "off",
    gateway: {
      dir: gatewayDir,
      version: version ?? "unknown",
      commit: commit && /^[0-9a-f]+$/.test(commit)
        ? `${commit}${dirty ? " (src/ has uncommitted changes)" : ""}`
        : "unknown (not a git checkout)",
    },
  };
}

/** Sends one request and explains what is wrong with the answer, if anything. */
async function probe(
  url: string,
  headers: Record<string, string>,
  body: Uint8Array<ArrayBuffer>,
  sse: boolean,
): Promise<string | undefined> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers,
      body,
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    if (res.status !== 200) {
      let message = text.slice(0, 200);
      try {
        message = JSON.parse(text)?.error?.message ?? message;
      } catch { /* not JSON */ }
      return `HTTP ${res.status}: ${message}`;
    }
    const type = res.headers.get("content-type") ?? "";
    if (sse && (!type.includes("text/event-stream") || !text.includes("message_stop"))) {
      return `expected an SSE stream ending in message_stop, got ${type}: ${text.slice(0, 120)}`;
    }
    if (!sse && !type.includes("application/json")) return `expected JSON, got ${type}`;
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

function fmtResult(r: RunRecord, load: Scenario["load"]): string {
  const res = r.result!;
  const parts = load === "hold"
    ? [`${res.requests} streams`, `max open ${res.maxOpen ?? "?"}`]
    : [`${res.rps.toFixed(load === "stream" ? 1 : 0)} req/s`];
  parts.push(`p50 ${res.p50Ms?.toFixed(2)} ms`, `p99 ${res.p99Ms?.toFixed(2)} ms`);
  if (load === "stream" || load === "hold") parts.push(`ttfb p50 ${res.ttfbP50Ms?.toFixed(2)} ms`);
  if (r.cpuUsPerRequest !== undefined) parts.push(`cpu ${r.cpuUsPerRequest.toFixed(0)} µs/req`);
  if (r.peakRssMb !== undefined) parts.push(`peak RSS ${r.peakRssMb.toFixed(1)} MB`);
  if (res.errors) parts.push(`errors ${res.errors} (${res.errorDetail ?? ""})`);
  return parts.join(", ");
}

/** A process under test and its base URL. */
/** The benchmark's processes and runs. */
class Bench {
  readonly options: Options;
  readonly pinning: Pinning;
  readonly wrk: boolean;
  readonly tmp: string;
  readonly repo = repoRoot();
  readonly profileDir: string;
  readonly large: ClaudeCodeRequest;
  readonly bodies: Record<Scenario["body"], Uint8Array<ArrayBuffer>>;
  readonly bodyFiles: Record<Scenario["body"], string>;
  upstream?: Proc;
  passthrough?: Proc;
  gateway?: Proc;
  openaiGateway?: Proc;

  constructor(options: Options, pinning: Pinning, wrk: boolean, tmp: string) {
    this.options = options;
    this.pinning = pinning;
    this.wrk = wrk;
    this.tmp = tmp;
    this.profileDir = join(this.repo, "bench-results", "profiles");
    this.large = claudeCodeRequest(LARGE_BODY_BYTES, this.repo);
    this.bodies = {
      small: smallBody(false),
      "small-stream": smallBody(true),
      "claude-code": this.large.body,
    };
    this.bodyFiles = {
      small: join(tmp, "small.json"),
      "small-stream": join(tmp, "small-stream.json"),
      "claude-code": join(tmp, "claude-code.json"),
    };
  }

  async writeBodies(): Promise<void> {
    for (const [k, file] of Object.entries(this.bodyFiles)) {
      await Deno.writeFile(file, this.bodies[k as Scenario["body"]]);
    }
  }

  async startUpstream(): Promise<Proc> {
    this.upstream = await startFakeUpstream(this.pinning, join(this.tmp, "upstream.log"));
    return this.upstream;
  }

  async startPassthrough(): Promise<Proc> {
    this.passthrough = await startPassthrough(
      this.pinning,
      this.upstream!.url,
      join(this.tmp, "passthrough.log"),
    );
    return this.passthrough;
  }

  async startGateway(kind: Scenario["gateway"]): Promise<Proc> {
    const options = this.options;
    const denoFlags = [...options.gatewayFlags];
    if (options.cpuProf) {
      await Deno.mkdir(this.profileDir, { recursive: true });
      denoFlags.push("--cpu-prof", `--cpu-prof-dir=${this.profileDir}`);
    }
    const proc = await startCcgate({
      name: `ccgate (${kind})`,
      gatewayDir: options.gatewayDir,
      kind,
      upstreamUrl: this.upstream!.url,
      clientAuth: options.clientAuth,
      tmp: this.tmp,
      pinning: this.pinning,
      denoFlags,
      logLevel: options.logLevel,
      logFile: join(this.tmp, `ccgate-${kind}.log`),
    });
    if (kind === "anthropic") this.gateway = proc;
    else this.openaiGateway = proc;
    return proc;
  }

  /** Replaces a target's process with a fresh one (for memory measured from a clean start). */
  async restart(target: "passthrough" | "ccgate"): Promise<void> {
    const old = target === "passthrough" ? this.passthrough : this.gateway;
    await old?.service.stop(12_000);
    if (target === "passthrough") await this.startPassthrough();
    else await this.startGateway("anthropic");
  }

  proc(target: TargetName, scenario: Scenario): Proc {
    if (target === "direct") return this.upstream!;
    if (target === "passthrough") return this.passthrough!;
    return scenario.gateway === "openai" ? this.openaiGateway! : this.gateway!;
  }

  headersFor(scenario: Scenario): Record<string, string> {
    const h: Record<string, string> = {
      ...(scenario.body === "claude-code" ? this.large.headers : {}),
      ...baseHeaders(CLIENT_KEY),
    };
    if (scenario.events !== undefined) h["x-bench-events"] = String(scenario.events);
    if (scenario.ttfbMs !== undefined) h["x-bench-ttfb-ms"] = String(scenario.ttfbMs);
    if (scenario.eventDelayMs !== undefined) h["x-bench-delay-ms"] = String(scenario.eventDelayMs);
    return h;
  }

  pathFor(scenario: Scenario): string {
    return scenario.body === "claude-code" ? this.large.path : "/v1/messages";
  }

  /** One request of `scenario`'s kind to `base`; a message when the answer is wrong. */
  probe(scenario: Scenario, base: string): Promise<string | undefined> {
    return probe(
      base + this.pathFor(scenario),
      this.headersFor(scenario),
      this.bodies[scenario.body],
      scenario.body === "small-stream",
    );
  }

  /** Every target must answer every kind of request correctly before anything is measured. */
  async preflight(): Promise<void> {
    const kinds = ["small", "small-stream", "claude-code"] as const;
    for (const target of TARGETS) {
      for (const body of kinds) {
        const scenario = this.options.all.find((s) =>
          s.body === body && s.gateway === "anthropic"
        )!;
        const problem = await this.probe(scenario, this.proc(target, scenario).url);
        if (problem) {
          const tail = target === "ccgate" ? await this.gateway!.service.logTail(10) : "";
          throw new Error(`${target} fails a ${body} request: ${problem}\n${tail}`);
        }
      }
    }
  }

  async #upstreamStats(reset: boolean): Promise<{ requests: number; maxOpen: number }> {
    const res = await fetch(`${this.upstream!.url}/stats${reset ? "/reset" : ""}`, {
      method: reset ? "POST" : "GET",
    });
    return await res.json();
  }

  /** One load run (not measured for memory/CPU). */
  async load(
    scenario: Scenario,
    base: string,
    durationS: number,
    tag: string,
  ): Promise<LoadResult> {
    // What every load tool is told: where, what, and on which core.
    const common = {
      url: base + this.pathFor(scenario),
      bodyFile: this.bodyFiles[scenario.body],
      headers: this.headersFor(scenario),
      cpu: LOAD_CPU,
      pinning: this.pinning,
    };
    if (scenario.load === "wrk" && this.wrk) {
      return await runWrk({
        ...common,
        concurrency: scenario.concurrency,
        durationS,
        scriptFile: join(this.tmp, `wrk-${scenario.name}-${tag}.lua`),
      });
    }
    if (scenario.load === "closed-loop") {
      return await spawnClosedLoopClient({
        ...common,
        concurrency: scenario.concurrency,
        durationS,
      });
    }
    if (scenario.load === "hold") {
      return await spawnStreamClient({
        ...common,
        sse: true,
        count: scenario.count,
        rampMs: scenario.rampMs,
        timeoutS: 60,
      });
    }
    const rampMs = streamRampMs(scenario);
    return await spawnStreamClient({
      ...common,
      sse: scenario.load === "stream",
      concurrency: scenario.concurrency,
      durationS,
      rampMs,
      // Measure once the staggered streams have reached their steady state.
      warmupS: Math.max(this.options.warmupS, (2 * rampMs) / 1000),
      timeoutS: 15,
    });
  }

  /** One measured run: load, peak RSS and CPU of the target process, requests served. */
  async run(scenario: Scenario, target: TargetName, round: number): Promise<RunRecord> {
    const record: RunRecord = { scenario: scenario.name, target, round };
    try {
      if (scenario.load === "hold" && target !== "direct") {
        // Memory with N streams open is measured from a freshly started process.
        await this.restart(target);
        const problem = await this.probe(scenario, this.proc(target, scenario).url);
        if (problem) throw new Error(`fresh ${target} fails: ${problem}`);
        await sleep(500);
      }
      const proc = this.proc(target, scenario);
      await this.#upstreamStats(true);
      const measured = await peakRssDuring(
        proc.service.pid,
        () => this.load(scenario, proc.url, this.options.durationS, target),
      );
      const stats = await this.#upstreamStats(false);
      record.result = { ...measured.result, maxOpen: stats.maxOpen };
      record.served = stats.requests;
      record.cpuMs = measured.cpuMs;
      if (measured.cpuMs !== undefined && stats.requests > 0) {
        record.cpuUsPerRequest = (measured.cpuMs * 1000) / stats.requests;
      }
      if (target !== "direct") {
        record.peakRssMb = measured.peakMb;
        record.startRssMb = measured.startRssMb;
      }
    } catch (error) {
      record.error = (error as Error).message.slice(0, 500);
    }
    return record;
  }

  /** One paired run (see scripts/bench/paired.ts): half the connections each, both at once. */
  async paired(scenario: Scenario, round: number): Promise<PairedRecord> {
    const half = { ...scenario, concurrency: Math.max(1, Math.round(scenario.concurrency / 2)) };
    const pids = {
      passthrough: this.proc("passthrough", scenario).service.pid,
      ccgate: this.proc("ccgate", scenario).service.pid,
    };
    return await pairedRun(
      scenario.name,
      round,
      pids,
      (target) =>
        this.load(
          half,
          this.proc(target, scenario).url,
          this.options.durationS,
          `paired-${target}`,
        ),
    );
  }

  async rssMb(target: "passthrough" | "ccgate"): Promise<number | undefined> {
    const proc = target === "passthrough" ? this.passthrough : this.gateway;
    if (!proc) return undefined;
    const r = await readRss(proc.service.pid);
    return r ? r.rssKb / 1024 : undefined;
  }

  async stopAll(): Promise<void> {
    const procs = [this.openaiGateway, this.gateway, this.passthrough, this.upstream];
    await Promise.all(procs.map((p) => p?.service.stop(12_000)));
  }
}

/** Runs the benchmark; returns the exit code. */
export async function runBenchmark(args: string[]): Promise<number> {
  let options: Options;
  try {
    const parsed = parseOptions(args);
    if (typeof parsed === "number") return parsed;
    options = parsed;
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  try {
    Deno.statSync(join(options.gatewayDir, "main.ts"));
  } catch {
    console.error(`no main.ts in ${options.gatewayDir} (--gateway)`);
    return 2;
  }

  const cores = navigator.hardwareConcurrency;
  const taskset = await hasCommand("taskset");
  const pinning = new Pinning(taskset && cores >= 2);
  if (!taskset) log("warning: taskset not found (util-linux); processes are not pinned");
  else if (cores < 2) log("warning: fewer than 2 cores; processes are not pinned");
  const wrkInstalled = await hasCommand("wrk");
  const wrk = wrkInstalled && !options.noWrk;
  if (!wrkInstalled) {
    log(`warning: wrk not found; install it with:\n  ${WRK_INSTALL}`);
    log("         the Deno client stands in for non-streaming scenarios meanwhile");
  }

  const busy = await machineBusy(1000);
  if (busy !== undefined && busy > 0.1) {
    log(
      `warning: the machine is ${
        Math.round(busy * 100)
      }% busy before the benchmark starts; other processes will skew the results`,
    );
  }

  const tmp = await Deno.makeTempDir({ prefix: "ccgate-bench-" });
  const bench = new Bench(options, pinning, wrk, tmp);
  const cleanup = async () => {
    await bench.stopAll();
    if (!options.keep) await Deno.remove(tmp, { recursive: true }).catch(() => {});
  };
  const onSignal = () => {
    log("interrupted: stopping the benchmark's processes");
    cleanup().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);

  try {
    const facts = await machineFacts(
      wrk || (wrkInstalled ? "disabled" : false),
      pinning,
      options.gatewayDir,
    );
    const mode = options.smoke ? "smoke" : "full";
    log(`ccgate benchmark (${mode}): ${facts.cores} cores, deno ${facts.deno}, ${facts.wrk}`);
    log(`gateway: ${facts.gateway.dir} ${facts.gateway.version} ${facts.gateway.commit}`);
    if (options.label) log(`label: ${options.label}`);
    await bench.writeBodies();
    log(`large body: ${bench.large.body.length} bytes from ${bench.large.source}`);

    await bench.startUpstream();
    await bench.startPassthrough();
    await bench.startGateway("anthropic");
    log(
      `upstream ${bench.upstream!.url} (pid ${bench.upstream!.service.pid}), pass-through ${
        bench.passthrough!.url
      } (pid ${bench.passthrough!.service.pid}), ccgate ${bench.gateway!.url} (pid ${
        bench.gateway!.service.pid
      })`,
    );
    await bench.preflight();

    // Idle memory: started, a few requests served, settled.
    await sleep(1000);
    const memory: MemoryReport = {
      idle: { passthrough: await bench.rssMb("passthrough"), ccgate: await bench.rssMb("ccgate") },
      afterRun: {},
    };
    log(
      `idle RSS: pass-through ${memory.idle.passthrough?.toFixed(1)} MB, ccgate ${
        memory.idle.ccgate?.toFixed(1)
      } MB`,
    );

    // Warm-up (JIT, connection pools): not measured.
    const warmS = options.smoke ? 0.5 : 2;
    const small = options.all.find((s) => s.name === "small-c32")!;
    const stream = options.all.find((s) => s.name === "stream-c64")!;
    log(`warm-up: ${warmS} s non-streaming and ${warmS} s streaming per target`);
    for (const target of TARGETS) {
      for (const scenario of [small, stream]) {
        const url = bench.proc(target, scenario).url;
        await bench.load(scenario, url, warmS, `warmup-${target}`).catch((error) => {
          log(`warm-up of ${target} failed: ${(error as Error).message}`);
        });
      }
    }

    const records: RunRecord[] = [];
    const summaries: ScenarioSummary[] = [];
    const pairedRecords: PairedRecord[] = [];
    const pairedSummaries: PairedSummary[] = [];
    for (const scenario of options.scenarios) {
      log(`\n== ${scenario.name}: ${scenario.description}`);
      if (scenario.gateway === "openai") {
        const gw = await bench.startGateway("openai");
        const problem = await bench.probe(scenario, gw.url);
        if (problem) {
          const reason = `the gateway has no openai-compatible provider support (${problem})`;
          log(`not available: ${reason}`);
          await gw.service.stop();
          bench.openaiGateway = undefined;
          summaries.push(summariseScenario(scenario, [], reason));
          continue;
        }
      }
      for (let round = 1; round <= options.rounds; round++) {
        for (const target of TARGETS) {
          const record = await bench.run(scenario, target, round);
          records.push(record);
          const prefix = `  [round ${round}/${options.rounds}] ${target.padEnd(11)}`;
          log(
            record.error
              ? `${prefix} FAILED: ${record.error}`
              : `${prefix} ${fmtResult(record, scenario.load)}`,
          );
          // Let the last run's connections close before the next target starts.
          await sleep(scenario.load === "hold" ? 1000 : 200);
        }
        if (options.paired && scenario.load !== "hold" && scenario.concurrency >= 2) {
          const p = await bench.paired(scenario, round);
          pairedRecords.push(p);
          const prefix = `  [round ${round}/${options.rounds}] paired     `;
          log(
            p.error || !p.passthrough || !p.ccgate
              ? `${prefix} FAILED: ${p.error}`
              : `${prefix} pass-through ${p.passthrough.rps.toFixed(1)} req/s, ccgate ${
                p.ccgate.rps.toFixed(1)
              } req/s (${(p.ccgate.rps / p.passthrough.rps).toFixed(2)}×), cpu ${
                p.passthroughCpuUs?.toFixed(0)
              } / ${p.ccgateCpuUs?.toFixed(0)} µs/req`,
          );
          await sleep(200);
        }
      }
      const pairedSummary = summarisePaired(scenario.name, pairedRecords);
      if (pairedSummary) pairedSummaries.push(pairedSummary);
      if (bench.openaiGateway) {
        await bench.openaiGateway.service.stop();
        bench.openaiGateway = undefined;
      }
      summaries.push(summariseScenario(scenario, records));
    }

    await sleep(2000);
    memory.afterRun = {
      passthrough: await bench.rssMb("passthrough"),
      ccgate: await bench.rssMb("ccgate"),
    };

    const table = renderTable(summaries, memory);
    const checks = evaluateTargets(summaries, memory, pairedSummaries);
    let logLines = 0;
    try {
      logLines = (await Deno.readTextFile(bench.gateway!.service.logFile)).split("\n").length - 1;
    } catch { /* no log */ }

    console.log(
      `\n## ccgate benchmark — ${mode} (${options.rounds} round${
        options.rounds > 1 ? "s" : ""
      }, ${options.durationS} s per run, medians)\n`,
    );
    console.log(
      `Machine: ${facts.cores} cores (${facts.cpuModel}), ${facts.memTotalGb} GiB, ${facts.os}; ` +
        `deno ${facts.deno} (v8 ${facts.v8}); ${facts.wrk}; pinning: ${facts.pinning}; ` +
        `busy before start: ${busy === undefined ? "?" : `${Math.round(busy * 100)}%`}.`,
    );
    console.log(
      `Gateway: ${facts.gateway.version} ${facts.gateway.commit}${
        options.label ? ` (${options.label})` : ""
      }; 4 upstream keys, client auth ${options.clientAuth ? "on" : "off"}, log level ${
        options.logLevel ?? "default (info)"
      } → file (${logLines} lines)${
        options.gatewayFlags.length ? `, deno flags ${options.gatewayFlags.join(" ")}` : ""
      }.\n`,
    );
    console.log(table);
    if (pairedSummaries.length) {
      console.log(
        "\nPaired runs: the pass-through and ccgate loaded at the same time on the same core, " +
          "each with half the connections (medians; CPU per completed request):\n",
      );
      console.log(renderPaired(pairedSummaries));
    }
    console.log(
      "\nLatency: whole request (wrk; small-c1: closed-loop client) or whole stream (stream " +
        "client). added = minus direct's, " +
        "same round. × pass-through = req/s ratio, same round. CPU = CPU time of the target's " +
        "process per request served (direct: the fake upstream's). RSS in MiB; open-streams " +
        "runs start from a fresh process.\n",
    );
    console.log("Targets:\n");
    console.log(renderChecks(checks));

    const resultsDir = join(bench.repo, "bench-results");
    await Deno.mkdir(resultsDir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
    const file = join(resultsDir, `bench-${stamp}${options.smoke ? "-smoke" : ""}.json`);
    await Deno.writeTextFile(
      file,
      JSON.stringify(
        {
          date: new Date().toISOString(),
          mode,
          label: options.label,
          rounds: options.rounds,
          durationS: options.durationS,
          machine: { ...facts, busyBeforeStart: busy },
          gatewayOptions: {
            clientAuth: options.clientAuth,
            logLevel: options.logLevel ?? "default (info)",
            denoFlags: options.gatewayFlags,
            cpuProf: options.cpuProf,
            upstreamKeys: UPSTREAM_KEYS.length,
            logLines,
          },
          model: BENCH_MODEL,
          largeBody: { bytes: bench.large.body.length, source: bench.large.source },
          scenarios: options.scenarios,
          summaries,
          paired: pairedSummaries,
          memory,
          checks,
          runs: records,
          pairedRuns: pairedRecords,
          table,
        },
        (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v),
        2,
      ),
    );
    console.log(`\nJSON: ${file}`);
    if (options.keep) console.log(`temporary files kept in ${tmp}`);
    return 0;
  } catch (error) {
    console.error(`benchmark failed: ${(error as Error).message}`);
    return 1;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    await cleanup();
  }
}

if (import.meta.main) {
  Deno.exit(await runBenchmark(Deno.args));
}
