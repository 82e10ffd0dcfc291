/**
 * The HTTP/1.1 upstream client against scripted TCP servers on 127.0.0.1: framing, keep-alive,
 * stale connections, aborts, and TLS with a locally made certificate authority.
 */
import assert from "node:assert/strict";
import { http1Fetch } from "../../src/upstream/http1/client.ts";
import { closeIdleConnections, idleConnectionCount } from "../../src/upstream/http1/pool.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface SeenRequest {
  head: string;
  body: string;
  connection: number;
}

/** What a scripted server does with one request: answer bytes, then keep or close. */
type Script = (request: SeenRequest, conn: Deno.Conn) => Promise<"keep" | "close" | "hang">;

/** A TCP server that reads HTTP/1.1 requests and answers them by script. */
class ScriptedServer {
  readonly listener: Deno.TcpListener;
  readonly requests: SeenRequest[] = [];
  connections = 0;
  /** Connections the client closed (EOF seen by the server). */
  closedByClient = 0;
  readonly #open = new Set<Deno.Conn>();
  readonly #done: Promise<void>;

  constructor(script: Script) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.listener = listener;
    this.#done = (async () => {
      const tasks: Promise<void>[] = [];
      for await (const conn of listener) tasks.push(this.#serve(conn, script));
      await Promise.allSettled(tasks);
    })();
  }

  get url(): string {
    return `http://127.0.0.1:${this.listener.addr.port}`;
  }

  async #serve(conn: Deno.Conn, script: Script) {
    const id = ++this.connections;
    this.#open.add(conn);
    let buffered: Uint8Array = new Uint8Array(0);
    try {
      for (;;) {
        const read = await readRequest(conn, buffered);
        if (!read) {
          this.closedByClient++;
          break;
        }
        buffered = read.rest;
        const request = { head: read.head, body: read.body, connection: id };
        this.requests.push(request);
        const next = await script(request, conn);
        if (next === "close") break;
        if (next === "hang") {
          // Wait for the client to go away.
          while ((await conn.read(new Uint8Array(64)).catch(() => null)) !== null) { /* drain */ }
          this.closedByClient++;
          break;
        }
      }
    } catch {
      /* reset by the client */
    } finally {
      this.#open.delete(conn);
      try {
        conn.close();
      } catch { /* closed */ }
    }
  }

  async close() {
    this.listener.close();
    for (const conn of this.#open) {
      try {
        conn.close();
      } catch { /* closed */ }
    }
    await this.#done;
  }

  [Symbol.asyncDispose]() {
    return this.close();
  }
}

async function readRequest(
  conn: Deno.Conn,
  start: Uint8Array,
): Promise<{ head: string; body: string; rest: Uint8Array } | null> {
  let data: Uint8Array = start;
  const buf = new Uint8Array(64 * 1024);
  const more = async () => {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) return false;
    const next = new Uint8Array(data.length + n);
    next.set(data);
    next.set(buf.subarray(0, n), data.length);
    data = next;
    return true;
  };
  let end: number;
  while ((end = decoder.decode(data).indexOf("\r\n\r\n")) < 0) if (!await more()) return null;
  const head = decoder.decode(data.subarray(0, end));
  const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
  while (data.length < end + 4 + length) if (!await more()) return null;
  return {
    head,
    body: decoder.decode(data.subarray(end + 4, end + 4 + length)),
    rest: data.subarray(end + 4 + length),
  };
}

const write = (conn: Deno.Conn, text: string | Uint8Array) =>
  conn.write(typeof text === "string" ? encoder.encode(text) : text);

function json(body: string, extra = ""): string {
  return `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${
    encoder.encode(body).length
  }\r\n${extra}\r\n${body}`;
}

const post = (url: string, body = "{}", headers: HeadersInit = {}, signal?: AbortSignal) =>
  http1Fetch(`${url}/v1/messages?beta=true`, { method: "POST", headers, body, signal });

