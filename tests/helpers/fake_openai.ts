/**
 * A fake OpenAI-compatible upstream on 127.0.0.1: Chat Completions JSON and SSE (`data:` lines,
 * `[DONE]`, a usage chunk when asked), tool calls split into fragments, DeepSeek's
 * `reasoning_content`, OpenRouter's `reasoning`, rate-limit errors, and broken streams.
 * @module
 */

/** A request as the fake received it. */
export interface OpenAIRecorded {
  path: string;
  search: string;
  headers: Headers;
  body: any;
}

/** One scripted answer. */
export type OpenAIBehaviour =
  | {
    kind: "reply";
    text?: string;
    reasoning?: string;
    reasoningField?: "reasoning_content" | "reasoning";
    toolCalls?: { id: string; name: string; arguments: string }[];
    finish?: string;
    usage?: { prompt_tokens: number; completion_tokens: number; cached?: number };
  }
  | {
    kind: "error";
    status: number;
    type?: string;
    message?: string;
    headers?: Record<string, string>;
  }
  | { kind: "garbage"; lines: string[] };

const encoder = new TextEncoder();

function chunk(
  id: string,
  model: string,
  delta: Record<string, unknown>,
  finish: string | null = null,
  usage: unknown = null,
) {
  return `data: ${
    JSON.stringify({
      id,
      object: "chat.completion.chunk",
      created: 1,
      model,
      choices: [{ index: 0, delta, finish_reason: finish }],
      usage,
    })
  }\n\n`;
}

/** The SSE lines of a scripted reply (tool-call arguments split into 3-character fragments). */
export function replyLines(
  model: string,
  b: Extract<OpenAIBehaviour, { kind: "reply" }>,
  includeUsage: boolean,
): string[] {
  const id = "chatcmpl-fake";
  const lines = [chunk(id, model, { role: "assistant", content: "" })];
  const field = b.reasoningField ?? "reasoning_content";
  if (b.reasoning) {
    for (const piece of b.reasoning.match(/.{1,6}/gs)!) {
      lines.push(chunk(id, model, { [field]: piece }));
    }
  }
  if (b.text) {
    for (const piece of b.text.match(/.{1,6}/gs)!) {
      lines.push(chunk(id, model, { content: piece }));
    }
  }
  (b.toolCalls ?? []).forEach((tc, index) => {
    lines.push(
      chunk(id, model, {
        tool_calls: [{
          index,
          id: tc.id,
          type: "function",
          function: { name: tc.name, arguments: "" },
        }],
      }),
    );
    for (const piece of tc.arguments.match(/.{1,3}/gs) ?? []) {
      lines.push(chunk(id, model, { tool_calls: [{ index, function: { arguments: piece } }] }));
    }
  });
  const finish = b.finish ?? (b.toolCalls?.length ? "tool_calls" : "stop");
  lines.push(chunk(id, model, {}, finish));
  if (includeUsage) {
    const u = b.usage ?? { prompt_tokens: 100, completion_tokens: 20 };
    lines.push(
      `data: ${
        JSON.stringify({
          id,
          object: "chat.completion.chunk",
          created: 1,
          model,
          choices: [],
          usage: {
            prompt_tokens: u.prompt_tokens,
            completion_tokens: u.completion_tokens,
            total_tokens: u.prompt_tokens + u.completion_tokens,
            prompt_tokens_details: { cached_tokens: u.cached ?? 0 },
          },
        })
      }\n\n`,
    );
  }
  lines.push("data: [DONE]\n\n");
  return lines;
}

/** A running fake. */
export class FakeOpenAI {
  readonly requests: OpenAIRecorded[] = [];
  readonly url: string;
  script: (req: OpenAIRecorded, n: number) => OpenAIBehaviour;
  readonly #server: Deno.HttpServer;
  #closing?: Promise<void>;

  private constructor(server: Deno.HttpServer, url: string, script: FakeOpenAI["script"]) {
    this.#server = server;
    this.url = url;
    this.script = script;
  }

  /** Starts a fake. */
  static start(
    script: FakeOpenAI["script"] = () => ({ kind: "reply", text: "Hello from OpenAI." }),
  ): Promise<FakeOpenAI> {
    // The handler runs only after `fake` exists: requests cannot arrive before start returns.
    const server: Deno.HttpServer<Deno.NetAddr> = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (req): Promise<Response> => fake.#handle(req),
    );
    const fake: FakeOpenAI = new FakeOpenAI(server, `http://127.0.0.1:${server.addr.port}`, script);
    return Promise.resolve(fake);
  }

  async #handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const text = await req.text();
    let body: any = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch { /* recorded as is */ }
    const rec: OpenAIRecorded = {
      path: url.pathname,
      search: url.search,
      headers: req.headers,
      body,
    };
    this.requests.push(rec);
    if (url.pathname.endsWith("/models")) return Response.json({ object: "list", data: [] });
    const b = this.script(rec, this.requests.length - 1);
    const model = body.model ?? "gpt-test";
    if (b.kind === "error") {
      return new Response(
        JSON.stringify({
          error: {
            message: b.message ?? `error ${b.status}`,
            type: b.type ?? "rate_limit_error",
            param: null,
            code: null,
          },
        }),
        { status: b.status, headers: { "content-type": "application/json", ...b.headers } },
      );
    }
    if (b.kind === "garbage") {
      return new Response(
        new ReadableStream({
          start(controller) {
            for (const line of b.lines) controller.enqueue(encoder.encode(line));
            controller.close();
          },
        }),
        { headers: { "content-type": "text/event-stream" } },
      );
    }
    if (body.stream) {
      const lines = replyLines(model, b, body.stream_options?.include_usage === true);
      return new Response(
        new ReadableStream({
          async pull(controller) {
            const line = lines.shift();
            if (line === undefined) return controller.close();
            await new Promise((r) => setTimeout(r, 1));
            controller.enqueue(encoder.encode(line));
          },
        }),
        { headers: { "content-type": "text/event-stream", "x-request-id": "oai-req-1" } },
      );
    }
    const u = b.usage ?? { prompt_tokens: 100, completion_tokens: 20 };
    const message: Record<string, unknown> = { role: "assistant", content: b.text ?? null };
    if (b.reasoning) message[b.reasoningField ?? "reasoning_content"] = b.reasoning;
    if (b.toolCalls?.length) {
      message.tool_calls = b.toolCalls.map((tc) => ({
        id: tc.id,
        type: "function",
        function: { name: tc.name, arguments: tc.arguments },
      }));
    }
    return Response.json({
      id: "chatcmpl-fake",
      object: "chat.completion",
      created: 1,
      model,
      choices: [{
        index: 0,
        message,
        finish_reason: b.finish ?? (b.toolCalls?.length ? "tool_calls" : "stop"),
        logprobs: null,
      }],
      usage: {
        prompt_tokens: u.prompt_tokens,
        completion_tokens: u.completion_tokens,
        total_tokens: u.prompt_tokens + u.completion_tokens,
        prompt_tokens_details: { cached_tokens: u.cached ?? 0 },
      },
    }, { headers: { "x-request-id": "oai-req-1" } });
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
