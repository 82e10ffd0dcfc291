import assert from "node:assert/strict";
import { FakeUpstream } from "../helpers/fake_upstream.ts";
import {
  anthropicProvider,
  messageBody,
  parseSse,
  post,
  startTestGateway,
} from "../helpers/gateway.ts";

Deno.test("shutdown lets an open stream finish, then refuses new connections", async () => {
  await using fake = await FakeUpstream.start(() => ({
    kind: "text",
    text: "z".repeat(48),
    eventDelayMs: 60,
  }));
  await using gw = await startTestGateway({
    providers: [anthropicProvider("anthropic", fake.url, ["key-a"])],
  });
  const res = await post(`${gw.url}/v1/messages`, messageBody({ stream: true }));
  const reader = res.body!.getReader();
  const first = await reader.read();
  const stopping = gw.shutdown();
  let text = new TextDecoder().decode(first.value);
  while (true) {
    const r = await reader.read();
    if (r.done) break;
    text += new TextDecoder().decode(r.value);
  }
  assert.equal(parseSse(text).at(-1)?.event, "message_stop", "the open stream completed");
  await stopping;
  await assert.rejects(fetch(`${gw.url}/health`), "no longer accepting");
});

Deno.test("CORS is off by default and answers preflights when enabled", async () => {
  {
    await using off = await startTestGateway({});
    const res = await fetch(`${off.url}/health`, { headers: { origin: "https://app.example" } });
    await res.body?.cancel();
    assert.equal(res.headers.get("access-control-allow-origin"), null);
  }
  await using on = await startTestGateway({
    server: { cors: { enabled: true, origins: ["https://app.example"] } },
  });
  const pre = await fetch(`${on.url}/v1/messages`, {
    method: "OPTIONS",
    headers: { origin: "https://app.example", "access-control-request-method": "POST" },
  });
  await pre.body?.cancel();
  assert.ok(pre.status === 204 || pre.status === 200);
  assert.equal(pre.headers.get("access-control-allow-origin"), "https://app.example");
  // The Messages API's direct path (src/server/handler.ts) must step aside for CORS: a browser
  // reads no answer without the header, not even an error.
  const answer = await post(`${on.url}/v1/messages`, { model: "m" }, {
    origin: "https://app.example",
  });
  assert.equal(answer.status, 400);
  await answer.body?.cancel();
  assert.equal(answer.headers.get("access-control-allow-origin"), "https://app.example");
});
