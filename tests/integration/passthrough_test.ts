import assert from "node:assert/strict";
import { FakeUpstream, textEvents } from "../helpers/fake_upstream.ts";
import {
  anthropicProvider,
  messageBody,
  parseSse,
  post,
  startTestGateway,
} from "../helpers/gateway.ts";

Deno.test("JSON and SSE pass through byte for byte with headers, betas and query intact", async () => {
  await using fake = await FakeUpstream.start();
  await using gw = await startTestGateway({
    providers: [anthropicProvider("anthropic", fake.url, ["key-a"])],
  });
  const res = await post(`${gw.url}/v1/messages?beta=true`, messageBody(), {
    "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14",
    "x-api-key": "client-key-not-forwarded",
    "x-claude-code-session-id": "s-1",
  });
  assert.equal(res.status, 200);
  const json = await res.json();
  assert.equal(json.content[0].text, "Hello from the fake upstream.");
  assert.match(res.headers.get("request-id") ?? "", /^req_/);
  assert.equal(res.headers.get("anthropic-ratelimit-requests-remaining"), "99");
  const seen = fake.requests[0];
  assert.equal(seen.path, "/v1/messages");
  assert.equal(seen.search, "?beta=true");
  assert.equal(seen.key, "key-a", "upstream sees the account key, not the client's");
  assert.equal(
    seen.headers.get("anthropic-beta"),
    "claude-code-20250219,interleaved-thinking-2025-05-14",
  );
  assert.equal(seen.headers.get("anthropic-version"), "2023-06-01");
  assert.equal(seen.headers.get("x-claude-code-session-id"), "s-1");
  assert.equal(seen.body, JSON.stringify(messageBody()), "body forwarded unchanged");

  const sse = await post(`${gw.url}/v1/messages?beta=true`, messageBody({ stream: true }));
  assert.equal(sse.status, 200);
  assert.match(sse.headers.get("content-type") ?? "", /text\/event-stream/);
  const text = await sse.text();
  const events = parseSse(text);
  assert.deepEqual(events.map((e) => e.event).slice(0, 3), [
    "message_start",
    "content_block_start",
    "ping",
  ]);
  assert.equal(events.at(-1)?.event, "message_stop");
  // Byte-identical: same event sequence the fake produced, modulo the random message id.
  const expected = textEvents("claude-sonnet-5-5", "Hello from the fake upstream.").join("");
  assert.equal(
    text.replace(/msg_[0-9a-f]+/, "msg_X"),
    expected.replace(/msg_[0-9a-f]+/, "msg_X"),
  );
});

Deno.test("usage from message_start/message_delta reaches the request log and the counters", async () => {
  await using fake = await FakeUpstream.start(() => ({
    kind: "text",
    inputTokens: 1234,
    outputTokens: 56,
  }));
  await using gw = await startTestGateway({
    providers: [anthropicProvider("anthropic", fake.url, ["key-a"])],
  });
  const res = await post(`${gw.url}/v1/messages`, messageBody({ stream: true }));
  await res.text();
  await new Promise((r) => setTimeout(r, 20));
  const line = gw.logs.map((l) => JSON.parse(l)).find((l) => l.msg === "request");
  assert.ok(line, "one request line");
  assert.equal(line.input_tokens, 1234);
  assert.equal(line.output_tokens, 56);
  assert.equal(line.cache_read_tokens, 5);
  assert.equal(line.account, "anthropic-1");
  assert.equal(line.upstream_status, 200);
  assert.equal(line.attempts, 1);
  const usage = gw.gateway.usage.get("anthropic/anthropic-1");
  assert.equal(usage.requests, 1);
  assert.equal(usage.input_tokens, 1234);
  assert.equal(usage.output_tokens, 56);
});

Deno.test("events are forwarded as they arrive, not buffered", async () => {
  await using fake = await FakeUpstream.start(() => ({
    kind: "text",
    text: "x".repeat(40),
    eventDelayMs: 150,
  }));
  await using gw = await startTestGateway({
    providers: [anthropicProvider("anthropic", fake.url, ["key-a"])],
  });
  const res = await post(`${gw.url}/v1/messages`, messageBody({ stream: true }));
  const reader = res.body!.getReader();
  const first = await reader.read();
  // The first chunk arrives while the upstream still has ~8 delayed events to send.
  assert.match(new TextDecoder().decode(first.value), /message_start/);
  assert.ok(
    fake.openStreams >= 1,
    "upstream stream still open when the client has the first event",
  );
  let rest = "";
  while (true) {
    const r = await reader.read();
    if (r.done) break;
    rest += new TextDecoder().decode(r.value);
  }
  assert.match(rest, /message_stop/);
});

Deno.test("count_tokens is forwarded to the Anthropic-format upstream", async () => {
  await using fake = await FakeUpstream.start();
  await using gw = await startTestGateway({
    providers: [anthropicProvider("anthropic", fake.url, ["key-a"])],
  });
  const res = await post(`${gw.url}/v1/messages/count_tokens?beta=true`, {
    model: "claude-sonnet-5-5",
    messages: [{ role: "user", content: "hi" }],
  });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { input_tokens: 20 });
  assert.equal(fake.requests[0].path, "/v1/messages/count_tokens");
  assert.equal(fake.requests[0].search, "?beta=true");
});

Deno.test("probes answer 200 and /v1/models lists configured models in Anthropic shape", async () => {
  await using fake = await FakeUpstream.start();
  await using gw = await startTestGateway({
    providers: [
      anthropicProvider("anthropic", fake.url, ["key-a"], {
        modelList: ["claude-opus-5-5", "claude-sonnet-5-5"],
      }),
    ],
    aliases: { small: "claude-haiku-5-5" },
  });
  for (const path of ["/", "/health", "/api/hello"]) {
    for (const method of ["GET", "HEAD"]) {
      const res = await fetch(gw.url + path, { method });
      await res.body?.cancel();
      assert.equal(res.status, 200, `${method} ${path}`);
    }
  }
  const models =
    await (await fetch(`${gw.url}/v1/models`, { headers: { "anthropic-version": "2023-06-01" } }))
      .json();
  const ids = models.data.map((m: { id: string }) => m.id);
  assert.deepEqual(ids.sort(), ["claude-haiku-5-5", "claude-opus-5-5", "claude-sonnet-5-5"]);
  assert.equal(models.data[0].type, "model");
  assert.equal(models.has_more, false);
  assert.ok(models.first_id);
});

Deno.test("no config: / explains how to add accounts and /v1/messages says none are configured", async () => {
  await using gw = await startTestGateway({});
  const home = await (await fetch(gw.url + "/")).text();
  assert.match(home, /ccgate accounts add/);
  assert.match(home, /ANTHROPIC_API_KEY/);
  const res = await post(`${gw.url}/v1/messages`, messageBody());
  assert.equal(res.status, 404);
  const body = await res.json();
  assert.equal(body.type, "error");
  assert.match(body.error.message, /no upstream accounts are configured/);
});
