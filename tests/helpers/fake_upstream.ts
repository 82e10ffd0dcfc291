/**
 * A fake Anthropic-format upstream on 127.0.0.1 that behaves like the real API: SSE framing
 * with the real event sequence, error bodies, rate-limit headers, delays and broken streams.
 * Each request is recorded; a script decides each answer.
 * @module
 */

/** A request as the fake received it. */
export interface Recorded {
  method: string;
  path: string;
  search: string;
  headers: Headers;
  body: string;
  /** The credential used (x-api-key or bearer). */
  key: string | undefined;
  json(): any;
}

/** What the fake does for one request. */
export type Behaviour =
  | {
    kind: "text";
    text?: string;
    inputTokens?: number;
    outputTokens?: number;
    eventDelayMs?: number;
    headers?: Record<string, string>;
  }
  | {
    kind: "error";
    status: number;
    type?: string;
    message?: string;
    headers?: Record<string, string>;
  }
  | { kind: "stream-error"; afterDeltas: number; type?: string }
  | { kind: "truncate"; afterDeltas: number }
  | { kind: "stall"; afterDeltas: number }
  | { kind: "hang" }
  | { kind: "raw"; response: () => Response };

/** Decides the behaviour for the n-th request (0-based). */
export type Script = (req: Recorded, n: number) => Behaviour;

const encoder = new TextEncoder();

