/**
 * The benchmark's processes and runs: the fake upstream, the pass-through and ccgate, the
 * correctness probe every target must pass, and one measured run (load, CPU, peak RSS) or
 * paired run of a scenario against a target.
 * @module
 */
import { join } from "node:path";
import {
  baseHeaders,
  type ClaudeCodeRequest,
  claudeCodeRequest,
  repoRoot,
  smallBody,
} from "./bodies.ts";
import { type LoadTarget, type Pinning, sleep } from "./processes.ts";
import type { RunRecord } from "./report.ts";
import { peakRssDuring, readRss } from "./rss.ts";
import {
  LARGE_BODY_BYTES,
  type Scenario,
  streamRampMs,
  type TargetName,
  TARGETS,
} from "./scenarios.ts";
import { parseCoreTimes, readProcStat, stealPercent } from "./steal.ts";
import {
  CLIENT_KEY,
  GATEWAY_CPU,
  LOAD_CPU,
  type Proc,
  startCcgate,
  startFakeUpstream,
  startPassthrough,
} from "./launch.ts";
import { type PairedRecord, pairedRun } from "./paired.ts";
import { spawnClosedLoopClient } from "./closed_loop_client.ts";
import { spawnStreamClient } from "./stream_client.ts";
import { type LoadResult, runWrk } from "./wrk.ts";
import type { BenchOptions } from "./options.ts";

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

/** One run as a progress line. */
export function formatRun(r: RunRecord, load: Scenario["load"]): string {
  const res = r.result!;
  const parts = load === "hold"
    ? [`${res.requests} streams`, `max open ${res.maxOpen ?? "?"}`]
    : [`${res.rps.toFixed(load === "stream" ? 1 : 0)} req/s`];
  parts.push(`p50 ${res.p50Ms?.toFixed(2)} ms`, `p99 ${res.p99Ms?.toFixed(2)} ms`);
  if (load === "stream" || load === "hold") parts.push(`ttfb p50 ${res.ttfbP50Ms?.toFixed(2)} ms`);
  if (r.cpuUsPerRequest !== undefined) parts.push(`cpu ${r.cpuUsPerRequest.toFixed(0)} µs/req`);
  if (r.peakRssMb !== undefined) parts.push(`peak RSS ${r.peakRssMb.toFixed(1)} MB`);
  if ((r.stealPct ?? 0) >= 1) parts.push(`stolen ${r.stealPct!.toFixed(1)} %`);
  if ((r.loadStealPct ?? 0) >= 1) {
    parts.push(`stolen from the load ${r.loadStealPct!.toFixed(1)} %`);
  }
  if (res.errors) parts.push(`errors ${res.errors} (${res.errorDetail ?? ""})`);
  return parts.join(", ");
}

/** The benchmark's processes and runs. */
export class Bench {
  /** The run's options. */
  readonly options: BenchOptions;
  /** Which cores the processes are pinned to. */
  readonly pinning: Pinning;
  /** Whether wrk drives the non-streaming scenarios (else the Deno clients). */
  readonly wrk: boolean;
  /** Temporary directory: configs, bodies, logs. */
  readonly tmp: string;
  /** This repository (fixtures, profiles). */
  readonly repo = repoRoot();
  /** Where `--cpu-prof` profiles go. */
  readonly profileDir: string;
  /** The Claude-Code-shaped large request. */
  readonly large: ClaudeCodeRequest;
  /** Each body kind's bytes. */
  readonly bodies: Record<Scenario["body"], Uint8Array<ArrayBuffer>>;
  /** Each body kind's file, for the load tools. */
  readonly bodyFiles: Record<Scenario["body"], string>;
  /** The fake upstream, once started. */
  upstream?: Proc;
  /** The pass-through, once started. */
  passthrough?: Proc;
  /** ccgate with the Anthropic pool, once started. */
  gateway?: Proc;
  /** ccgate with an openai-compatible provider, while a translation scenario runs. */
  openaiGateway?: Proc;

  /** Prepares the bodies; starts nothing. */
  constructor(options: BenchOptions, pinning: Pinning, wrk: boolean, tmp: string) {
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

  /** Writes the request bodies to files, for the load tools. */
  async writeBodies(): Promise<void> {
    for (const [k, file] of Object.entries(this.bodyFiles)) {
      await Deno.writeFile(file, this.bodies[k as Scenario["body"]]);
    }
  }

  /** Starts the fake upstream. */
  async startUpstream(): Promise<Proc> {
    this.upstream = await startFakeUpstream(this.pinning, join(this.tmp, "upstream.log"));
    return this.upstream;
  }

  /** Starts the pass-through in front of the upstream. */
  async startPassthrough(): Promise<Proc> {
    this.passthrough = await startPassthrough(
      this.pinning,
      this.upstream!.url,
      join(this.tmp, "passthrough.log"),
    );
    return this.passthrough;
  }

  /** Starts ccgate with an Anthropic pool or an openai-compatible provider in front of the upstream. */
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
      fromSource: options.fromSource,
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

  /** The process a scenario's load goes to for `target`. */
  proc(target: TargetName, scenario: Scenario): Proc {
    if (target === "direct") return this.upstream!;
    if (target === "passthrough") return this.passthrough!;
    return scenario.gateway === "openai" ? this.openaiGateway! : this.gateway!;
  }

  /** The request headers of a scenario (the fake upstream reads its stream shape from them). */
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

  /** The request path of a scenario. */
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
    const common: LoadTarget = {
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
      const statBefore = await readProcStat();
      const measured = await peakRssDuring(
        proc.service.pid,
        () => this.load(scenario, proc.url, this.options.durationS, target),
      );
      const statAfter = await readProcStat();
      const stolen = (core?: number) =>
        stealPercent(parseCoreTimes(statBefore, core), parseCoreTimes(statAfter, core));
      // Unpinned, every core is the target's.
      if (!this.pinning.enabled) record.stealPct = stolen();
      else if (target === "direct") record.stealPct = stolen(LOAD_CPU);
      else {
        record.stealPct = stolen(GATEWAY_CPU);
        record.loadStealPct = stolen(LOAD_CPU);
      }
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

  /** A target's resident memory now, in MiB. */
  async rssMb(target: "passthrough" | "ccgate"): Promise<number | undefined> {
    const proc = target === "passthrough" ? this.passthrough : this.gateway;
    if (!proc) return undefined;
    const r = await readRss(proc.service.pid);
    return r ? r.rssKb / 1024 : undefined;
  }

  /** Stops every process the benchmark started. */
  async stopAll(): Promise<void> {
    const procs = [this.openaiGateway, this.gateway, this.passthrough, this.upstream];
    await Promise.all(procs.map((p) => p?.service.stop(12_000)));
  }
}
