import assert from "node:assert/strict";
import { fetchUpstream } from "../../src/upstream/fetch_upstream.ts";
import { readAll } from "../../src/upstream/relay.ts";

Deno.test("fetchUpstream: a client abort cancels the upstream until its body is read, not after", async () => {
  const upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response('{"usage":{"output_tokens":1}}'),
  );
  const url = `http://127.0.0.1:${upstream.addr.port}/v1/messages`;
  try {
    // Before the body is read, the client going away aborts the upstream request.
    const early = new AbortController();
    const pending = await fetchUpstream(url, { method: "POST" }, {
      clientSignal: early.signal,
      headersTimeoutMs: 5_000,
    });
    early.abort();
    assert.equal(pending.signal.aborted, true, "attached while the body is unread");
    await pending.response.body?.cancel().catch(() => {});

    // Once readAll has the body, the upstream is released from the client's signal.
    const late = new AbortController();
    const done = await fetchUpstream(url, { method: "POST" }, {
      clientSignal: late.signal,
      headersTimeoutMs: 5_000,
    });
    const body = new TextDecoder().decode(await readAll(done, 5_000));
    assert.equal(JSON.parse(body).usage.output_tokens, 1);
    late.abort();
    assert.equal(done.signal.aborted, false, "released after the body was read");
  } finally {
    await upstream.shutdown();
  }
});
