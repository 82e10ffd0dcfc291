/**
 * A small HTTP/1.1 client for upstream calls, over `Deno.connect` / `Deno.connectTls` with
 * keep-alive connections. It answers with an {@link Http1Answer}: the parts of a `Response` the
 * gateway reads.
 *
 * Why not `fetch`: measured on small requests, a pass-through whose upstream call is this client
 * serves 1.7× the requests of the same pass-through on `fetch`, at 60 % of its CPU per request,
 * and idles 5 MB smaller (docs/performance.md, "Session 11"). `fetch`'s cost is its object graph
 * per call (request, header lists, signals, a body stream held in a FinalizationRegistry until a
 * full GC). A well-kept library (undici, over `node:net`) measured 1.09× and +25 MB at idle.
 *
 * Scope: what upstream model APIs need. No redirects (the gateway never follows them), no
 * compression (`accept-encoding: identity`; an encoded answer is decoded if it comes anyway), no
 * proxies: {@link http1Eligible} sends those calls to `fetch`, which reads the proxy variables.
 * @module
 */
import { VERSION } from "../../version.ts";
import { ChunkedDecoder } from "./chunked.ts";
import { Http1Answer } from "./answer.ts";
import { Http1Connection, putIdle, takeIdle } from "./pool.ts";
import {
  headEnd,
  MAX_HEAD_BYTES,
  parseResponseHead,
  ProtocolError,
  type ResponseHead,
} from "./response_head.ts";

/** What {@link http1Fetch} takes (the part of `RequestInit` the gateway uses). */
export interface Http1Init {
  /** Request method. */
  method: string;
  /** Request headers; framing headers in it are ignored. */
  headers?: HeadersInit;
  /** A string or bytes. */
  body?: string | Uint8Array | ArrayBuffer | null;
  /** Closes the connection when aborted; the call then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** A reused keep-alive connection failed before any byte of its answer: safe to send again. */
class StaleConnection extends Error {}

const SKIP_REQUEST = new Set([
  "host",
  "content-length",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "accept-encoding",
  "te",
  "upgrade",
]);
const encoder = new TextEncoder();
const NON_ASCII = /[\u0080-\uffff]/;
// A header name is a token; a value never holds a line break, NUL or a code unit above a byte.
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;
const BAD_VALUE = /[\r\n\0\u0100-\uffff]/;
/** Bodies up to this size go out in one write with the head. */
const ONE_WRITE_BYTES = 64 * 1024;

/** Where the HTTP/1.1 client may serve, read once from the environment. */
export interface ClientSettings {
  /** `CCGATE_UPSTREAM_CLIENT=fetch`: every call goes to `fetch`. */
  fetchOnly: boolean;
  /** A proxy is set for `http:` URLs (`HTTP_PROXY` or `ALL_PROXY`, either case). */
  proxyHttp: boolean;
  /** A proxy is set for `https:` URLs (`HTTPS_PROXY` or `ALL_PROXY`, either case). */
  proxyHttps: boolean;
}

/** Reads {@link ClientSettings} through `get` (an environment lookup). */
export function readClientSettings(get: (name: string) => string | undefined): ClientSettings {
  const env = (name: string) => get(name) || get(name.toLowerCase()) || undefined;
  return {
    fetchOnly: env("CCGATE_UPSTREAM_CLIENT") === "fetch",
    proxyHttp: !!(env("HTTP_PROXY") ?? env("ALL_PROXY")),
    proxyHttps: !!(env("HTTPS_PROXY") ?? env("ALL_PROXY")),
  };
}

let settings: ClientSettings | undefined;

function processSettings(): ClientSettings {
  return settings ??= readClientSettings((name) => {
    try {
      return Deno.env.get(name);
    } catch {
      return undefined; // no env permission: no proxy variables can apply either
    }
  });
}

/**
 * True when {@link http1Fetch} can make this call; otherwise use `fetch`. Proxied calls go to
 * `fetch`, which reads the proxy variables (and `NO_PROXY`) itself.
 */
export function http1Eligible(
  url: string,
  body: unknown,
  options: ClientSettings = processSettings(),
): boolean {
  if (options.fetchOnly) return false;
  const https = url.startsWith("https:");
  if (!https && !url.startsWith("http:")) return false;
  if (https ? options.proxyHttps : options.proxyHttp) return false;
  return body == null || typeof body === "string" || body instanceof Uint8Array ||
    body instanceof ArrayBuffer;
}

/** Sends one request and resolves when the answer's head has arrived, like `fetch`. */
export async function http1Fetch(url: string, init: Http1Init): Promise<Http1Answer> {
  const target = targetOf(url);
  const body = typeof init.body === "string"
    ? encoder.encode(init.body)
    : init.body instanceof ArrayBuffer
    ? new Uint8Array(init.body)
    : init.body ?? undefined;
  const method = init.method.toUpperCase();
  const request = encodeRequest(method, target, init.headers, body);
  const signal = init.signal;
  signal?.throwIfAborted();
  for (let attempt = 0;; attempt++) {
    let c = takeIdle(target.origin);
    if (!c) c = await connect(target, signal);
    const conn = c;
    const onAbort = () => conn.close();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      await send(conn, request);
      return await readResponse(conn, method, () => signal?.removeEventListener("abort", onAbort));
    } catch (error) {
      signal?.removeEventListener("abort", onAbort);
      conn.close();
      signal?.throwIfAborted();
      if (error instanceof StaleConnection && attempt === 0) continue;
      throw error instanceof StaleConnection ? new Error(error.message) : error;
    }
  }
}

