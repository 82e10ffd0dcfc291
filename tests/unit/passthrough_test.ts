import assert from "node:assert/strict";
import { createFakeUpstream } from "../../scripts/bench/fake_upstream_server.ts";
import { createPassthroughHandler } from "../../scripts/bench/passthrough.ts";

const body = JSON.stringify({
  model: "claude-bench",
  max_tokens: 64,
  stream: true,
  messages: [{ role: "user", content: "hi" }],
});
const headers = { "content-type": "application/json", "x-bench-events": "20" };

Deno.test("bench pass-through: native and JS-relay modes pass the upstream's stream on byte for byte", async () => {
  const fake = createFakeUpstream({ events: 20, ttfbMs: 0, eventDelayMs: 0 });
  const upstream = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, fake.handler);
  const base = `http://127.0.0.1:${upstream.addr.port}`;
  try {
    const direct = await fetch(`${base}/v1/messages`, { method: "POST", headers, body });
    const expected = await direct.text();
    assert.ok(expected.includes("event: message_stop"), "the fake upstream streams");
    for (const jsRelay of [false, true]) {
      const handler = createPassthroughHandler(base, { jsRelay });
      const response = await handler(
        new Request("http://gateway.test/v1/messages", { method: "POST", headers, body }),
      );
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /text\/event-stream/);
      assert.equal(await response.text(), expected, `jsRelay: ${jsRelay}`);
    }
  } finally {
    await upstream.shutdown();
  }
});

Deno.test("bench pass-through: --read-answer parses a JSON answer's usage and returns its bytes unchanged", async () => {
  const fake = createFakeUpstream({ events: 20, ttfbMs: 0, eventDelayMs: 0 });
  const upstream = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, fake.handler);
  const base = `http://127.0.0.1:${upstream.addr.port}`;
  const json = JSON.stringify({ ...JSON.parse(body), stream: false });
  try {
    const direct = await fetch(`${base}/v1/messages`, { method: "POST", headers, body: json });
    const expected = await direct.text();
    const usages: unknown[] = [];
    const handler = createPassthroughHandler(base, {
      readAnswer: true,
      onUsage: (u) => usages.push(u),
    });
    const response = await handler(
      new Request("http://gateway.test/v1/messages", { method: "POST", headers, body: json }),
    );
    assert.equal(response.status, 200);
    assert.equal(await response.text(), expected);
    assert.deepEqual(usages, [JSON.parse(expected).usage]);
    assert.ok(JSON.parse(expected).usage.output_tokens > 0, "the fake upstream reports usage");
  } finally {
    await upstream.shutdown();
  }
});
