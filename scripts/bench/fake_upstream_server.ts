/**
 * A fast fake upstream for the benchmark, run as its own process (pinned to the load core):
 *
 *   deno run -A scripts/bench/fake_upstream_server.ts --port 0 [--events 50] [--ttfb-ms 0]
 *     [--event-delay-ms 0]
 *
 * It prints one line `{"port":N}` once listening on 127.0.0.1, then answers:
 *
 * - `POST /v1/messages` (and `/v1/messages/count_tokens`): Anthropic JSON, or Anthropic SSE with
 *   N events (message_start, content_block_start, ping, N−6 text deltas, content_block_stop,
 *   message_delta, message_stop) when the body has `"stream": true`;
 * - `POST /v1/chat/completions`: OpenAI chat JSON, or N `chat.completion.chunk` events then
 *   `data: [DONE]` when streaming;
 * - `GET /health`, and `GET /stats` / `POST /stats/reset` (requests served, streams open now and
 *   the most open at once).
 *
 * Per request, the headers `x-bench-events`, `x-bench-ttfb-ms` (delay before the response
 * headers) and `x-bench-delay-ms` (delay between events) override the defaults; they reach the
 * fake through the gateway and the pass-through because both forward unknown headers. Response
 * bytes are built once per (model, events) and reused, so the fake costs as little CPU as it can.
 * @module
 */
import { parseArgs } from "node:util";

/** Defaults of a fake upstream; per-request headers override them. */
export interface FakeUpstreamOptions {
  /** Events per stream (at least 6 for Anthropic, 3 for OpenAI). */
  events: number;
  /** Delay before the response headers, ms. */
  ttfbMs: number;
  /** Delay between two events of a stream, ms. */
  eventDelayMs: number;
}

/** Counters the fake keeps (served at `GET /stats`). */
export interface FakeUpstreamStats {
  /** Requests answered since the last reset. */
  requests: number;
  /** Streams open now. */
  open: number;
  /** Most streams open at once since the last reset. */
  maxOpen: number;
}

const encoder = new TextEncoder();
const TEXT_PIECE = "abcdefgh";

function sse(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The Anthropic SSE events of a text answer with `n` events in all (n ≥ 6). */
export function anthropicStreamEvents(n: number, model: string): string[] {
  const deltas = Math.max(n, 6) - 6;
  const events = [
    sse("message_start", {
      type: "message_start",
      message: {
        id: "msg_bench00000000000000000001",
        type: "message",
        role: "assistant",
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: 47,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
          output_tokens: 1,
          service_tier: "standard",
        },
      },
    }),
    sse("content_block_start", {
      type: "content_block_start",
      index: 0,
      content_block: { type: "text", text: "" },
    }),
    sse("ping", { type: "ping" }),
  ];
  const delta = sse("content_block_delta", {
    type: "content_block_delta",
    index: 0,
    delta: { type: "text_delta", text: TEXT_PIECE },
  });
  for (let i = 0; i < deltas; i++) events.push(delta);
  events.push(
    sse("content_block_stop", { type: "content_block_stop", index: 0 }),
    sse("message_delta", {
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: Math.max(deltas, 1) },
    }),
    sse("message_stop", { type: "message_stop" }),
  );
  return events;
}

/** The OpenAI chat-completion SSE events of a text answer with `n` events in all (n ≥ 3). */
export function openAiStreamEvents(n: number, model: string): string[] {
  const base = { id: "chatcmpl-bench0001", object: "chat.completion.chunk", created: 1, model };
  const chunk = (delta: unknown, finish: string | null) =>
    `data: ${
      JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] })
    }\n\n`;
  const deltas = Math.max(n, 3) - 3;
  const events = [chunk({ role: "assistant", content: "" }, null)];
  const piece = chunk({ content: TEXT_PIECE }, null);
  for (let i = 0; i < deltas; i++) events.push(piece);
  events.push(
    `data: ${
      JSON.stringify({
        ...base,
        choices: [{ index: 0, delta: {}, finish_reason: "stop" }],
        usage: { prompt_tokens: 47, completion_tokens: deltas, total_tokens: 47 + deltas },
      })
    }\n\n`,
    "data: [DONE]\n\n",
  );
  return events;
}

function anthropicMessage(model: string): string {
  return JSON.stringify({
    id: "msg_bench00000000000000000001",
    type: "message",
    role: "assistant",
    model,
    content: [{ type: "text", text: "Hello from the benchmark upstream." }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: {
      input_tokens: 47,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: 9,
    },
  });
}

function openAiMessage(model: string): string {
  return JSON.stringify({
    id: "chatcmpl-bench0001",
    object: "chat.completion",
    created: 1,
    model,
    choices: [{
      index: 0,
      message: { role: "assistant", content: "Hello from the benchmark upstream." },
      finish_reason: "stop",
    }],
    usage: { prompt_tokens: 47, completion_tokens: 9, total_tokens: 56 },
  });
}

const JSON_HEADERS = {
  "content-type": "application/json",
  "request-id": "req_bench0000000000000001",
  "anthropic-ratelimit-requests-limit": "4000",
  "anthropic-ratelimit-requests-remaining": "3999",
};
const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  "request-id": "req_bench0000000000000001",
  "anthropic-ratelimit-requests-limit": "4000",
  "anthropic-ratelimit-requests-remaining": "3999",
};

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function intHeader(headers: Headers, name: string, fallback: number): number {
  const v = headers.get(name);
  if (v === null) return fallback;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

const STREAM_FLAG = /"stream"\s*:\s*true/;
const MODEL_FIELD = /"model"\s*:\s*"([^"\\]{1,200})"/;

