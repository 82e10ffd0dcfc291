/**
 * The runtime's own limit: a minimal `Deno.serve` + `fetch` pass-through, run as its own process
 * (pinned to the gateway's core):
 *
 *   deno run -A scripts/bench/passthrough.ts --port 0 --upstream http://127.0.0.1:PORT
 *
 * It reads the request body, fetches the upstream with the same method, path, query, headers
 * and body, and returns the upstream's status, headers and body as a stream. No routing, no
 * auth, no logging: whatever the gateway costs beyond this is the gateway's own work. Prints
 * `{"port":N}` once listening on 127.0.0.1.
 *
 * With `--js-relay` the body is relayed through one plain JS `ReadableStream` instead of handed
 * to `Deno.serve` natively: the least any relay that reads the stream in JS can cost, to compare
 * ccgate's relay with (docs/performance.md, "Session 5").
 *
 * With `--read-answer` a JSON answer is read whole in JS, parsed for its usage and returned as
 * bytes, as any gateway that counts usage must: the least such a gateway can cost on small
 * requests (docs/performance.md, "Session 7"). Streams stay native.
 * @module
 */
import { parseArgs } from "node:util";

// Hop-by-hop headers, and the ones fetch sets itself from the URL and body.
const SKIP = new Set(["host", "content-length", "connection", "keep-alive", "transfer-encoding"]);
const decoder = new TextDecoder();

/**
 * The pass-through's request handler for `upstream` (a base URL without a trailing slash).
 * `jsRelay`: relay the answer's body through a JS stream, chunk by chunk as it arrives.
 * `readAnswer`: read a JSON answer whole and parse it for its usage, which goes to `onUsage`.
 */
export function createPassthroughHandler(
  upstream: string,
  options: { jsRelay?: boolean; readAnswer?: boolean; onUsage?: (usage: unknown) => void } = {},
): (request: Request) => Promise<Response> {
  const base = upstream.replace(/\/+$/, "");
  return async (request: Request): Promise<Response> => {
    const url = request.url;
    const path = url.slice(url.indexOf("/", url.indexOf("//") + 2));
    const headers = new Headers();
    for (const [name, value] of request.headers) if (!SKIP.has(name)) headers.set(name, value);
    const hasBody = request.method !== "GET" && request.method !== "HEAD";
    const body = hasBody ? await request.arrayBuffer() : undefined;
    const response = await fetch(base + path, {
      method: request.method,
      headers,
      body,
      signal: request.signal,
      redirect: "manual",
    });
    if (
      options.readAnswer && response.body &&
      !response.headers.get("content-type")?.includes("text/event-stream")
    ) {
      const bytes = await response.arrayBuffer();
      options.onUsage?.(JSON.parse(decoder.decode(bytes))?.usage);
      return new Response(bytes, { status: response.status, headers: response.headers });
    }
    const answer = options.jsRelay && response.body ? jsRelay(response.body) : response.body;
    return new Response(answer, { status: response.status, headers: response.headers });
  };
}

function jsRelay(source: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const r = await reader.read();
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      port: { type: "string", default: "0" },
      upstream: { type: "string" },
      "js-relay": { type: "boolean", default: false },
      "read-answer": { type: "boolean", default: false },
    },
  });
  if (!values.upstream) {
    console.error(
      "usage: passthrough.ts --port N --upstream http://127.0.0.1:PORT [--js-relay] [--read-answer]",
    );
    Deno.exit(2);
  }
  Deno.serve(
    {
      hostname: "127.0.0.1",
      port: Number(values.port),
      onListen: (addr) => console.log(JSON.stringify({ port: (addr as Deno.NetAddr).port })),
    },
    createPassthroughHandler(values.upstream, {
      jsRelay: values["js-relay"],
      readAnswer: values["read-answer"],
    }),
  );
  const stop = () => Deno.exit(0);
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
}
