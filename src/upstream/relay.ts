/**
 * Relays a successful upstream response to the client. Streams pass through chunk by chunk
 * (complete SSE events only, so a failure can always be reported as a clean `error` event);
 * the first chunk is awaited before the client is committed, so an upstream that fails at once
 * still fails over. JSON bodies are read whole (they are small) and passed on byte for byte.
 * @module
 */
import type { WireProtocol } from "../protocol/wire.ts";
import type { Usage } from "../routing/call.ts";
import { forwardableResponseHeaders } from "../providers/shared/headers.ts";
import { UpstreamFailure, type UpstreamResponse } from "./fetch_upstream.ts";
import { type Verdict, verdictForErrorType } from "./outcome.ts";

/** How a relayed response ended. */
export interface RelayResult {
  /** Usage read from the response. */
  usage: Usage;
  /** Set when the stream failed after the client was committed. */
  error?: string;
  /** The client went away. */
  cancelled?: boolean;
  /** Time to first byte relayed (ms since `startedAt`). */
  ttfbMs?: number;
}

/** A failure found before anything reached the client: the caller fails over. */
export interface EarlyFailure {
  /** What it means for the account. */
  verdict: Verdict;
  /** For logs. */
  message: string;
}

/** Options for {@link relay}. */
export interface RelayOptions {
  /** The client's protocol (the response is already in it). */
  wire: WireProtocol;
  /** Longest silence between chunks. */
  readMs: number;
  /** Extra headers for the client (gateway ids). */
  headers: Record<string, string>;
  /** performance.now() when the request arrived. */
  startedAt: number;
  /** Hears thinking signatures in the response (for signature hygiene). */
  onSignature?: (signature: string) => void;
  /** Called exactly once when the response is finished, failed or cancelled. */
  onFinish(result: RelayResult): void;
}

const LF = 10;
const CR = 13;

/** Index just past the last blank line (event boundary) in `buf`, or 0 if none. */
export function lastEventBoundary(buf: Uint8Array<ArrayBuffer>): number {
  for (let i = buf.length - 1; i > 0; i--) {
    if (buf[i] !== LF) continue;
    if (buf[i - 1] === LF) return i + 1;
    if (buf[i - 1] === CR && i >= 2 && buf[i - 2] === LF) return i + 1;
  }
  return 0;
}

function concat(a: Uint8Array<ArrayBuffer>, b: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

async function readChunk(
  reader: ReadableStreamDefaultReader<Uint8Array<ArrayBuffer>>,
  up: UpstreamResponse,
): Promise<ReadableStreamReadResult<Uint8Array<ArrayBuffer>>> {
  try {
    return await reader.read();
  } catch (error) {
    const reason = up.signal.reason;
    throw reason instanceof UpstreamFailure
      ? reason
      : new UpstreamFailure("network", (error as Error).message);
  }
}

/**
 * Aborts the upstream after `readMs` without a chunk. One timer per stream, re-armed only when
 * it fires early: a timer per chunk costs more than the chunk.
 */
class IdleWatch {
  #last = performance.now();
  #timer?: ReturnType<typeof setTimeout>;
  readonly #readMs: number;
  readonly #up: UpstreamResponse;

  constructor(up: UpstreamResponse, readMs: number) {
    this.#up = up;
    this.#readMs = readMs;
    if (readMs > 0) this.#arm(readMs);
  }

  #arm(ms: number) {
    this.#timer = setTimeout(() => {
      const idle = performance.now() - this.#last;
      if (idle >= this.#readMs) {
        this.#up.abort(new UpstreamFailure("timeout", `upstream silent for ${this.#readMs} ms`));
      } else {
        this.#arm(this.#readMs - idle);
      }
    }, ms);
  }

  touch() {
    this.#last = performance.now();
  }

  stop() {
    clearTimeout(this.#timer);
  }
}

const encoder = new TextEncoder();

