/**
 * The benchmark's streaming client, run as its own process (pinned to the load core). It POSTs
 * a body and reads each response to its end, recording the time to first body byte and the
 * total time of every request:
 *
 *   deno run -A scripts/bench/stream_client.ts --url URL --body-file F --headers '{"k":"v"}'
 *     (--concurrency C --duration S [--warmup S] | --count N) [--ramp-ms MS] [--sse]
 *
 * Duration mode keeps C requests in flight and counts those completed inside the measured
 * window (after the warm-up); with a ramp, the C workers start spread over it. Hold mode opens
 * N requests at once (spread over the ramp) and waits for all of them: with a slow upstream
 * that holds N streams open together. It prints one line `BENCH_JSON {…}` with a
 * {@link LoadResult}. With `--sse`, a stream without `message_stop` at its end counts as an
 * error.
 * @module
 */
import { parseArgs } from "node:util";
import {
  LOAD_SCRIPT_OPTIONS,
  loadScriptArgs,
  loadScriptRequest,
  type LoadTarget,
  runBenchJson,
} from "./processes.ts";
import { distribution } from "./stats.ts";
import type { LoadResult } from "./wrk.ts";

/** Options of {@link runStreamLoad}. */
export interface StreamLoadOptions {
  /** Full URL. */
  url: string;
  /** Request body. */
  body: Uint8Array<ArrayBuffer>;
  /** Request headers. */
  headers: Record<string, string>;
  /** Expect an Anthropic SSE stream ending in message_stop. */
  sse: boolean;
  /** Duration mode: requests in flight. */
  concurrency?: number;
  /** Duration mode: measured seconds. */
  durationS?: number;
  /** Duration mode: unmeasured seconds first. */
  warmupS?: number;
  /** Hold mode: requests opened together. */
  count?: number;
  /**
   * Hold mode: spread the openings over this many ms. Duration mode: spread the workers'
   * first requests over this many ms (a stream's length), so equal-length streams are not
   * phase-locked into bursts of C requests that all arrive together.
   */
  rampMs?: number;
  /** Hard limit for the whole run, seconds (requests still open are aborted). */
  timeoutS?: number;
}

interface Sample {
  ok: boolean;
  ttfbMs: number;
  totalMs: number;
  end: number;
  error?: string;
}

const decoder = new TextDecoder();

async function once(
  url: string,
  init: RequestInit,
  sse: boolean,
): Promise<Sample> {
  const t0 = performance.now();
  let first = NaN;
  try {
    const res = await fetch(url, init);
    let prev: Uint8Array | undefined;
    let last: Uint8Array | undefined;
    if (res.body) {
      const reader = res.body.getReader();
      while (true) {
        const r = await reader.read();
        if (r.done) break;
        if (Number.isNaN(first)) first = performance.now();
        prev = last;
        last = r.value;
      }
    }
    const end = performance.now();
    if (Number.isNaN(first)) first = end;
    const sample = { ok: true, ttfbMs: first - t0, totalMs: end - t0, end };
    if (res.status !== 200) {
      const text = last ? decoder.decode(last.subarray(0, 200)) : "";
      return { ...sample, ok: false, error: `HTTP ${res.status} ${text}` };
    }
    if (sse) {
      const tail = (prev ? decoder.decode(prev.subarray(-100)) : "") +
        (last ? decoder.decode(last.subarray(-100)) : "");
      if (!tail.includes("message_stop")) {
        return { ...sample, ok: false, error: "stream ended without message_stop" };
      }
    }
    return sample;
  } catch (error) {
    const end = performance.now();
    return {
      ok: false,
      ttfbMs: NaN,
      totalMs: end - t0,
      end,
      error: (error as Error).message ?? String(error),
    };
  }
}

function summarise(samples: Sample[], windowS: number, extra: Partial<LoadResult>): LoadResult {
  const good = samples.filter((s) => s.ok);
  const bad = samples.filter((s) => !s.ok);
  const total = distribution(good.map((s) => s.totalMs));
  const ttfb = distribution(good.map((s) => s.ttfbMs));
  const reasons = [...new Set(bad.map((s) => s.error ?? "error"))].slice(0, 3);
  return {
    requests: good.length,
    durationS: windowS,
    rps: good.length / windowS,
    p50Ms: total.p50,
    p90Ms: total.p90,
    p99Ms: total.p99,
    maxMs: total.max,
    errors: bad.length,
    errorDetail: reasons.length ? reasons.join(" | ") : undefined,
    ttfbP50Ms: ttfb.p50,
    ttfbP99Ms: ttfb.p99,
    ...extra,
  };
}

