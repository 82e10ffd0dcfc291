import assert from "node:assert/strict";
import { responseEnd, runClosedLoop } from "../../scripts/bench/closed_loop_client.ts";

const enc = new TextEncoder();
const bytes = (s: string) => enc.encode(s);

Deno.test("closed-loop client: finds the end of a Content-Length answer, not before", () => {
  const answer =
    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nContent-Length: 5\r\n\r\nhello";
  const buf = bytes(answer + "HTTP/1.1 200 OK\r\n");
  assert.deepEqual(responseEnd(buf, answer.length), { end: answer.length, status: 200 });
  // The bytes of the next answer are not part of this one.
  assert.deepEqual(responseEnd(buf, buf.length), { end: answer.length, status: 200 });
  assert.equal(responseEnd(buf, answer.length - 1), undefined);
  assert.equal(responseEnd(buf, 20), undefined);
});

Deno.test("closed-loop client: finds the end of a chunked answer and its status", () => {
  const answer = "HTTP/1.1 429 Too Many Requests\r\ntransfer-encoding: chunked\r\n\r\n" +
    "5\r\nhello\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n";
  const buf = bytes(answer);
  assert.deepEqual(responseEnd(buf, buf.length), { end: buf.length, status: 429 });
  for (const cut of [answer.indexOf("hello") + 2, answer.indexOf("0123"), buf.length - 1]) {
    assert.equal(responseEnd(buf, cut), undefined, `incomplete at ${cut}`);
  }
});

Deno.test("closed-loop client: every request timed, latencies consistent with the request count", async () => {
  let served = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const body = await req.arrayBuffer();
    served++;
    // A streamed (chunked) answer for some requests, a Content-Length one for the others.
    if (served % 2) return new Response(new Uint8Array(body));
    return new Response(new Blob([body]).stream());
  });
  try {
    const result = await runClosedLoop({
      url: `http://127.0.0.1:${server.addr.port}/v1/messages?beta=true`,
      body: bytes('{"model":"m"}'),
      headers: { "content-type": "application/json" },
      concurrency: 2,
      durationS: 0.5,
    });
    assert.equal(result.errors, 0, result.errorDetail);
    assert.ok(result.requests > 20, `only ${result.requests} requests`);
    assert.ok(served >= result.requests);
    // A closed loop of 2 connections: mean latency × throughput cannot exceed 2 (Little's law);
    // wrk's c=1 histogram breaks exactly this.
    assert.ok(result.p50Ms * result.rps / 1000 <= 2, `p50 ${result.p50Ms} ms at ${result.rps}/s`);
    assert.ok(result.p50Ms <= result.p99Ms && result.p99Ms <= result.maxMs);
  } finally {
    await server.shutdown();
  }
});