/** Relays a 2xx upstream response; returns the client response or an early failure. */
export async function relay(
  up: UpstreamResponse,
  options: RelayOptions,
): Promise<{ response: Response } | { failure: EarlyFailure }> {
  const headers = forwardableResponseHeaders(up.response.headers);
  for (const [k, v] of Object.entries(options.headers)) headers.set(k, v);
  const isSse = (up.response.headers.get("content-type") ?? "").includes("text/event-stream");
  if (!up.response.body) {
    options.onFinish({ usage: {} });
    return { response: new Response(null, { status: up.response.status, headers }) };
  }
  if (!isSse) return await relayJson(up, headers, options);

  const reader = up.response.body.getReader();
  const watch = new IdleWatch(up, options.readMs);
  let first: Uint8Array<ArrayBuffer> | undefined;
  try {
    // Read until one complete event: only then is it safe to commit the client.
    let pending = new Uint8Array(0);
    while (true) {
      const r = await readChunk(reader, up);
      watch.touch();
      if (r.done) {
        if (pending.length === 0) {
          return { failure: { verdict: "server_error", message: "upstream stream was empty" } };
        }
        first = pending;
        break;
      }
      pending = concat(pending, r.value);
      if (lastEventBoundary(pending) > 0) {
        first = pending;
        break;
      }
    }
  } catch (error) {
    watch.stop();
    const failure = error instanceof UpstreamFailure
      ? error
      : new UpstreamFailure("network", String(error));
    return {
      failure: {
        verdict: failure.kind === "aborted" ? "client_error" : "server_error",
        message: failure.message,
      },
    };
  }
  const lead = options.wire.leadingError(first);
  if (lead) {
    watch.stop();
    reader.cancel().catch(() => {});
    return {
      failure: {
        verdict: verdictForErrorType(lead.type),
        message: `stream error event: ${lead.type}: ${lead.message ?? ""}`,
      },
    };
  }

  const tap = options.wire.createTap(options.onSignature);
  let finished = false;
  let ttfbMs: number | undefined;
  const finish = (extra: Partial<RelayResult>) => {
    if (finished) return;
    finished = true;
    watch.stop();
    options.onFinish({ usage: tap.state.usage, ttfbMs, ...extra });
  };
  const boundary = lastEventBoundary(first);
  let tail = first.subarray(boundary);
  const head = first.subarray(0, boundary);
  tap.push(head);

  const body = new ReadableStream<Uint8Array<ArrayBuffer>>({
    start(controller) {
      ttfbMs = performance.now() - options.startedAt;
      controller.enqueue(head);
    },
    async pull(controller) {
      try {
        const r = await readChunk(reader, up);
        watch.touch();
        if (r.done) {
          if (tail.length) {
            tap.push(tail);
            controller.enqueue(tail);
          }
          if (!tap.state.stopped && !tap.state.errorType) {
            const message = "upstream stream ended before its end marker";
            controller.enqueue(encoder.encode(options.wire.errorEvent("api_error", message)));
            finish({ error: message });
          } else {
            finish(
              tap.state.errorType ? { error: `upstream error event: ${tap.state.errorType}` } : {},
            );
          }
          controller.close();
          return;
        }
        const buf = concat(tail, r.value);
        const cut = lastEventBoundary(buf);
        tail = buf.subarray(cut);
        if (cut > 0) {
          const out = buf.subarray(0, cut);
          tap.push(out);
          controller.enqueue(out);
        }
      } catch (error) {
        const failure = error instanceof UpstreamFailure
          ? error
          : new UpstreamFailure("network", String(error));
        if (failure.kind === "aborted") {
          finish({ cancelled: true, error: "client disconnected" });
          controller.error(failure);
          return;
        }
        const type = failure.kind === "timeout" ? "timeout_error" : "api_error";
        controller.enqueue(
          encoder.encode(
            options.wire.errorEvent(type, `upstream stream failed: ${failure.message}`),
          ),
        );
        finish({ error: failure.message });
        controller.close();
      }
    },
    cancel() {
      up.abort(new UpstreamFailure("aborted", "client disconnected"));
      reader.cancel().catch(() => {});
      finish({ cancelled: true, error: "client disconnected" });
    },
  }, { highWaterMark: 0 });
  return { response: new Response(body, { status: up.response.status, headers }) };
}

async function relayJson(
  up: UpstreamResponse,
  headers: Headers,
  options: RelayOptions,
): Promise<{ response: Response } | { failure: EarlyFailure }> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await readAll(up, options.readMs);
  } catch (error) {
    const failure = error instanceof UpstreamFailure
      ? error
      : new UpstreamFailure("network", String(error));
    return {
      failure: {
        verdict: failure.kind === "aborted" ? "client_error" : "server_error",
        message: failure.message,
      },
    };
  }
  let usage: Usage;
  try {
    const json = JSON.parse(new TextDecoder().decode(bytes));
    usage = json && typeof json === "object" ? options.wire.jsonUsage(json) : {};
    if (options.onSignature && Array.isArray(json?.content)) {
      for (const block of json.content) {
        if (typeof block?.signature === "string") options.onSignature(block.signature);
      }
    }
  } catch {
    return {
      failure: { verdict: "server_error", message: "upstream answered 2xx with invalid JSON" },
    };
  }
  options.onFinish({ usage, ttfbMs: performance.now() - options.startedAt });
  return { response: new Response(bytes, { status: up.response.status, headers }) };
}

/** Reads a whole upstream body with an idle timeout between chunks. */
export async function readAll(
  up: UpstreamResponse,
  readMs: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const reader = up.response.body!.getReader();
  const watch = new IdleWatch(up, readMs);
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let size = 0;
  try {
    while (true) {
      const r = await readChunk(reader, up);
      watch.touch();
      if (r.done) break;
      chunks.push(r.value);
      size += r.value.length;
    }
  } finally {
    watch.stop();
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}
