/**
 * Anthropic clients on OpenAI-compatible upstreams and OpenAI clients on Anthropic upstreams,
 * end to end through the real gateway with the official SDKs.
 */
import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { FakeUpstream } from "../helpers/fake_upstream.ts";
import { FakeOpenAI } from "../helpers/fake_openai.ts";
import {
  anthropicProvider,
  bookkept,
  inPriorityOrder,
  messageBody,
  parseSse,
  post,
  startTestGateway,
} from "../helpers/gateway.ts";

const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

function openaiProvider(
  name: string,
  baseUrl: string,
  keys: string[],
  extra: Record<string, unknown> = {},
) {
  return {
    name,
    type: "openai-compatible",
    baseUrl,
    accounts: keys.map((k, i) => ({ name: `${name}-${i + 1}`, apiKey: k })),
    ...extra,
  };
}

/** An Anthropic provider that asks account "bad" (key-bad) first, then "good" (key-good). */
function badThenGood(baseUrl: string) {
  return anthropicProvider(
    "anthropic",
    baseUrl,
    [],
    inPriorityOrder(["bad", "key-bad"], ["good", "key-good"]),
  );
}

Deno.test("Anthropic SDK on an OpenAI-compatible upstream: text, stream, tools round trip, images", async () => {
  await using fake = await FakeOpenAI.start((req) => {
    const last = req.body.messages.at(-1);
    if (last.role === "tool") return { kind: "reply", text: `tool said: ${last.content}` };
    if (JSON.stringify(req.body.messages).includes("run it")) {
      return {
        kind: "reply",
        text: "Running.",
        toolCalls: [{ id: "call_1", name: "Bash", arguments: '{"command":"echo hi"}' }],
      };
    }
    return {
      kind: "reply",
      text: "Hello from OpenAI.",
      usage: { prompt_tokens: 120, completion_tokens: 7, cached: 20 },
    };
  });
  await using gw = await startTestGateway({
    providers: [openaiProvider("openai", fake.url + "/v1", ["sk-oa-1"])],
    aliases: { middle: "gpt-test" },
  });
  const client = new Anthropic({ apiKey: "x", baseURL: gw.url, maxRetries: 0 });
  const msg = await client.messages.create({
    model: "claude-sonnet-5-5",
    max_tokens: 200,
    system: "be brief",
    messages: [{ role: "user", content: "hi" }],
  });
  assert.equal((msg.content[0] as { text: string }).text, "Hello from OpenAI.");
  assert.equal(msg.usage.input_tokens, 100, "prompt_tokens minus cached");
  assert.equal(msg.usage.cache_read_input_tokens, 20);
  const sent = fake.requests[0];
  assert.equal(sent.path, "/v1/chat/completions");
  assert.equal(sent.headers.get("authorization"), "Bearer sk-oa-1");
  assert.equal(sent.body.model, "gpt-test", "sonnet → MIDDLE_MODEL");
  assert.deepEqual(sent.body.messages[0], { role: "system", content: "be brief" });

  const stream = client.messages.stream({
    model: "claude-sonnet-5-5",
    max_tokens: 200,
    messages: [{ role: "user", content: "hi" }],
  });
  let text = "";
  stream.on("text", (t) => (text += t));
  const final = await stream.finalMessage();
  assert.equal(text, "Hello from OpenAI.");
  assert.equal(final.stop_reason, "end_turn");
  assert.equal(fake.requests[1].body.stream_options?.include_usage, true);

  const tools = [{
    name: "Bash",
    description: "run",
    input_schema: { type: "object" as const, properties: { command: { type: "string" } } },
  }];
  const first = await client.messages.stream({
    model: "claude-sonnet-5-5",
    max_tokens: 200,
    tools,
    messages: [{ role: "user", content: "run it" }],
  }).finalMessage();
  assert.equal(first.stop_reason, "tool_use");
  const toolUse = first.content.find((b) => b.type === "tool_use") as {
    id: string;
    input: unknown;
    name: string;
  };
  assert.deepEqual(toolUse.input, { command: "echo hi" });
  assert.equal(toolUse.name, "Bash");
  assert.equal(fake.requests[2].body.tools[0].function.name, "Bash");

  const second = await client.messages.create({
    model: "claude-sonnet-5-5",
    max_tokens: 200,
    tools,
    messages: [
      { role: "user", content: "run it" },
      { role: "assistant", content: first.content as never },
      {
        role: "user",
        content: [{ type: "tool_result", tool_use_id: toolUse.id, content: "hi" }],
      },
    ],
  });
  assert.equal((second.content[0] as { text: string }).text, "tool said: hi");
  const roundTrip = fake.requests[3].body.messages;
  assert.equal(
    roundTrip.at(-2).tool_calls[0].id,
    roundTrip.at(-1).tool_call_id,
    "tool ids still match",
  );

  await client.messages.create({
    model: "claude-sonnet-5-5",
    max_tokens: 50,
    messages: [{
      role: "user",
      content: [
        { type: "image", source: { type: "base64", media_type: "image/png", data: PNG } },
        { type: "text", text: "what?" },
      ],
    }],
  });
  const parts = fake.requests[4].body.messages.at(-1).content;
  assert.equal(parts[0].type, "image_url");
  assert.equal(parts[0].image_url.url, `data:image/png;base64,${PNG}`);
});