/** Runs one load (duration or hold mode) and summarises it. */
export async function runStreamLoad(options: StreamLoadOptions): Promise<LoadResult> {
  const controller = new AbortController();
  const init: RequestInit = {
    method: "POST",
    headers: { "accept-encoding": "identity", ...options.headers },
    body: options.body,
    signal: controller.signal,
  };
  const samples: Sample[] = [];

  if (options.count !== undefined) {
    const count = options.count;
    const rampMs = options.rampMs ?? 0;
    const hardMs = (options.timeoutS ?? 120) * 1000;
    const killer = setTimeout(() => controller.abort(new Error("run timed out")), hardMs);
    const start = performance.now();
    const runs: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const at = count > 1 ? (rampMs * i) / (count - 1) : 0;
      const wait = start + at - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      runs.push(once(options.url, init, options.sse).then((s) => void samples.push(s)));
    }
    await Promise.all(runs);
    clearTimeout(killer);
    return summarise(samples, (performance.now() - start) / 1000, {});
  }

  const concurrency = options.concurrency ?? 1;
  const durationMs = (options.durationS ?? 5) * 1000;
  const start = performance.now();
  const windowStart = start + (options.warmupS ?? 0) * 1000;
  const windowEnd = windowStart + durationMs;
  const hardMs = windowEnd - start + (options.timeoutS ?? 15) * 1000;
  const killer = setTimeout(() => controller.abort(new Error("run timed out")), hardMs);
  const rampMs = options.rampMs ?? 0;
  const worker = async (_: unknown, k: number) => {
    if (rampMs > 0 && k > 0) await new Promise((r) => setTimeout(r, (rampMs * k) / concurrency));
    while (performance.now() < windowEnd) {
      const s = await once(options.url, init, options.sse);
      if (s.end >= windowStart && s.end <= windowEnd) samples.push(s);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  clearTimeout(killer);
  return summarise(samples, durationMs / 1000, {});
}

/** Options of {@link spawnStreamClient}. */
export interface StreamClientRun extends LoadTarget {
  /** Expect Anthropic SSE. */
  sse: boolean;
  /** Duration mode: in flight. */
  concurrency?: number;
  /** Duration mode: measured seconds. */
  durationS?: number;
  /** Duration mode: warm-up seconds. */
  warmupS?: number;
  /** Hold mode: streams. */
  count?: number;
  /** Ramp, ms (hold mode: openings; duration mode: workers' starts). */
  rampMs?: number;
  /** Hard limit after the expected end, seconds. */
  timeoutS: number;
}

/** Runs this file as its own process (pinned to the load core) and returns its result. */
export async function spawnStreamClient(run: StreamClientRun): Promise<LoadResult> {
  const flags: string[] = ["--timeout", String(run.timeoutS)];
  if (run.sse) flags.push("--sse");
  const opt = (name: string, v: number | undefined) => {
    if (v !== undefined) flags.push(`--${name}`, String(v));
  };
  opt("concurrency", run.concurrency);
  opt("duration", run.durationS);
  opt("warmup", run.warmupS);
  opt("count", run.count);
  opt("ramp-ms", run.rampMs);
  const args = loadScriptArgs(import.meta.url, run, flags);
  const limitS = (run.durationS ?? 0) + (run.warmupS ?? 0) + (run.rampMs ?? 0) / 1000 +
    run.timeoutS + 20;
  return await runBenchJson(args, limitS, "stream client") as LoadResult;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      ...LOAD_SCRIPT_OPTIONS,
      sse: { type: "boolean", default: false },
      concurrency: { type: "string" },
      duration: { type: "string" },
      warmup: { type: "string" },
      count: { type: "string" },
      "ramp-ms": { type: "string" },
      timeout: { type: "string" },
    },
  });
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const result = await runStreamLoad({
    ...await loadScriptRequest(values, "stream_client.ts"),
    sse: values.sse,
    concurrency: num(values.concurrency),
    durationS: num(values.duration),
    warmupS: num(values.warmup),
    count: num(values.count),
    rampMs: num(values["ramp-ms"]),
    timeoutS: num(values.timeout),
  });
  console.log(`BENCH_JSON ${JSON.stringify(result)}`);
  Deno.exit(0);
}
