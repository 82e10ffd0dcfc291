import assert from "node:assert/strict";
import { ChunkedDecoder } from "../../src/upstream/http1/chunked.ts";
import { http1Eligible, readClientSettings } from "../../src/upstream/http1/client.ts";
import { HeaderList } from "../../src/upstream/http1/header_list.ts";
import {
  headEnd,
  parseResponseHead,
  ProtocolError,
} from "../../src/upstream/http1/response_head.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("headEnd: finds the blank line, also when the search resumes mid-terminator", () => {
  const head = bytes("HTTP/1.1 200 OK\r\na: b\r\n\r\nbody");
  assert.equal(headEnd(head, 0, head.length), head.length - 4);
  assert.equal(headEnd(head, 0, head.length - 5), -1, "not complete yet");
  // The caller resumes 3 bytes before what it searched: a terminator split across reads.
  assert.equal(headEnd(head, head.length - 7, head.length), head.length - 4);
});

Deno.test("parseResponseHead: status, reason, lower-cased names, trimmed values, framing", () => {
  const head = parseResponseHead(
    bytes(
      "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n" +
        "Retry-After:  7 \r\nContent-Length: 12\r\nX-Dup: a\r\nX-Dup: b\r\n\r\n",
    ),
  );
  assert.equal(head.status, 429);
  assert.equal(head.statusText, "Too Many Requests");
  assert.deepEqual(head.headers, [
    ["content-type", "application/json"],
    ["retry-after", "7"],
    ["content-length", "12"],
    ["x-dup", "a"],
    ["x-dup", "b"],
  ]);
  assert.equal(head.contentLength, 12);
  assert.equal(head.chunked, false);
  assert.equal(head.transferEncoded, false);
  assert.equal(head.encoding, "");
  assert.equal(head.close, false);

  const chunked = parseResponseHead(
    bytes("HTTP/1.1 200\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n"),
  );
  assert.equal(chunked.statusText, "");
  assert.equal(chunked.chunked, true);
  assert.equal(chunked.transferEncoded, true);
  assert.equal(chunked.close, true);
  assert.equal(chunked.contentLength, -1);

  const gzipUntilClose = parseResponseHead(
    bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Encoding: GZIP\r\n\r\n"),
  );
  assert.equal(gzipUntilClose.chunked, false);
  assert.equal(gzipUntilClose.transferEncoded, true, "framed until close, not by a length");
  assert.equal(gzipUntilClose.encoding, "gzip");

  // HTTP/1.0 closes unless it asks to keep the connection.
  assert.equal(parseResponseHead(bytes("HTTP/1.0 200 OK\r\n\r\n")).close, true);
  assert.equal(
    parseResponseHead(bytes("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n")).close,
    false,
  );
  // The value of a header sent as these bytes.
  const valueOf = (...value: number[]) =>
    parseResponseHead(
      new Uint8Array([...bytes("HTTP/1.1 200 OK\r\nx-name: "), ...value, 13, 10, 13, 10]),
    ).headers[0][1];
  // Header values are byte strings: a byte above 0x7f is one code unit, as fetch has it.
  assert.equal(valueOf(...bytes("caf"), 0xe9), "caf\u00e9");
  // Bytes that happen to form UTF-8 are still one code unit each (not "é").
  assert.equal(valueOf(...bytes("caf"), 0xc3, 0xa9), "caf\u00c3\u00a9");
  // And a byte UTF-8 cannot decode (U+FFFD there) is one code unit of its own value.
  assert.equal(valueOf(...bytes("a"), 0xff, 0x62), "a\u00ffb");
});

Deno.test("parseResponseHead: broken heads are protocol errors", () => {
  for (
    const head of [
      "HTTP/2 200\r\n\r\n",
      "SSH-2.0-OpenSSH\r\n\r\n",
      "HTTP/1.1 20 OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
      "HTTP/1.1 200 OK\r\ncontent-length: 12x\r\n\r\n",
      "HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n",
    ]
  ) {
    assert.throws(() => parseResponseHead(bytes(head)), ProtocolError, JSON.stringify(head));
  }
});

function decodeAll(wire: string, split: number[]): { body: string; done: boolean; used: number } {
  const decoder = new ChunkedDecoder();
  const input = bytes(wire);
  let body = "";
  let used = 0;
  let at = 0;
  for (const end of [...split, input.length]) {
    const part = input.subarray(at, end);
    const r = decoder.push(part);
    for (const p of r.pieces) body += text(p);
    used += r.used;
    at = end;
  }
  return { body, done: decoder.done, used };
}