Deno.test("http1: one keep-alive connection serves call after call; the request head is the upstream's", async () => {
  await using server = new ScriptedServer(async (_req, conn) => {
    await write(conn, json('{"ok":true}', "x-dup: a\r\nx-dup: b\r\n"));
    return "keep";
  });
  for (let i = 0; i < 3; i++) {
    const answer = await post(server.url, `{"n":${i}}`, {
      "x-api-key": "k",
      "content-length": "999",
      connection: "close",
      host: "evil.example",
      "accept-encoding": "br",
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get("x-dup"), "a, b");
    assert.equal(decoder.decode(await answer.arrayBuffer()), '{"ok":true}');
  }
  assert.equal(server.connections, 1, "one connection for three calls");
  const { head, body } = server.requests[2];
  const lines = head.split("\r\n");
  assert.equal(lines[0], "POST /v1/messages?beta=true HTTP/1.1");
  assert.ok(lines.includes(`host: 127.0.0.1:${server.listener.addr.port}`), head);
  assert.ok(lines.includes("x-api-key: k"));
  assert.ok(lines.includes("content-length: 7"), "the real length, not the caller's");
  assert.ok(lines.includes("accept-encoding: identity"));
  assert.ok(!/connection: close|evil\.example|: 999|: br/.test(head), head);
  assert.equal(body, '{"n":2}');
  closeIdleConnections();
});

Deno.test("http1: a header that would split the request head is refused before anything is sent", async () => {
  await using server = new ScriptedServer(async (_req, conn) => {
    await write(conn, json("{}"));
    return "keep";
  });
  for (
    const headers of [
      [["x-note", "a\r\nx-injected: 1"]],
      [["bad name", "v"]],
      [["x-nul", "a\0b"]],
    ] as [string, string][][]
  ) {
    await assert.rejects(post(server.url, "{}", headers), TypeError, JSON.stringify(headers));
  }
  assert.equal(server.requests.length, 0);
  // Upper-case names from a list are written lower-case.
  await (await post(server.url, "{}", [["X-Api-Key", "k"]])).arrayBuffer();
  assert.ok(server.requests[0].head.includes("\r\nx-api-key: k\r\n"));
  closeIdleConnections();
});

Deno.test("http1: chunked and length-framed bodies stream piece by piece as they arrive", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  await using server = new ScriptedServer(async (req, conn) => {
    if (req.body === "chunked") {
      await write(
        conn,
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n",
      );
      await write(conn, "6\r\nevent1\r\n");
      await gate;
      await write(conn, "6\r\nevent2\r\n0\r\n\r\n");
    } else {
      await write(conn, "HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nfirst");
      await new Promise((r) => setTimeout(r, 20));
      await write(conn, "-last");
    }
    return "keep";
  });
  const answer = await post(server.url, "chunked");
  const reader = answer.body!.getReader();
  const first = await reader.read();
  assert.equal(decoder.decode(first.value), "event1", "the first piece before the rest is sent");
  release();
  let rest = "";
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    rest += decoder.decode(r.value);
  }
  assert.equal(rest, "event2");

  const framed = await post(server.url, "length");
  assert.equal(decoder.decode(await framed.arrayBuffer()), "first-last");
  assert.equal(
    server.connections,
    1,
    "both bodies were read to their end: the connection was kept",
  );
  closeIdleConnections();
});

Deno.test("http1: chunks() pulls the body piece by piece without a stream; the body is taken once", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  await using server = new ScriptedServer(async (req, conn) => {
    await write(
      conn,
      "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n",
    );
    await write(conn, "6\r\nevent1\r\n");
    if (req.body === "gated") await gate;
    await write(conn, "6\r\nevent2\r\n0\r\n\r\n");
    return "keep";
  });
  const answer = await post(server.url, "gated");
  const chunks = answer.chunks()!;
  assert.equal(decoder.decode((await chunks.next())!), "event1", "before the rest is sent");
  assert.equal(answer.chunks(), null, "the body can be taken once");
  assert.equal(answer.body, null, "also not as a stream");
  release();
  assert.equal(decoder.decode((await chunks.next())!), "event2");
  assert.equal(await chunks.next(), null, "then the end");
  assert.equal(await chunks.next(), null, "and it stays ended");

  // A body taken as a stream first is still read whole by arrayBuffer().
  const streamed = await post(server.url, "open");
  assert.ok(streamed.body);
  assert.equal(decoder.decode(await streamed.arrayBuffer()), "event1event2");
  assert.equal(server.connections, 1, "both answers were read to their end: one connection");
  closeIdleConnections();
});