/** What the client needs of an upstream URL, parsed once per distinct URL. */
interface Target {
  https: boolean;
  /** The pool key. */
  origin: string;
  /** `host[:port]` as the Host header has it. */
  host: string;
  /** The host to connect to (IPv6 without brackets). */
  hostname: string;
  port: number;
  /** Path and query. */
  path: string;
}

// A gateway calls a handful of distinct URLs: parsing each once saves a URL object per call.
const targets = new Map<string, Target>();
const MAX_TARGETS = 1024;

function targetOf(url: string): Target {
  let target = targets.get(url);
  if (target) return target;
  const parsed = new URL(url);
  const https = parsed.protocol === "https:";
  target = {
    https,
    origin: `${parsed.protocol}//${parsed.host}`,
    host: parsed.host,
    hostname: parsed.hostname.startsWith("[") ? parsed.hostname.slice(1, -1) : parsed.hostname,
    port: parsed.port ? Number(parsed.port) : https ? 443 : 80,
    path: parsed.pathname + parsed.search,
  };
  if (targets.size >= MAX_TARGETS) targets.clear();
  targets.set(url, target);
  return target;
}

/** A request's bytes: the head, with the body when it is small (one write), else apart. */
interface EncodedRequest {
  first: Uint8Array;
  rest?: Uint8Array;
}

function encodeRequest(
  method: string,
  target: Target,
  headers: HeadersInit | undefined,
  body: Uint8Array | undefined,
): EncodedRequest {
  let text = `${method} ${target.path} HTTP/1.1\r\nhost: ${target.host}\r\n`;
  let accept = false;
  let agent = false;
  // A list (what the providers build) is written as it is, checked here instead of by a
  // Headers object, which would validate, lower-case and then sort every field.
  const fields = Array.isArray(headers) ? headers : new Headers(headers);
  for (const [field, value] of fields) {
    const name = field.toLowerCase();
    if (!TOKEN.test(name) || BAD_VALUE.test(value)) {
      throw new TypeError(`invalid upstream request header: ${name.slice(0, 64)}`);
    }
    if (SKIP_REQUEST.has(name)) continue;
    if (name === "accept") accept = true;
    else if (name === "user-agent") agent = true;
    text += `${name}: ${value}\r\n`;
  }
  if (!accept) text += "accept: */*\r\n";
  if (!agent) text += `user-agent: ccgate/${VERSION}\r\n`;
  const size = body ? body.byteLength : 0;
  if (size || (method !== "GET" && method !== "HEAD")) text += `content-length: ${size}\r\n`;
  text += "accept-encoding: identity\r\n\r\n";
  // The head is ASCII but for byte-string header values: one byte per code unit either way.
  const inline = size <= ONE_WRITE_BYTES;
  const first = new Uint8Array(text.length + (inline ? size : 0));
  if (!NON_ASCII.test(text)) encoder.encodeInto(text, first);
  else for (let i = 0; i < text.length; i++) first[i] = text.charCodeAt(i);
  if (!body || !size) return { first };
  if (inline) {
    first.set(body, text.length);
    return { first };
  }
  return { first, rest: body };
}

