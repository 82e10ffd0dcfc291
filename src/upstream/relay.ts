/**
 * Relays a successful upstream response to the client. Streams pass through chunk by chunk
 * (complete SSE events only, so a failure can always be reported as a clean `error` event);
 * the first chunk is awaited before the client is committed, so an upstream that fails at once
 * still fails over. JSON bodies are read whole (they are small) and passed on byte for byte;
 * their usage is booked after the answer is written.
 * @module
 */
import type { WireProtocol } from "../protocol/wire.ts";
import type { Usage } from "../routing/call.ts";
import { responseHeaderList } from "../providers/shared/headers.ts";
import { afterResponse } from "../util/after_response.ts";
import { ChunkSource } from "./chunk_source.ts";
import { armDeadline, type Deadline } from "./deadlines.ts";
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
  /** Sent as `request-id` when the upstream sent none. */
  requestId?: string;
  /** performance.now() when the request arrived. */
  startedAt: number;
  /** Hears thinking signatures in the response (for signature hygiene). */
  onSignature?: (signature: string) => void;
  /**
   * Called exactly once when the response is finished (a JSON answer: just after it is
   * written), failed or cancelled.
   */
  onFinish(result: RelayResult): void;
}

const LF = 10;
/** Statuses whose answers have no body (a Response refuses one). */
export const NULL_BODY_STATUS: ReadonlySet<number> = new Set([204, 205, 304]);
const EMPTY: Uint8Array<ArrayBuffer> = new Uint8Array(0);
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

/**
 * Aborts the upstream after `readMs` without a chunk, on the request's own deadline moved
 * forward by each chunk (no timer of its own).
 */
class IdleWatch {
  readonly #deadline: Deadline;
  readonly #readMs: number;

  constructor(up: UpstreamResponse, readMs: number) {
    this.#readMs = readMs;
    up.deadline?.cancel();
    this.#deadline = armDeadline(
      readMs,
      () => up.abort(new UpstreamFailure("timeout", `upstream silent for ${readMs} ms`)),
    );
  }

  touch() {
    this.#deadline.touch(this.#readMs);
  }

  stop() {
    this.#deadline.cancel();
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Relays a 2xx upstream response; returns the client response or an early failure. */
export async function relay(
  up: UpstreamResponse,
  options: RelayOptions,
): Promise<{ response: Response } | { failure: EarlyFailure }> {
  const extra = up.response.headers.has("request-id") || !options.requestId
    ? options.headers
    : { ...options.headers, "request-id": options.requestId };
  const headers = responseHeaderList(up.response.headers, extra);
  const isSse = (up.response.headers.get("content-type") ?? "").includes("text/event-stream");
  // A JSON answer is read whole (without asking for its body as a stream, which the HTTP/1.1
  // client would have to make for it).
  if (!isSse || NULL_BODY_STATUS.has(up.response.status)) {
    return await relayJson(up, headers, options);
  }
  const source = ChunkSource.open(up);
  if (!source) {
    options.onFinish({ usage: {} });
    return { response: new Response(null, { status: up.response.status, headers }) };
  }
  const watch = new IdleWatch(up, options.readMs);
  // Owned copies of what the relay keeps: chunks from a BYOB source die at the next read.
  const own = (b: Uint8Array<ArrayBuffer>) => (source.transient ? b.slice() : b);
  let first: Uint8Array<ArrayBuffer> | undefined;
  try {
    // Read until one complete event: only then is it safe to commit the client.
    let pending: Uint8Array<ArrayBuffer> = new Uint8Array(0);
    while (true) {
      const chunk = await source.read();
      watch.touch();
      if (chunk === null) {
        if (pending.length === 0) {
          watch.stop();
          return { failure: { verdict: "server_error", message: "upstream stream was empty" } };
        }
        first = pending;
        break;
      }
      pending = pending.length ? concat(pending, chunk) : own(chunk);
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
    source.cancel();
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
  let tail: Uint8Array<ArrayBuffer> = first.subarray(boundary);
  const head = first.subarray(0, boundary);
  tap.push(head);

  const body = new ReadableStream<Uint8Array<ArrayBuffer>>({
    start(controller) {
      ttfbMs = performance.now() - options.startedAt;
      controller.enqueue(head);
    },
    async pull(controller) {
      try {
        const chunk = await source.read();
        watch.touch();
        if (chunk === null) {
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
        const buf = tail.length ? concat(tail, chunk) : chunk;
        const cut = lastEventBoundary(buf);
        if (cut > 0) {
          // The client's writer reads the chunk later: copy out of a reused buffer.
          const out = buf === chunk ? own(buf.subarray(0, cut)) : buf.subarray(0, cut);
          tap.push(out);
          controller.enqueue(out);
        }
        // Usually the chunk ends on an event boundary: no tail, and no allocation for one.
        tail = cut === buf.length
          ? EMPTY
          : buf === chunk
          ? own(buf.subarray(cut))
          : buf.subarray(cut);
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
      source?.cancel();
      finish({ cancelled: true, error: "client disconnected" });
    },
  }, { highWaterMark: 0 });
  return { response: new Response(body, { status: up.response.status, headers }) };
}

async function relayJson(
  up: UpstreamResponse,
  headers: [string, string][],
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
  if (bytes.byteLength === 0 && NULL_BODY_STATUS.has(up.response.status)) {
    options.onFinish({ usage: {} });
    return { response: new Response(null, { status: up.response.status, headers }) };
  }
  let usage: Usage;
  try {
    const json = JSON.parse(decoder.decode(bytes));
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
  // Usage, the record and its log line are booked after the answer is written: at one
  // connection that takes ~30 µs off every request's latency (closed-loop, paired rounds).
  const finished: RelayResult = { usage, ttfbMs: performance.now() - options.startedAt };
  afterResponse(() => options.onFinish(finished));
  return { response: new Response(bytes, { status: up.response.status, headers }) };
}

/**
 * Reads a whole upstream body within `readMs` (empty when there is none). `arrayBuffer()` reads a
 * fetch body natively in one call (chunked reads would allocate a 64 KiB buffer per chunk) and
 * takes an HTTP/1.1 answer that arrived with its head without a copy.
 */
export async function readAll(
  up: UpstreamResponse,
  readMs: number,
): Promise<Uint8Array<ArrayBuffer>> {
  // The request's deadline (if still armed) now bounds the body: no second timer.
  const deadline = up.deadline ?? armDeadline(
    readMs,
    () =>
      up.abort(new UpstreamFailure("timeout", `upstream body not complete within ${readMs} ms`)),
  );
  try {
    return new Uint8Array(await up.response.arrayBuffer());
  } catch (error) {
    const reason = up.signal.reason;
    throw reason instanceof UpstreamFailure
      ? reason
      : new UpstreamFailure("network", (error as Error).message);
  } finally {
    deadline.cancel();
    up.release();
  }
}
