/**
 * The benchmark's latency client for low concurrency, run as its own process (pinned to the
 * load core): C keep-alive HTTP/1.1 connections on raw sockets, each sending the next request
 * as soon as the previous answer is complete, timing every request with a monotonic clock:
 *
 *   deno run -A scripts/bench/closed_loop_client.ts --url URL --body-file F
 *     --headers '{"k":"v"}' --concurrency C --duration S
 *
 * Why not wrk here: at one connection wrk's latency histogram contradicts its own request count
 * (mean latency × requests exceeds the run's length, which a closed loop cannot do), so its
 * percentiles at c=1 are not per-request latencies (docs/performance.md, "Measuring c=1").
 * This client writes the request bytes itself and parses only what it needs to find the end of
 * an answer (Content-Length or chunked), so it costs a few µs per request and allocates next
 * to nothing. Prints one line `BENCH_JSON {…}` with a {@link LoadResult}.
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

/** Options of {@link runClosedLoop}. */
export interface ClosedLoopOptions {
  /** Full `http://` URL. */
  url: string;
  /** Request body (POST). */
  body: Uint8Array;
  /** Request headers. */
  headers: Record<string, string>;
  /** Connections, each with one request in flight. */
  concurrency: number;
  /** Measured seconds. */
  durationS: number;
}

const CR = 13;
const LF = 10;
const decoder = new TextDecoder();

/** Where one HTTP/1.1 answer ends in `buf[0..len)`, and its status; undefined while incomplete. */
export function responseEnd(
  buf: Uint8Array,
  len: number,
): { end: number; status: number } | undefined {
  let head = -1;
  for (let i = 3; i < len; i++) {
    if (buf[i] === LF && buf[i - 1] === CR && buf[i - 2] === LF && buf[i - 3] === CR) {
      head = i + 1;
      break;
    }
  }
  if (head < 0) return undefined;
  const text = decoder.decode(buf.subarray(0, head)).toLowerCase();
  const status = Number(text.slice(9, 12));
  const cl = /\r\ncontent-length:\s*(\d+)/.exec(text);
  if (cl) {
    const end = head + Number(cl[1]);
    return end <= len ? { end, status } : undefined;
  }
  if (!/\r\ntransfer-encoding:[^\r]*chunked/.test(text)) {
    // Neither: an answer without a body (204/304) or one delimited by close; not expected here.
    return { end: head, status };
  }
  let pos = head;
  while (true) {
    let eol = -1;
    for (let i = pos + 1; i < len; i++) {
      if (buf[i] === LF && buf[i - 1] === CR) {
        eol = i;
        break;
      }
    }
    if (eol < 0) return undefined;
    const size = parseInt(decoder.decode(buf.subarray(pos, eol - 1)), 16);
    if (Number.isNaN(size)) throw new Error("bad chunk size");
    if (size === 0) {
      // No trailers expected: the last chunk is followed by one empty line.
      return eol + 3 <= len ? { end: eol + 3, status } : undefined;
    }
    pos = eol + 1 + size + 2;
    if (pos > len) return undefined;
  }
}

function requestBytes(url: URL, body: Uint8Array, headers: Record<string, string>): Uint8Array {
  let head = `POST ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  head += `content-length: ${body.length}\r\n\r\n`;
  const headBytes = new TextEncoder().encode(head);
  const out = new Uint8Array(headBytes.length + body.length);
  out.set(headBytes);
  out.set(body, headBytes.length);
  return out;
}

/** Runs the closed loop for the duration and summarises every request completed in it. */
export async function runClosedLoop(options: ClosedLoopOptions): Promise<LoadResult> {
  const url = new URL(options.url);
  const request = requestBytes(url, options.body, options.headers);
  const latencies: number[] = [];
  const errors: string[] = [];
  let errorCount = 0;
  const start = performance.now();
  const end = start + options.durationS * 1000;

  const connection = async () => {
    let conn: Deno.TcpConn | undefined;
    let buf = new Uint8Array(64 * 1024);
    let filled = 0;
    while (performance.now() < end) {
      try {
        if (!conn) {
          conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port || 80) });
          conn.setNoDelay(true);
          filled = 0;
        }
        const t0 = performance.now();
        for (let written = 0; written < request.length;) {
          written += await conn.write(request.subarray(written));
        }
        let answer = responseEnd(buf, filled);
        while (!answer) {
          if (filled === buf.length) {
            const bigger = new Uint8Array(buf.length * 2);
            bigger.set(buf);
            buf = bigger;
          }
          const n = await conn.read(buf.subarray(filled));
          if (n === null) throw new Error("connection closed mid-answer");
          filled += n;
          answer = responseEnd(buf, filled);
        }
        const t1 = performance.now();
        if (t1 <= end) {
          if (answer.status >= 200 && answer.status < 300) latencies.push(t1 - t0);
          else {
            errorCount++;
            if (errors.length < 3) errors.push(`HTTP ${answer.status}`);
          }
        }
        buf.copyWithin(0, answer.end, filled);
        filled -= answer.end;
      } catch (error) {
        errorCount++;
        if (errors.length < 3) errors.push((error as Error).message);
        try {
          conn?.close();
        } catch { /* closed */ }
        conn = undefined;
      }
    }
    try {
      conn?.close();
    } catch { /* closed */ }
  };
  await Promise.all(Array.from({ length: options.concurrency }, connection));
  const windowS = options.durationS;
  const d = distribution(latencies);
  return {
    requests: latencies.length,
    durationS: windowS,
    rps: latencies.length / windowS,
    p50Ms: d.p50,
    p90Ms: d.p90,
    p99Ms: d.p99,
    maxMs: d.max,
    errors: errorCount,
    errorDetail: errors.length ? [...new Set(errors)].join(" | ") : undefined,
  };
}

/** One spawned run of this client. */
export interface ClosedLoopRun extends Omit<ClosedLoopOptions, "body">, LoadTarget {}

/** Runs this file as its own process (pinned to the load core) and returns its result. */
export async function spawnClosedLoopClient(run: ClosedLoopRun): Promise<LoadResult> {
  const args = loadScriptArgs(import.meta.url, run, [
    "--concurrency",
    String(run.concurrency),
    "--duration",
    String(run.durationS),
  ]);
  return await runBenchJson(args, run.durationS + 30, "closed-loop client") as LoadResult;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      ...LOAD_SCRIPT_OPTIONS,
      concurrency: { type: "string", default: "1" },
      duration: { type: "string", default: "5" },
    },
  });
  const result = await runClosedLoop({
    ...await loadScriptRequest(values, "closed_loop_client.ts"),
    concurrency: Number(values.concurrency),
    durationS: Number(values.duration),
  });
  console.log(`BENCH_JSON ${JSON.stringify(result)}`);
}