Deno.test("OpenAI SDK on an Anthropic upstream: plain, streaming with usage, tools, images", async () => {
  await using fake = await FakeUpstream.start(() => ({
    kind: "text",
    text: "Anthropic says hi",
    inputTokens: 30,
    outputTokens: 5,
  }));
  await using gw = await startTestGateway({
    providers: [anthropicProvider("anthropic", fake.url, ["key-a"])],
  });
  const client = new OpenAI({ apiKey: "x", baseURL: `${gw.url}/v1`, maxRetries: 0 });
  const res = await client.chat.completions.create({
    model: "claude-sonnet-5-5",
    messages: [{ role: "system", content: "sys" }, { role: "user", content: "hi" }],
    max_tokens: 100,
  });
  assert.equal(res.choices[0].message.content, "Anthropic says hi");
  assert.equal(res.choices[0].finish_reason, "stop");
  assert.equal(res.usage?.completion_tokens, 5);
  const upstream = fake.requests[0].json();
  assert.equal(upstream.max_tokens, 100);
  assert.deepEqual(upstream.system, [{ type: "text", text: "sys" }]);
  assert.equal(fake.requests[0].key, "key-a");

  const stream = await client.chat.completions.create({
    model: "claude-sonnet-5-5",
    messages: [{ role: "user", content: "hi" }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = "";
  let usage;
  for await (const c of stream) {
    text += c.choices[0]?.delta?.content ?? "";
    if (c.usage) usage = c.usage;
  }
  assert.equal(text, "Anthropic says hi");
  assert.equal(usage?.prompt_tokens, 35, "input 30 + cache read 5");

  await client.chat.completions.create({
    model: "claude-sonnet-5-5",
    messages: [{
      role: "user",
      content: [{ type: "text", text: "see" }, {
        type: "image_url",
        image_url: { url: `data:image/png;base64,${PNG}` },
      }],
    }],
    tools: [{
      type: "function",
      function: { name: "Bash", parameters: { type: "object", properties: {} } },
    }],
    tool_choice: "required",
  });
  const sent = fake.requests[2].json();
  assert.equal(sent.messages[0].content[1].type, "image");
  assert.equal(sent.messages[0].content[1].source.media_type, "image/png");
  assert.equal(sent.tools[0].name, "Bash");
  assert.deepEqual(sent.tool_choice, { type: "any" });

  const models = await client.models.list();
  assert.ok(Array.isArray(models.data));
});

Deno.test("OpenAI SDK on an OpenAI upstream goes through directly, with errors in OpenAI shape", async () => {
  await using fake = await FakeOpenAI.start((req) =>
    req.headers.get("authorization") === "Bearer sk-1"
      ? { kind: "error", status: 429, headers: { "x-ratelimit-reset-requests": "20s" } }
      : { kind: "reply", text: "direct" }
  );
  await using gw = await startTestGateway({
    auth: { clientKeys: ["client-key-1"] },
    providers: [
      openaiProvider("openai", fake.url + "/v1", ["sk-1", "sk-2"], {
        models: { "my-model": "gpt-upstream" },
      }),
    ],
  });
  const client = new OpenAI({ apiKey: "client-key-1", baseURL: `${gw.url}/v1`, maxRetries: 0 });
  const res = await client.chat.completions.create({
    model: "my-model",
    messages: [{ role: "user", content: "hi" }],
    temperature: 1.5,
  });
  assert.equal(res.choices[0].message.content, "direct");
  assert.equal(fake.requests.length, 2, "429 on the first key, served by the second");
  assert.equal(fake.requests[1].body.model, "gpt-upstream");
  assert.equal(fake.requests[1].body.temperature, 1.5, "OpenAI body passes through untranslated");
  const status = await (await fetch(`${gw.url}/status/accounts/openai-1`, {
    headers: { "x-api-key": "client-key-1" },
  })).json();
  assert.equal(status.status, "rate_limited");
  assert.ok(
    status.cooldowns[0].seconds_left > 15 && status.cooldowns[0].seconds_left <= 20,
    "x-ratelimit-reset-requests honoured",
  );

  const bad = new OpenAI({ apiKey: "wrong", baseURL: `${gw.url}/v1`, maxRetries: 0 });
  await assert.rejects(
    bad.chat.completions.create({
      model: "my-model",
      messages: [{ role: "user", content: "hi" }],
    }),
    OpenAI.AuthenticationError,
  );
  const raw = await post(`${gw.url}/v1/chat/completions`, "{oops", {
    authorization: "Bearer client-key-1",
  });
  assert.equal(raw.status, 400);
  const err = await raw.json();
  assert.equal(err.error.type, "invalid_request_error");
  assert.ok(typeof err.error.message === "string");
});

Deno.test("DeepSeek reasoning_content becomes thinking and is sent back on the tool turn", async () => {
  await using fake = await FakeOpenAI.start((req) =>
    req.body.messages.at(-1).role === "tool" ? { kind: "reply", text: "done" } : {
      kind: "reply",
      reasoning: "I should run it.",
      toolCalls: [{ id: "call_x", name: "Bash", arguments: "{}" }],
    }
  );
  await using gw = await startTestGateway({
    providers: [{
      name: "deepseek",
      type: "openai-compatible",
      preset: "deepseek",
      baseUrl: fake.url,
      accounts: [{ name: "ds", apiKey: "ds-key" }],
    }],
  });
  const client = new Anthropic({ apiKey: "x", baseURL: gw.url, maxRetries: 0 });
  const tools = [{ name: "Bash", input_schema: { type: "object" as const } }];
  const first = await client.messages.stream({
    model: "claude-opus-5-5",
    max_tokens: 2000,
    thinking: { type: "enabled", budget_tokens: 1024 },
    tools,
    messages: [{ role: "user", content: "go" }],
  }).finalMessage();
  assert.equal(first.content[0].type, "thinking");
  assert.equal((first.content[0] as { thinking: string }).thinking, "I should run it.");
  const tu = first.content.find((b) => b.type === "tool_use") as { id: string; input: unknown };
  assert.deepEqual(tu.input, {}, "empty arguments become {}");
  assert.equal(fake.requests[0].body.thinking?.type, "enabled");
  await client.messages.create({
    model: "claude-opus-5-5",
    max_tokens: 2000,
    tools,
    messages: [
      { role: "user", content: "go" },
      { role: "assistant", content: first.content as never },
      { role: "user", content: [{ type: "tool_result", tool_use_id: tu.id, content: "ok" }] },
    ],
  });
  const assistant = fake.requests[1].body.messages.find((m: { role: string }) =>
    m.role === "assistant"
  );
  assert.equal(
    assistant.reasoning_content,
    "I should run it.",
    "reasoning_content replayed on the tool turn",
  );
});

Deno.test("OpenRouter reasoning, Azure URL and header shape, Ollama without auth", async () => {
  await using fake = await FakeOpenAI.start(() => ({
    kind: "reply",
    text: "ok",
    reasoning: "hmm",
    reasoningField: "reasoning",
  }));
  await using gw = await startTestGateway({
    providers: [
      {
        name: "openrouter",
        type: "openai-compatible",
        preset: "openrouter",
        baseUrl: `${fake.url}/api/v1`,
        accounts: [{ name: "or", apiKey: "or-key" }],
      },
      {
        name: "azure",
        type: "openai-compatible",
        preset: "azure",
        baseUrl: `${fake.url}/openai/deployments/gpt5`,
        accounts: [{ name: "az", apiKey: "az-key" }],
      },
      {
        name: "ollama",
        type: "openai-compatible",
        preset: "ollama",
        baseUrl: `${fake.url}/v1`,
        accounts: [{ name: "local", apiKey: "unused" }],
      },
    ],
    profiles: {
      or: { chain: ["openrouter"] },
      az: { chain: ["azure"] },
      ol: { chain: ["ollama"] },
    },
  });
  const or = await (await post(
    `${gw.url}/p/or/v1/messages`,
    messageBody({ thinking: { type: "enabled", budget_tokens: 2048 }, max_tokens: 4096 }),
  )).json();
  assert.equal(or.content[0].type, "thinking");
  assert.equal(or.content[0].thinking, "hmm");
  assert.equal(fake.requests[0].path, "/api/v1/chat/completions");
  assert.ok(fake.requests[0].body.reasoning, "OpenRouter reasoning object requested");

  await (await post(`${gw.url}/p/az/v1/messages`, messageBody({ model: "gpt-5" }))).body
    ?.cancel();
  const az = fake.requests[1];
  assert.equal(az.path, "/openai/deployments/gpt5/chat/completions");
  assert.match(az.search, /^\?api-version=/);
  assert.equal(az.headers.get("api-key"), "az-key");
  assert.equal(az.headers.get("authorization"), null);
  assert.ok(
    "max_completion_tokens" in az.body && !("max_tokens" in az.body),
    "gpt-5 gets max_completion_tokens",
  );

  await (await post(`${gw.url}/p/ol/v1/messages`, messageBody())).body?.cancel();
  const ol = fake.requests[2];
  assert.equal(ol.path, "/v1/chat/completions");
  assert.equal(ol.headers.get("authorization"), null);
});

Deno.test("upstream garbage becomes a clean error event or error response, never a crash or hang", async () => {
  const cases: [string[], RegExp][] = [
    [["data: {not json\n\n"], /error/],
    [
      ['data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"par"},"finish_reason":null}]}\n\n'],
      /error/,
    ],
    [['data: {"error":{"message":"boom","type":"server_error"}}\n\n'], /error/],
  ];
  let i = 0;
  await using fake = await FakeOpenAI.start(() => ({
    kind: "garbage",
    lines: cases[i++ % cases.length][0],
  }));
  await using gw = await startTestGateway({
    timeouts: { readMs: 1000 },
    providers: [openaiProvider("openai", fake.url, ["k"])],
  });
  for (const [, pattern] of cases) {
    const res = await post(`${gw.url}/v1/messages`, messageBody({ stream: true }));
    const text = await res.text();
    if (res.status === 200) {
      const events = parseSse(text);
      assert.equal(events.at(-1)?.event, "error", text);
    } else {
      assert.match(text, pattern);
      assert.equal(JSON.parse(text).type, "error");
    }
  }
  const health = await fetch(`${gw.url}/health`);
  assert.equal(health.status, 200, "still serving");
  await health.body?.cancel();
});

Deno.test("a translated stream that fails before its first output fails over to the next account", async () => {
  for (
    const lines of [
      ['data: {"error":{"message":"Overloaded","type":"overloaded_error"}}\n\n'],
      ["data: {not json at all\n\n"],
    ]
  ) {
    await using fake = await FakeOpenAI.start((req) =>
      req.headers.get("authorization") === "Bearer bad"
        ? { kind: "garbage", lines }
        : { kind: "reply", text: "served by good" }
    );
    await using gw = await startTestGateway({
      providers: [
        openaiProvider("openai", fake.url, [], inPriorityOrder(["bad", "bad"], ["good", "good"])),
      ],
    });
    const res = await post(`${gw.url}/v1/messages`, messageBody({ stream: true }));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-ccgate-account"), "good", lines[0]);
    const events = parseSse(await res.text());
    assert.equal(events.at(-1)?.event, "message_stop");
    assert.equal(events.filter((e) => e.event === "message_start").length, 1);
    assert.equal(fake.requests.length, 2);
  }
});

Deno.test("OpenAI door: an Anthropic stream with a broken event is an error, never an empty success", async () => {
  const broken = [
    "event: message_start\ndata: {not json at all\n\n",
    'event: message_stop\ndata: {"type":"message_stop"}\n\n',
  ].join("");
  await using fake = await FakeUpstream.start((req) =>
    req.key === "key-bad"
      ? {
        kind: "raw",
        response: () => new Response(broken, { headers: { "content-type": "text/event-stream" } }),
      }
      : { kind: "text", text: "served by good" }
  );
  const chat = {
    model: "claude-sonnet-5-5",
    stream: true,
    messages: [{ role: "user", content: "hi" }],
  };
  // Alone, the broken account's answer must end in an error chunk.
  {
    await using gw = await startTestGateway({
      providers: [anthropicProvider("anthropic", fake.url, ["key-bad"])],
    });
    const res = await post(`${gw.url}/v1/chat/completions`, chat);
    const text = await res.text();
    assert.ok(!text.includes("[DONE]"), `no clean end: ${text}`);
    assert.match(text, /invalid stream event|not JSON/);
  }
  // With a good account behind it, the client never sees the broken one.
  {
    await using gw = await startTestGateway({
      providers: [badThenGood(fake.url)],
    });
    const client = new OpenAI({ apiKey: "x", baseURL: `${gw.url}/v1`, maxRetries: 0 });
    let text = "";
    const stream = await client.chat.completions.create({
      model: chat.model,
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    for await (const c of stream) {
      text += c.choices[0]?.delta?.content ?? "";
    }
    assert.equal(text, "served by good");
  }
});

Deno.test("Anthropic pass-through: a first event that is not JSON fails over before the client sees it", async () => {
  await using fake = await FakeUpstream.start((req) =>
    req.key === "key-bad"
      ? {
        kind: "raw",
        response: () =>
          new Response("event: message_start\ndata: {not json at all\n\n", {
            headers: { "content-type": "text/event-stream" },
          }),
      }
      : { kind: "text", text: "served by good" }
  );
  await using gw = await startTestGateway({
    providers: [badThenGood(fake.url)],
  });
  const client = new Anthropic({ apiKey: "x", baseURL: gw.url, maxRetries: 0 });
  const message = await client.messages.stream({
    model: "claude-sonnet-5-5",
    max_tokens: 50,
    messages: [{ role: "user", content: "hi" }],
  }).finalMessage();
  assert.equal((message.content[0] as { text: string }).text, "served by good");
  assert.equal(fake.requests.length, 2);
});

Deno.test("OpenAI door: a 2xx that is not JSON is named as such, not as a network error", async () => {
  await using fake = await FakeUpstream.start(() => ({
    kind: "raw",
    response: () => new Response("{oops", { headers: { "content-type": "application/json" } }),
  }));
  await using gw = await startTestGateway({
    providers: [anthropicProvider("anthropic", fake.url, ["key-a"])],
  });
  const res = await post(`${gw.url}/v1/chat/completions`, {
    model: "claude-sonnet-5-5",
    messages: [{ role: "user", content: "hi" }],
  });
  assert.equal(res.status, 502);
  const message = (await res.json()).error.message;
  assert.match(message, /last error: upstream answered 2xx with invalid JSON$/);
  await bookkept();
  const line = gw.logs.map((l) => JSON.parse(l)).find((l) => l.msg === "request");
  assert.equal(line?.route, "chat_completions", "the log line names the door");
});

Deno.test("count_tokens on an OpenAI-compatible upstream is answered locally", async () => {
  await using fake = await FakeOpenAI.start();
  await using gw = await startTestGateway({
    providers: [openaiProvider("openai", fake.url, ["k"])],
  });
  const res = await post(`${gw.url}/v1/messages/count_tokens`, {
    model: "claude-sonnet-5-5",
    messages: [{ role: "user", content: "hello ".repeat(400) }],
  });
  assert.equal(res.status, 200);
  const { input_tokens } = await res.json();
  assert.ok(input_tokens > 300 && input_tokens < 700, `estimate ${input_tokens}`);
  assert.equal(fake.requests.length, 0, "no upstream call");
});

Deno.test("thinking blocks another upstream family signed are dropped; native ones pass byte for byte", async () => {
  await using zai = await FakeUpstream.start(() => ({
    kind: "raw",
    response: () =>
      new Response(
        [
          `event: message_start\ndata: {"type":"message_start","message":{"id":"msg_z","type":"message","role":"assistant","model":"glm","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":1}}}\n\n`,
          `event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}\n\n`,
          `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"zai thoughts"}}\n\n`,
          `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"ZAI-SIGNATURE-123"}}\n\n`,
          `event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n`,
          `event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":3}}\n\n`,
          `event: message_stop\ndata: {"type":"message_stop"}\n\n`,
        ].join(""),
        { headers: { "content-type": "text/event-stream" } },
      ),
  }));
  await using anthropic = await FakeUpstream.start();
  await using gw = await startTestGateway({
    providers: [
      anthropicProvider("anthropic", anthropic.url, ["key-a"]),
      {
        name: "zai",
        type: "anthropic-compatible",
        preset: "zai",
        baseUrl: zai.url,
        accounts: [{ name: "z", apiKey: "zk" }],
      },
    ],
    profiles: { zai: { chain: ["zai"] } },
  });
  const first = await post(`${gw.url}/p/zai/v1/messages`, messageBody({ stream: true }));
  await first.text();
  const history = {
    ...messageBody(),
    messages: [
      { role: "user", content: "q1" },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "zai thoughts", signature: "ZAI-SIGNATURE-123" },
          { type: "text", text: "a1" },
        ],
      },
      { role: "user", content: "q2" },
      {
        role: "assistant",
        content: [{ type: "thinking", thinking: "native", signature: "NATIVE-SIG" }, {
          type: "text",
          text: "a2",
        }],
      },
      { role: "user", content: "q3" },
    ],
  };
  await (await post(`${gw.url}/v1/messages`, history)).body?.cancel();
  const sent = anthropic.requests[0].json();
  assert.deepEqual(
    sent.messages[1].content,
    [{ type: "text", text: "a1" }],
    "Z.AI-signed thinking dropped for Anthropic",
  );
  assert.deepEqual(
    sent.messages[3].content,
    history.messages[3].content,
    "unknown (native) signature kept",
  );

  const native = { ...messageBody(), messages: history.messages.slice(2) };
  await (await post(`${gw.url}/v1/messages`, native)).body?.cancel();
  assert.equal(
    anthropic.requests[1].body,
    JSON.stringify(native),
    "no foreign blocks: bytes untouched",
  );
});

Deno.test("OPENAI_API_KEY pool from the environment with BIG/SMALL mapping", async () => {
  const { envOverlay } = await import("../../src/config/env.ts");
  await using fake = await FakeOpenAI.start();
  const { overlay } = envOverlay({
    OPENAI_API_KEY: "k1,k2,k3",
    OPENAI_BASE_URL: `${fake.url}/v1`,
    BIG_MODEL: "gpt-big",
    SMALL_MODEL: "gpt-small",
  });
  await using gw = await startTestGateway(overlay);
  for (const model of ["claude-opus-5-5", "claude-haiku-5-5", "claude-opus-5-5"]) {
    await (await post(`${gw.url}/v1/messages`, messageBody({ model }))).body?.cancel();
  }
  assert.deepEqual(fake.requests.map((r) => r.body.model), ["gpt-big", "gpt-small", "gpt-big"]);
  assert.deepEqual(fake.requests.map((r) => r.headers.get("authorization")), [
    "Bearer k1",
    "Bearer k2",
    "Bearer k3",
  ]);
});

Deno.test("tool names over OpenAI's 64 characters are shortened upstream and restored for the client", async () => {
  const longName = `mcp__claude_ai_workspace_integrations__${
    "search_documents_by_title_".repeat(3)
  }v2`;
  assert.ok(longName.length > 64 && longName.length <= 128);
  const namesOf = (body: any): string[] => [
    ...(body.tools ?? []).map((t: any) => t.function.name),
    ...(typeof body.tool_choice === "object" ? [body.tool_choice.function.name] : []),
    ...body.messages.flatMap((m: any) => (m.tool_calls ?? []).map((c: any) => c.function.name)),
  ];
  // Like OpenAI: one invalid function name fails the whole request.
  await using fake = await FakeOpenAI.start((req) => {
    const bad = namesOf(req.body).find((n) => !/^[a-zA-Z0-9_-]{1,64}$/.test(n));
    if (bad) {
      return {
        kind: "error",
        status: 400,
        type: "invalid_request_error",
        message: `Invalid 'tools[0].function.name': string too long (${bad.length})`,
      };
    }
    return {
      kind: "reply",
      toolCalls: [{ id: "call_7", name: req.body.tools[0].function.name, arguments: '{"q":"x"}' }],
    };
  });
  await using gw = await startTestGateway({
    providers: [openaiProvider("openai", fake.url + "/v1", ["sk-oa-1"])],
  });
  const client = new Anthropic({ apiKey: "x", baseURL: gw.url, maxRetries: 0 });
  const request = {
    model: "claude-sonnet-5-5",
    max_tokens: 200,
    tools: [
      { name: longName, description: "search", input_schema: { type: "object" as const } },
      { name: "Bash", input_schema: { type: "object" as const } },
    ],
    tool_choice: { type: "tool" as const, name: longName },
    messages: [
      { role: "user" as const, content: "find it" },
      {
        role: "assistant" as const,
        content: [{ type: "tool_use" as const, id: "toolu_1", name: longName, input: { q: "a" } }],
      },
      {
        role: "user" as const,
        content: [{ type: "tool_result" as const, tool_use_id: "toolu_1", content: "nothing" }],
      },
    ],
  };
  const msg = await client.messages.create(request);
  const use = msg.content.find((b) => b.type === "tool_use") as { name: string; input: unknown };
  assert.equal(use.name, longName, "the client sees its own tool name");
  assert.deepEqual(use.input, { q: "x" });

  const stream = client.messages.stream(request);
  const final = await stream.finalMessage();
  const streamed = final.content.find((b) => b.type === "tool_use") as { name: string };
  assert.equal(streamed.name, longName);

  const sent = fake.requests.map((r) => namesOf(r.body));
  const short = sent[0][0];
  assert.ok(short.length <= 64 && short !== longName, short);
  assert.deepEqual(
    sent[0],
    [short, "Bash", short, short],
    "tools, tool_choice and history agree",
  );
  assert.deepEqual(sent[1], sent[0], "the same short name on every request");
});

Deno.test("Claude Code's mid-conversation system message: folded for generic servers, kept for OpenAI", async () => {
  // Like a Qwen chat template on vLLM: a system message after the first one is an error.
  await using fake = await FakeOpenAI.start((req) => {
    const late = req.body.messages.findIndex((m: any, i: number) => i > 0 && m.role === "system");
    if (late > 0 && req.headers.get("authorization") === "Bearer sk-strict") {
      return { kind: "error", status: 400, message: "System message must be at the beginning." };
    }
    return { kind: "reply", text: "ok" };
  });
  await using gw = await startTestGateway({
    providers: [
      openaiProvider("vllm", fake.url + "/v1", ["sk-strict"]),
      openaiProvider("openai", fake.url + "/v1", ["sk-open"], { preset: "openai" }),
    ],
  });
  const body = (model: string) => ({
    model,
    max_tokens: 100,
    system: [{ type: "text", text: "You are Claude Code." }],
    messages: [
      { role: "user", content: [{ type: "text", text: "hello" }] },
      { role: "system", content: "Environment: linux; deferred tools: WebFetch" },
      { role: "assistant", content: "hi" },
      { role: "user", content: "go on" },
    ],
  });
  const folded = await post(`${gw.url}/v1/messages`, body("qwen3-coder"));
  assert.equal(folded.status, 200, await folded.clone().text());
  const sentFolded = fake.requests.at(-1)!.body.messages;
  assert.deepEqual(sentFolded.map((m: any) => m.role), ["system", "user", "assistant", "user"]);
  assert.match(
    JSON.stringify(sentFolded[1].content),
    /hello.*<system-reminder>\\nEnvironment: linux; deferred tools: WebFetch\\n<\/system-reminder>/,
  );

  const kept = await post(`${gw.url}/v1/messages`, body("gpt-5"), {
    "x-account-name": "openai-1",
  });
  assert.equal(kept.status, 200);
  assert.equal(fake.requests.at(-1)!.headers.get("authorization"), "Bearer sk-open");
  const sentKept = fake.requests.at(-1)!.body.messages;
  assert.deepEqual(sentKept.map((m: any) => m.role), [
    "system",
    "user",
    "system",
    "assistant",
    "user",
  ]);
  assert.equal(sentKept[2].content, "Environment: linux; deferred tools: WebFetch");
});
