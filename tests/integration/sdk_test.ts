import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import { FakeUpstream } from "../helpers/fake_upstream.ts";
import { anthropicProvider, startTestGateway } from "../helpers/gateway.ts";

const CLIENT_KEY = "ccgate-client-key-123";

async function setup(script?: ConstructorParameters<typeof Object>[0]) {
  const fake = await FakeUpstream.start(script as never);
  const gw = await startTestGateway({
    auth: { clientKeys: [CLIENT_KEY] },
    providers: [anthropicProvider("anthropic", fake.url, ["key-a", "key-b"], {
      modelList: ["claude-sonnet-5-5"],
    })],
  });
  const client = new Anthropic({ apiKey: CLIENT_KEY, baseURL: gw.url, maxRetries: 0 });
  return {
    fake,
    gw,
    client,
    async [Symbol.asyncDispose]() {
      await gw.close();
      await fake.close();
    },
  };
}

Deno.test("official SDK: messages.create through the gateway", async () => {
  await using t = await setup();
  const message = await t.client.messages.create({
    model: "claude-sonnet-5-5",
    max_tokens: 100,
    messages: [{ role: "user", content: "hello" }],
  });
  assert.equal(message.type, "message");
  assert.equal(message.content[0].type, "text");
  assert.equal((message.content[0] as { text: string }).text, "Hello from the fake upstream.");
  assert.equal(message.usage.output_tokens, 17);
  assert.equal(t.fake.requests[0].key === "key-a" || t.fake.requests[0].key === "key-b", true);
});

Deno.test("official SDK: streaming helpers (text events, finalMessage) work through the gateway", async () => {
  await using t = await setup(() => ({
    kind: "text",
    text: "streamed answer from upstream",
    inputTokens: 321,
  }));
  const stream = t.client.messages.stream({
    model: "claude-sonnet-5-5",
    max_tokens: 100,
    messages: [{ role: "user", content: "hello" }],
  });
  let text = "";
  stream.on("text", (delta) => (text += delta));
  const final = await stream.finalMessage();
  assert.equal(text, "streamed answer from upstream");
  assert.equal((final.content[0] as { text: string }).text, "streamed answer from upstream");
  assert.equal(final.stop_reason, "end_turn");
  assert.equal(final.usage.input_tokens, 321);
  assert.equal(final.usage.output_tokens, 17);

  // The raw iterator form as well.
  const raw = await t.client.messages.create({
    model: "claude-sonnet-5-5",
    max_tokens: 100,
    stream: true,
    messages: [{ role: "user", content: "hello" }],
  });
  const types: string[] = [];
  for await (const event of raw) types.push(event.type);
  assert.equal(types[0], "message_start");
  assert.equal(types.at(-1), "message_stop");
});

Deno.test("official SDK: beta messages, countTokens and models.list", async () => {
  await using t = await setup();
  const beta = await t.client.beta.messages.create({
    model: "claude-sonnet-5-5",
    max_tokens: 100,
    betas: ["interleaved-thinking-2025-05-14"],
    messages: [{ role: "user", content: "hello" }],
  });
  assert.equal(beta.type, "message");
  const seen = t.fake.requests[0];
  assert.match(seen.headers.get("anthropic-beta") ?? "", /interleaved-thinking-2025-05-14/);

  const count = await t.client.messages.countTokens({
    model: "claude-sonnet-5-5",
    messages: [{ role: "user", content: "hello" }],
  });
  assert.equal(count.input_tokens, 20);

  const models = [];
  for await (const m of t.client.models.list()) models.push(m.id);
  assert.deepEqual(models, ["claude-sonnet-5-5"]);
});

Deno.test("official SDK: gateway errors surface as typed SDK errors", async () => {
  await using t = await setup(() => ({
    kind: "error",
    status: 429,
    headers: { "retry-after": "900" },
  }));
  await assert.rejects(
    t.client.messages.create({
      model: "claude-sonnet-5-5",
      max_tokens: 10,
      messages: [{ role: "user", content: "x" }],
    }),
    (error: unknown) => {
      assert.ok(error instanceof Anthropic.RateLimitError);
      assert.equal(error.status, 429);
      assert.equal(error.headers?.get("retry-after") !== null, true);
      return true;
    },
  );
  const wrongKey = new Anthropic({
    apiKey: "wrong-key-000000",
    baseURL: t.gw.url,
    maxRetries: 0,
  });
  await assert.rejects(
    wrongKey.messages.create({
      model: "claude-sonnet-5-5",
      max_tokens: 10,
      messages: [{ role: "user", content: "x" }],
    }),
    (error: unknown) => error instanceof Anthropic.AuthenticationError,
  );
  const bearer = new Anthropic({
    apiKey: null,
    authToken: CLIENT_KEY,
    baseURL: t.gw.url,
    maxRetries: 0,
  });
  await assert.rejects(
    bearer.messages.create({
      model: "claude-sonnet-5-5",
      max_tokens: 10,
      messages: [{ role: "user", content: "x" }],
    }),
    (error: unknown) => error instanceof Anthropic.RateLimitError,
    "bearer auth passes the gateway (and then meets the exhausted upstream)",
  );
});

Deno.test("official SDK: a mid-stream error event rejects the stream helper with the upstream error", async () => {
  await using t = await setup(() => ({ kind: "stream-error", afterDeltas: 1 }));
  const stream = t.client.messages.stream({
    model: "claude-sonnet-5-5",
    max_tokens: 100,
    messages: [{ role: "user", content: "hello" }],
  });
  await assert.rejects(stream.finalMessage(), (error: unknown) => {
    assert.match(String((error as Error).message), /Overloaded|overloaded/);
    return true;
  });
});