Deno.test("http1: a connection the upstream closed while idle is not used again", async () => {
  await using server = new ScriptedServer(async (_req, conn) => {
    await write(conn, json("{}"));
    return "close";
  });
  assert.equal((await post(server.url)).status, 200);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(idleConnectionCount(), 0, "the pool saw the close");
  assert.equal((await post(server.url)).status, 200);
  assert.equal(server.connections, 2);
});

Deno.test("http1: a reused connection that closes before any answer is retried once on a new one; a new one is not", async () => {
  await using server = new ScriptedServer(async (req, conn) => {
    // The second request on the first connection gets no answer (a keep-alive race).
    if (req.connection === 1 && server.requests.length === 2) return "close";
    await write(conn, json(`{"connection":${req.connection}}`));
    return "keep";
  });
  await (await post(server.url)).arrayBuffer();
  const second = await post(server.url);
  assert.equal(decoder.decode(await second.arrayBuffer()), '{"connection":2}');
  assert.equal(server.requests.length, 3, "sent twice: once on the stale connection, once new");
  closeIdleConnections();

  // A connection that answered anything (here an interim 100) did get the request: not resent.
  await using interim = new ScriptedServer(async (req, conn) => {
    if (interim.requests.length === 2) {
      await write(conn, "HTTP/1.1 100 Continue\r\n\r\n");
      return "close";
    }
    await write(conn, json(`{"connection":${req.connection}}`));
    return "keep";
  });
  await (await post(interim.url)).arrayBuffer();
  await assert.rejects(
    post(interim.url),
    /closed the connection before the end of the response head/,
  );
  assert.equal(interim.requests.length, 2);

  await using silent = new ScriptedServer(() => Promise.resolve("close"));
  await assert.rejects(post(silent.url), /closed the connection without an answer/);
  assert.equal(silent.requests.length, 1, "a fresh connection's request is not sent again");
});

Deno.test("http1: interim 1xx answers are skipped; 204 and HEAD have no body; close-delimited bodies", async () => {
  await using server = new ScriptedServer(async (req, conn) => {
    if (req.head.startsWith("HEAD")) {
      await write(conn, "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n");
    } else if (req.body === "interim") {
      await write(
        conn,
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </x>\r\n\r\n",
      );
      await write(conn, json('{"final":1}'));
    } else if (req.body === "204") {
      await write(conn, "HTTP/1.1 204 No Content\r\n\r\n");
    } else {
      await write(conn, "HTTP/1.1 200 OK\r\n\r\nuntil ");
      await write(conn, "close");
      return "close";
    }
    return "keep";
  });
  const interim = await post(server.url, "interim");
  assert.equal(interim.status, 200);
  assert.equal(interim.headers.has("link"), false, "the interim answer's headers are not kept");
  assert.equal(decoder.decode(await interim.arrayBuffer()), '{"final":1}');
  const empty = await post(server.url, "204");
  assert.equal(empty.status, 204);
  assert.equal(empty.body, null);
  const head = await http1Fetch(`${server.url}/`, { method: "HEAD" });
  assert.equal(head.body, null);
  assert.equal(server.connections, 1, "204 and HEAD left the connection reusable");
  const untilClose = await post(server.url, "close");
  assert.equal(decoder.decode(await untilClose.arrayBuffer()), "until close");
  closeIdleConnections();
});

Deno.test("http1: connection: close answers are not reused", async () => {
  await using server = new ScriptedServer(async (_req, conn) => {
    await write(conn, json("{}", "connection: close\r\n"));
    return "keep"; // the client must close it
  });
  await (await post(server.url)).arrayBuffer();
  await (await post(server.url)).arrayBuffer();
  assert.equal(server.connections, 2);
});

Deno.test("http1: broken answers fail clearly", async () => {
  await using server = new ScriptedServer(async (req, conn) => {
    if (req.body === "garbage") await write(conn, "SSH-2.0-OpenSSH_9.6\r\n\r\n");
    else if (req.body === "short") {
      await write(conn, "HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\nonly this");
    } else if (req.body === "bad-chunk") {
      await write(conn, "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n");
      return "hang";
    } else await write(conn, `HTTP/1.1 200 OK\r\nx-big: ${"a".repeat(70_000)}\r\n\r\n`);
    return "close";
  });
  await assert.rejects(post(server.url, "garbage"), /not an HTTP\/1\.x status line/);
  const short = await post(server.url, "short");
  await assert.rejects(short.arrayBuffer(), /closed the connection before the body was complete/);
  // Whether the bad framing came with the head or after it, the body is not taken as good.
  await assert.rejects(
    (async () => await (await post(server.url, "bad-chunk")).arrayBuffer())(),
    /invalid chunk size/,
  );
  await assert.rejects(post(server.url, "big"), /response head too large/);
});

