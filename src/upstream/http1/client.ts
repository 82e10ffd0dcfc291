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
import type { Http1Answer } from "./answer.ts";
import { Http1Connection, takeIdle } from "./pool.ts";
import { readResponse, StaleConnection } from "./read_response.ts";

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