Deno.test("ChunkedDecoder: any split of the wire gives the same body, extensions and trailers skipped", () => {
  const wire = "5\r\nhello\r\n7;ext=1\r\n, world\r\nA \r\n0123456789\r\n0\r\nx-trailer: 1\r\n\r\n";
  const whole = decodeAll(wire, []);
  assert.equal(whole.body, "hello, world0123456789");
  assert.equal(whole.done, true);
  assert.equal(whole.used, wire.length);
  for (let i = 1; i < wire.length; i++) {
    for (const j of [i + 1, i + 7]) {
      const splits = j < wire.length ? [i, j] : [i];
      const r = decodeAll(wire, splits);
      assert.equal(r.body, whole.body, `split at ${splits}`);
      assert.equal(r.done, true);
    }
  }
});

Deno.test("ChunkedDecoder: stops at the end of the body; unfinished bodies are not done", () => {
  const decoder = new ChunkedDecoder();
  const r = decoder.push(bytes("3\r\nabc\r\n0\r\n\r\nHTTP/1.1 200 OK"));
  assert.equal(text(r.pieces[0]), "abc");
  assert.equal(r.used, 13, "the bytes after the body are not the body's");
  assert.equal(decoder.done, true);
  const open = new ChunkedDecoder();
  open.push(bytes("3\r\nab"));
  assert.equal(open.done, false);
});

Deno.test("ChunkedDecoder: malformed framing throws a protocol error", () => {
  for (const wire of ["x\r\n", "3\r\nabcd\r\n", "3\nabc", "1234567890abcdef0\r\n", "\r\n"]) {
    assert.throws(
      () => new ChunkedDecoder().push(bytes(wire)),
      ProtocolError,
      JSON.stringify(wire),
    );
  }
});

Deno.test("HeaderList: the Headers interface over wire-order pairs", () => {
  const list = new HeaderList([["content-type", "text/plain"], ["x-dup", "a"], ["x-dup", "b"]]);
  assert.equal(list.get("Content-Type"), "text/plain");
  assert.equal(list.get("x-dup"), "a, b", "joined as Headers joins them");
  assert.equal(list.get("missing"), null);
  assert.equal(list.has("X-DUP"), true);
  list.set("x-dup", "c");
  list.append("Set-Cookie", "s=1");
  list.delete("content-type");
  assert.deepEqual([...list], [["x-dup", "c"], ["set-cookie", "s=1"]]);
  assert.deepEqual(list.getSetCookie(), ["s=1"]);
  assert.deepEqual([...list.keys()], ["x-dup", "set-cookie"]);
  // A Headers (and so a Response) can be made from it.
  assert.equal(new Headers(list).get("x-dup"), "c");
});

Deno.test("readClientSettings / http1Eligible: proxies and CCGATE_UPSTREAM_CLIENT=fetch go to fetch", () => {
  const none = readClientSettings(() => undefined);
  assert.deepEqual(none, { fetchOnly: false, proxyHttp: false, proxyHttps: false });
  assert.equal(http1Eligible("https://api.anthropic.com/v1/messages", "{}", none), true);
  assert.equal(http1Eligible("http://127.0.0.1:1/v1", new Uint8Array(1), none), true);
  assert.equal(http1Eligible("http://127.0.0.1:1/v1", null, none), true);
  assert.equal(http1Eligible("http://127.0.0.1:1/v1", new Blob(["x"]), none), false);
  assert.equal(http1Eligible("file:///etc/passwd", null, none), false);

  const env = (vars: Record<string, string>) => readClientSettings((name) => vars[name]);
  const httpsProxy = env({ https_proxy: "http://proxy:3128" });
  assert.equal(http1Eligible("https://api.anthropic.com/v1/messages", "{}", httpsProxy), false);
  assert.equal(http1Eligible("http://127.0.0.1:1/v1", "{}", httpsProxy), true);
  const all = env({ ALL_PROXY: "socks5://proxy:1080" });
  assert.equal(http1Eligible("http://127.0.0.1:1/v1", "{}", all), false);
  const off = env({ CCGATE_UPSTREAM_CLIENT: "fetch" });
  assert.equal(http1Eligible("http://127.0.0.1:1/v1", "{}", off), false);
});