/** A fake upstream: the request handler and its counters. */
export interface FakeUpstream {
  /** Handles one request. */
  handler(request: Request): Promise<Response>;
  /** Live counters. */
  stats: FakeUpstreamStats;
}

/** Builds the fake upstream's handler with the given defaults. */
export function createFakeUpstream(defaults: FakeUpstreamOptions): FakeUpstream {
  const stats: FakeUpstreamStats = { requests: 0, open: 0, maxOpen: 0 };
  const cache = new Map<string, Uint8Array<ArrayBuffer>[]>();
  const jsonCache = new Map<string, Uint8Array<ArrayBuffer>>();

  const events = (wire: "anthropic" | "openai", model: string, n: number) => {
    const key = `${wire}\0${model}\0${n}`;
    let list = cache.get(key);
    if (!list) {
      const text = wire === "anthropic"
        ? anthropicStreamEvents(n, model)
        : openAiStreamEvents(n, model);
      list = text.map((e) => encoder.encode(e));
      if (cache.size < 256) cache.set(key, list);
    }
    return list;
  };
  const json = (wire: "anthropic" | "openai", model: string) => {
    const key = `${wire}\0${model}`;
    let bytes = jsonCache.get(key);
    if (!bytes) {
      bytes = encoder.encode(wire === "anthropic" ? anthropicMessage(model) : openAiMessage(model));
      if (jsonCache.size < 256) jsonCache.set(key, bytes);
    }
    return bytes;
  };

  const stream = (chunks: Uint8Array<ArrayBuffer>[], delayMs: number): Response => {
    stats.open++;
    if (stats.open > stats.maxOpen) stats.maxOpen = stats.open;
    let i = 0;
    let closed = false;
    const done = () => {
      if (!closed) {
        closed = true;
        stats.open--;
      }
    };
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (i >= chunks.length) {
          done();
          controller.close();
          return;
        }
        if (delayMs > 0 && i > 0) await sleep(delayMs);
        if (closed) return;
        controller.enqueue(chunks[i++]);
      },
      cancel() {
        done();
      },
    });
    return new Response(body, { headers: SSE_HEADERS });
  };

  const handler = async (request: Request): Promise<Response> => {
    const url = request.url;
    const pathStart = url.indexOf("/", url.indexOf("//") + 2);
    const queryStart = url.indexOf("?", pathStart);
    const path = url.slice(pathStart, queryStart < 0 ? undefined : queryStart);

    if (request.method === "GET" || request.method === "HEAD") {
      if (path === "/health") return Response.json({ status: "ok" });
      if (path === "/stats") return Response.json(stats);
      if (path === "/v1/models") return Response.json({ data: [], has_more: false });
      return new Response("not found", { status: 404 });
    }
    if (path === "/stats/reset") {
      stats.requests = 0;
      stats.maxOpen = stats.open;
      return Response.json(stats);
    }
    const text = await request.text();
    stats.requests++;
    const wire = path.endsWith("/chat/completions") ? "openai" : "anthropic";
    if (wire === "anthropic" && !path.endsWith("/v1/messages")) {
      if (path.endsWith("/v1/messages/count_tokens")) {
        return Response.json({ input_tokens: 47 }, { headers: JSON_HEADERS });
      }
      return new Response("not found", { status: 404 });
    }
    const headers = request.headers;
    const ttfbMs = intHeader(headers, "x-bench-ttfb-ms", defaults.ttfbMs);
    if (ttfbMs > 0) await sleep(ttfbMs);
    const model = text.match(MODEL_FIELD)?.[1] ?? "claude-bench";
    if (!STREAM_FLAG.test(text)) {
      return new Response(json(wire, model), { headers: JSON_HEADERS });
    }
    const n = intHeader(headers, "x-bench-events", defaults.events);
    const delayMs = intHeader(headers, "x-bench-delay-ms", defaults.eventDelayMs);
    return stream(events(wire, model, n), delayMs);
  };
  return { handler, stats };
}

/** Starts a fake upstream on 127.0.0.1:`port` (0: any free port). */
export function serveFakeUpstream(
  port: number,
  defaults: FakeUpstreamOptions,
  onListen: (port: number) => void,
): Deno.HttpServer {
  const fake = createFakeUpstream(defaults);
  return Deno.serve({
    hostname: "127.0.0.1",
    port,
    onListen: (addr) => onListen((addr as Deno.NetAddr).port),
  }, fake.handler);
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      port: { type: "string", default: "0" },
      events: { type: "string", default: "50" },
      "ttfb-ms": { type: "string", default: "0" },
      "event-delay-ms": { type: "string", default: "0" },
    },
  });
  serveFakeUpstream(Number(values.port), {
    events: Number(values.events),
    ttfbMs: Number(values["ttfb-ms"]),
    eventDelayMs: Number(values["event-delay-ms"]),
  }, (port) => console.log(JSON.stringify({ port })));
  // A benchmark fake needs no graceful drain: open streams are the load tool's business.
  const stop = () => Deno.exit(0);
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
}