/** One SSE event as Anthropic frames it. */
export function sseEvent(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The full event list of a text answer (same sequence as the captured responses). */
export function textEvents(
  model: string,
  text: string,
  inputTokens = 47,
  outputTokens = 17,
): string[] {
  const id = `msg_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
  const pieces = text.match(/.{1,8}/gs) ?? [""];
  return [
    sseEvent("message_start", {
      type: "message_start",
      message: {
        id,
        type: "message",
        role: "assistant",
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: inputTokens,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 5,
          output_tokens: 1,
          service_tier: "standard",
        },
      },
    }),
    sseEvent("content_block_start", {
      type: "content_block_start",
      index: 0,
      content_block: { type: "text", text: "" },
    }),
    sseEvent("ping", { type: "ping" }),
    ...pieces.map((t) =>
      sseEvent("content_block_delta", {
        type: "content_block_delta",
        index: 0,
        delta: { type: "text_delta", text: t },
      })
    ),
    sseEvent("content_block_stop", { type: "content_block_stop", index: 0 }),
    sseEvent("message_delta", {
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: outputTokens },
    }),
    sseEvent("message_stop", { type: "message_stop" }),
  ];
}

/** A non-streaming message body. */
export function textMessage(model: string, text: string, inputTokens = 47, outputTokens = 17) {
  return {
    id: `msg_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`,
    type: "message",
    role: "assistant",
    model,
    content: [{ type: "text", text }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: {
      input_tokens: inputTokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: outputTokens,
    },
  };
}

const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  529: "overloaded_error",
};

function delay(ms: number, signal?: AbortSignal) {
  return new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}

/** A running fake upstream. */
export class FakeUpstream {
  /** Every request received, in order. */
  readonly requests: Recorded[] = [];
  /** Requests whose client went away before the answer finished. */
  aborted = 0;
  /** Streams still open. */
  openStreams = 0;
  readonly #server: Deno.HttpServer;
  #closing?: Promise<void>;
  readonly url: string;
  script: Script;

  private constructor(server: Deno.HttpServer, url: string, script: Script) {
    this.#server = server;
    this.url = url;
    this.script = script;
  }

  /** Starts a fake answering with `script` (default: a text answer). */
  static start(script: Script = () => ({ kind: "text" })): Promise<FakeUpstream> {
    // The handler runs only after `fake` exists: requests cannot arrive before start returns.
    const server: Deno.HttpServer<Deno.NetAddr> = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (req): Promise<Response> => fake.#handle(req),
    );
    const fake: FakeUpstream = new FakeUpstream(
      server,
      `http://127.0.0.1:${server.addr.port}`,
      script,
    );
    return Promise.resolve(fake);
  }

  /** The requests made with credential `key`. */
  byKey(key: string): Recorded[] {
    return this.requests.filter((r) => r.key === key);
  }

  async #handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const body = await req.text();
    const key = req.headers.get("x-api-key") ??
      req.headers.get("authorization")?.replace(/^Bearer /i, "") ?? undefined;
    const rec: Recorded = {
      method: req.method,
      path: url.pathname,
      search: url.search,
      headers: req.headers,
      body,
      key,
      json: () => JSON.parse(body),
    };
    const n = this.requests.length;
    this.requests.push(rec);
    req.signal.addEventListener("abort", () => this.aborted++, { once: true });
    const behaviour = this.script(rec, n);
    let parsed: any = {};
    try {
      parsed = body ? JSON.parse(body) : {};
    } catch { /* the fake answers anyway */ }
    const model = parsed.model ?? "claude-test";
    const requestId = `req_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;

    if (url.pathname.endsWith("/count_tokens") && behaviour.kind === "text") {
      return Response.json({ input_tokens: 20 }, { headers: { "request-id": requestId } });
    }
    if (url.pathname.endsWith("/v1/models") && behaviour.kind === "text") {
      return Response.json({ data: [], has_more: false, first_id: null, last_id: null });
    }
    switch (behaviour.kind) {
      case "raw":
        return behaviour.response();
      case "error": {
        const type = behaviour.type ?? ERROR_TYPES[behaviour.status] ?? "api_error";
        return new Response(
          JSON.stringify({
            type: "error",
            error: { type, message: behaviour.message ?? type },
            request_id: requestId,
          }),
          {
            status: behaviour.status,
            headers: {
              "content-type": "application/json",
              "request-id": requestId,
              ...behaviour.headers,
            },
          },
        );
      }
      case "hang":
        await delay(60_000, req.signal);
        return new Response(null, { status: 504 });
      case "text": {
        const text = behaviour.text ?? "Hello from the fake upstream.";
        const headers = {
          "request-id": requestId,
          "anthropic-ratelimit-requests-remaining": "99",
          ...behaviour.headers,
        };
        if (!parsed.stream) {
          return Response.json(
            textMessage(model, text, behaviour.inputTokens, behaviour.outputTokens),
            { headers },
          );
        }
        return this.#stream(
          textEvents(model, text, behaviour.inputTokens, behaviour.outputTokens),
          headers,
          req.signal,
          {
            eventDelayMs: behaviour.eventDelayMs,
          },
        );
      }
      default: {
        // stream-error / truncate / stall: a stream that goes wrong after some deltas.
        const events = textEvents(model, "abcdefgh".repeat(Math.max(behaviour.afterDeltas, 0) + 2));
        const cut = Math.max(3 + behaviour.afterDeltas, 0); // message_start, block_start, ping, deltas…
        let tail: string[] = [];
        if (behaviour.kind === "stream-error") {
          tail = [
            sseEvent("error", {
              type: "error",
              error: { type: behaviour.type ?? "overloaded_error", message: "Overloaded" },
            }),
          ];
        }
        return this.#stream(
          [...events.slice(0, cut), ...tail],
          { "request-id": requestId },
          req.signal,
          {
            stall: behaviour.kind === "stall",
          },
        );
      }
    }
  }

  #stream(
    events: string[],
    headers: Record<string, string>,
    signal: AbortSignal,
    options: { eventDelayMs?: number; stall?: boolean },
  ) {
    const count = (delta: number) => (this.openStreams += delta);
    let i = 0;
    let counted = false;
    let done = false;
    const finish = () => {
      if (counted && !done) count(-1);
      done = true;
    };
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (!counted) {
          counted = true;
          count(1);
        }
        if (i >= events.length) {
          if (options.stall) {
            await delay(60_000, signal);
          }
          finish();
          controller.close();
          return;
        }
        if (options.eventDelayMs && i > 0) await delay(options.eventDelayMs, signal);
        if (signal.aborted) {
          finish();
          controller.error(new Error("client gone"));
          return;
        }
        controller.enqueue(encoder.encode(events[i++]));
      },
      cancel() {
        finish();
      },
    });
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        ...headers,
      },
    });
  }

  /** Stops the server (idempotent: later calls return the first one's promise). */
  close(): Promise<void> {
    return this.#closing ??= this.#server.shutdown();
  }

  /** Stops the server at the end of an `await using` scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** A port with nothing listening on it (connection refused). */
export function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
