/**
 * Credentials never leave the gateway: not in error messages to clients, not in logs, even
 * when an upstream repeats the key in its own error message (some compatible upstreams do).
 */
import assert from "node:assert/strict";
import { FakeUpstream } from "../helpers/fake_upstream.ts";
import {
  anthropicProvider,
  bookkept,
  messageBody,
  post,
  startTestGateway,
} from "../helpers/gateway.ts";

// Not shaped like any key pattern: only the gateway's knowledge of its credentials can mask it.
const KEY = "zz-upstream-credential-0001-abcdef";

for (
  const [path, body] of [
    ["/v1/messages", messageBody()],
    ["/v1/chat/completions", {
      model: "claude-sonnet-5-5",
      messages: [{ role: "user", content: "hi" }],
    }],
  ] as const
) {
  Deno.test(`an upstream that repeats the key in a 401: ${path}'s 502 and the logs mask it`, async () => {
    await using fake = await FakeUpstream.start((req) => ({
      kind: "error",
      status: 401,
      message: `invalid x-api-key: ${req.key}`,
    }));
    await using gw = await startTestGateway({
      providers: [anthropicProvider("anthropic", fake.url, [KEY])],
    });
    const res = await post(`${gw.url}${path}`, body);
    const text = await res.text();
    assert.equal(res.status, 502);
    assert.ok(!text.includes(KEY), `the answer repeats the key: ${text}`);
    assert.match(JSON.parse(text).error.message, /invalid x-api-key: zz-u…/);
    await bookkept();
    assert.equal(fake.requests[0].key, KEY, "the upstream did get the real key");
    const logs = gw.logs.join("");
    assert.ok(logs.includes("invalid x-api-key: zz-u…"), "the reason is still logged");
    assert.ok(!logs.includes(KEY), "no log line repeats the key");
    const view = await (await fetch(`${gw.url}/status/accounts/anthropic-1`)).json();
    assert.ok(!JSON.stringify(view).includes(KEY), "the status API does not repeat it");
  });
}

Deno.test("an upstream 400 passed on as it is has the key masked", async () => {
  await using fake = await FakeUpstream.start((req) => ({
    kind: "error",
    status: 400,
    message: `key ${req.key} may not use this model`,
  }));
  await using gw = await startTestGateway({
    providers: [anthropicProvider("anthropic", fake.url, [KEY])],
  });
  const res = await post(`${gw.url}/v1/messages`, messageBody());
  assert.equal(res.status, 400);
  const body = await res.json();
  assert.equal(body.error.message, "key zz-u… may not use this model");
  assert.equal(body.error.type, "invalid_request_error");
});