Deno.test("http1: a gzip-encoded answer is decoded", async () => {
  const gz = new Uint8Array(
    await new Response(
      new Blob(['{"usage":{"output_tokens":3}}']).stream().pipeThrough(
        new CompressionStream("gzip"),
      ),
    ).arrayBuffer(),
  );
  await using server = new ScriptedServer(async (_req, conn) => {
    await write(
      conn,
      `HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: ${gz.length}\r\n\r\n`,
    );
    await write(conn, gz);
    return "keep";
  });
  const answer = await post(server.url);
  assert.equal(JSON.parse(decoder.decode(await answer.arrayBuffer())).usage.output_tokens, 3);
  closeIdleConnections();
});

Deno.test("http1: an abort before the answer rejects with its reason and closes the socket; mid-body it errors the body", async () => {
  await using server = new ScriptedServer(async (req, conn) => {
    if (req.body === "part") {
      await write(conn, "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nsome");
    }
    return "hang";
  });
  const early = new AbortController();
  const pending = post(server.url, "none", {}, early.signal);
  setTimeout(() => early.abort(new Error("deadline")), 20);
  await assert.rejects(pending, /deadline/);

  const late = new AbortController();
  const answer = await post(server.url, "part", {}, late.signal);
  const reader = answer.body!.getReader();
  assert.equal(decoder.decode((await reader.read()).value), "some");
  late.abort(new Error("client gone"));
  await assert.rejects(reader.read());
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(server.closedByClient, 2, "both sockets closed by the client");
});

Deno.test("http1: closeIdleConnections closes the pooled sockets", async () => {
  await using server = new ScriptedServer(async (_req, conn) => {
    await write(conn, json("{}"));
    return "keep";
  });
  await (await post(server.url)).arrayBuffer();
  assert.equal(idleConnectionCount(), 1);
  closeIdleConnections();
  assert.equal(idleConnectionCount(), 0);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(server.closedByClient, 1);
});

const hasOpenssl = await new Deno.Command("openssl", { args: ["version"], stdout: "null" })
  .output().then((r) => r.success, () => false);

Deno.test({
  name: "http1: https to a server whose CA is given in DENO_CERT (as fetch reads it)",
  ignore: !hasOpenssl,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "ccgate-tls-" });
    try {
      const run = async (args: string[]) => {
        const r = await new Deno.Command("openssl", { args, cwd: dir, stderr: "piped" }).output();
        assert.ok(r.success, decoder.decode(r.stderr));
      };
      await run([
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=ccgate test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
      ]);
      await run([
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
      ]);
      await Deno.writeTextFile(`${dir}/ext.cnf`, "subjectAltName=DNS:localhost\n");
      await run([
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "1",
        "-out",
        "server.pem",
        "-extfile",
        "ext.cnf",
      ]);
      await using server = Deno.serve({
        hostname: "127.0.0.1",
        port: 0,
        cert: await Deno.readTextFile(`${dir}/server.pem`),
        key: await Deno.readTextFile(`${dir}/server.key`),
        onListen() {},
      }, async (request) => new Response(`${request.method} ${await request.text()}`));
      const client = new URL("../../src/upstream/http1/client.ts", import.meta.url).href;
      const script = `
        import { http1Fetch } from "${client}";
        const url = "https://localhost:${server.addr.port}/v1/messages";
        for (let i = 0; i < 2; i++) {
          const a = await http1Fetch(url, { method: "POST", body: "hello " + i });
          console.log(a.status, new TextDecoder().decode(await a.arrayBuffer()));
        }
        Deno.exit(0);`;
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["eval", script],
        env: { DENO_CERT: `${dir}/ca.pem`, NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(
        decoder.decode(out.stdout),
        "200 POST hello 0\n200 POST hello 1\n",
        decoder.decode(out.stderr),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