async function connect(target: Target, signal: AbortSignal | undefined): Promise<Http1Connection> {
  const { hostname, port, origin } = target;
  if (!target.https) {
    const conn = await Deno.connect({ hostname, port, signal });
    conn.setNoDelay(true);
    return new Http1Connection(conn, origin);
  }
  // connectTls takes no signal: an abort rejects at once and closes the socket if it comes later.
  const pending = Deno.connectTls({ hostname, port, alpnProtocols: ["http/1.1"] });
  if (!signal) return new Http1Connection(await pending, origin);
  signal.throwIfAborted();
  return await new Promise<Http1Connection>((resolve, reject) => {
    const onAbort = () => {
      reject(signal.reason);
      pending.then((conn) => conn.close(), () => {});
    };
    signal.addEventListener("abort", onAbort, { once: true });
    pending.then(
      (conn) => {
        signal.removeEventListener("abort", onAbort);
        resolve(new Http1Connection(conn, origin));
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

async function send(c: Http1Connection, request: EncodedRequest) {
  try {
    await writeAll(c.conn, request.first);
    if (request.rest) await writeAll(c.conn, request.rest);
  } catch (error) {
    // A reused connection the server closed while it was idle fails its first write.
    if (c.reused) {
      throw new StaleConnection(`upstream connection closed: ${(error as Error).message}`);
    }
    throw error;
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array) {
  let written = 0;
  while (written < bytes.byteLength) {
    written += await conn.write(written ? bytes.subarray(written) : bytes);
  }
}

// Reads the answer's head (skipping 1xx interim answers) and makes the Response.
async function readResponse(
  c: Http1Connection,
  method: string,
  detach: () => void,
): Promise<Http1Answer> {
  let length = 0;
  let end = -1;
  let head: ResponseHead;
  for (;;) {
    let searched = 0;
    while (end < 0) {
      if (length === c.buffer.byteLength) {
        if (length >= MAX_HEAD_BYTES) throw new ProtocolError("upstream response head too large");
        const grown = new Uint8Array(Math.min(length * 2, MAX_HEAD_BYTES));
        grown.set(c.buffer);
        c.buffer = grown;
      }
      let n: number | null;
      try {
        n = await c.read(length);
      } catch (error) {
        if (length === 0 && c.reused) {
          throw new StaleConnection(`upstream connection closed: ${(error as Error).message}`);
        }
        throw error;
      }
      if (n === null) {
        if (length === 0 && c.reused) throw new StaleConnection("upstream connection closed");
        throw new ProtocolError(
          length === 0
            ? "upstream closed the connection without an answer"
            : "upstream closed the connection in the middle of the response head",
        );
      }
      length += n;
      end = headEnd(c.buffer, searched, length);
      searched = Math.max(0, length - 3);
    }
    head = parseResponseHead(c.buffer.subarray(0, end));
    if (head.status >= 200) break;
    if (head.status === 101) throw new ProtocolError("upstream switched protocols");
    // 1xx interim answer (100 Continue, 103 Early Hints): the real one follows.
    c.buffer.copyWithin(0, end, length);
    length -= end;
    end = headEnd(c.buffer, 0, length);
  }
  if (head.status > 599) throw new ProtocolError(`upstream answered status ${head.status}`);
  const answer = (body: ConstructorParameters<typeof Http1Answer>[3]) =>
    new Http1Answer(head.status, head.statusText, head.headers, body);
  const encoding = head.headers.find(([name]) => name === "content-encoding")?.[1].toLowerCase();

  let finished = false;
  const done = (reuse: boolean) => {
    if (finished) return;
    finished = true;
    detach();
    if (reuse && !head.close) putIdle(c);
    else c.close();
  };
  if (method === "HEAD" || head.status === 204 || head.status === 205 || head.status === 304) {
    done(length === end);
    return answer(null);
  }
  const framed = head.chunked
    ? "chunked"
    : head.contentLength >= 0 && !head.headers.some(([name]) => name === "transfer-encoding")
    ? "length"
    : "close";
  const decoder = framed === "chunked" ? new ChunkedDecoder() : undefined;
  let remaining = head.contentLength;

  // Bytes that arrived with the head: often the whole answer.
  const first = c.buffer.subarray(end, length);
  let queued: Uint8Array<ArrayBuffer> | undefined;
  let complete = false;
  if (framed === "chunked") {
    const { pieces, used } = decoder!.push(first);
    queued = join(pieces);
    complete = decoder!.done;
    if (complete) done(used === first.byteLength);
  } else if (framed === "length") {
    const take = Math.min(remaining, first.byteLength);
    queued = first.slice(0, take);
    remaining -= take;
    complete = remaining === 0;
    if (complete) done(first.byteLength === take);
  } else if (first.byteLength) {
    queued = first.slice();
  }
  if (complete && !encoding) return answer(queued!);

  const stream = complete
    ? new ReadableStream<Uint8Array<ArrayBuffer>>({
      start(controller) {
        if (queued!.byteLength) controller.enqueue(queued!);
        controller.close();
      },
    })
    : new ReadableStream<Uint8Array<ArrayBuffer>>({
      async pull(controller) {
        if (queued) {
          const chunk = queued;
          queued = undefined;
          if (chunk.byteLength) {
            controller.enqueue(chunk);
            return;
          }
        }
        for (;;) {
          let n: number | null;
          try {
            n = await c.read(0);
          } catch (error) {
            done(false);
            controller.error(error);
            return;
          }
          if (n === null) {
            done(false);
            if (framed === "close") controller.close();
            else {
              controller.error(
                new ProtocolError("upstream closed the connection before the body was complete"),
              );
            }
            return;
          }
          const bytes = c.buffer.subarray(0, n);
          if (framed === "close") {
            controller.enqueue(bytes.slice());
            return;
          }
          let chunk: Uint8Array<ArrayBuffer>;
          if (framed === "length") {
            const take = Math.min(remaining, n);
            chunk = bytes.slice(0, take);
            remaining -= take;
            if (remaining === 0) done(take === n);
          } else {
            let result;
            try {
              result = decoder!.push(bytes);
            } catch (error) {
              done(false);
              controller.error(error);
              return;
            }
            chunk = join(result.pieces);
            if (decoder!.done) done(result.used === n);
          }
          if (chunk.byteLength) controller.enqueue(chunk);
          if ((framed === "length" && remaining === 0) || decoder?.done) controller.close();
          if (chunk.byteLength || (framed === "length" && remaining === 0) || decoder?.done) return;
        }
      },
      cancel() {
        done(false);
      },
    }, { highWaterMark: 0 });
  const decoded = encoding && encoding !== "identity" ? decode(stream, encoding) : stream;
  return answer(decoded);
}

// An owned copy of the pieces, as one chunk (pieces are views into the connection's buffer).
function join(pieces: Uint8Array[]): Uint8Array<ArrayBuffer> {
  if (pieces.length === 1) return pieces[0].slice() as Uint8Array<ArrayBuffer>;
  let size = 0;
  for (const p of pieces) size += p.byteLength;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

function decode(
  stream: ReadableStream<Uint8Array<ArrayBuffer>>,
  encoding: string,
): ReadableStream<Uint8Array<ArrayBuffer>> {
  if (encoding !== "gzip" && encoding !== "x-gzip" && encoding !== "deflate") {
    stream.cancel().catch(() => {});
    throw new ProtocolError(`upstream answered with unsupported content-encoding ${encoding}`);
  }
  const format = encoding === "deflate" ? "deflate" : "gzip";
  return stream.pipeThrough(new DecompressionStream(format)) as ReadableStream<
    Uint8Array<ArrayBuffer>
  >;
}
