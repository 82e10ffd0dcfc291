/**
 * The OpenAI front door, OpenAI → Anthropic direction: request validation, request mapping,
 * response mapping, stream conversion (checked also with the official `openai` client) and
 * OpenAI-shaped errors.
 */
import assert from "node:assert/strict";
import OpenAI from "openai";
import {
  ChatRequestHead,
  describeOpenAIIssues,
  openAIIssueParam,
} from "../../src/protocol/openai_request.ts";
import {
  openAIError,
  openAIErrorChunk,
  openAIErrorFromAnthropic,
} from "../../src/protocol/openai_error.ts";
import {
  fromOpenAIRequest,
  thinkingStyleFor,
  wantsUsage,
} from "../../src/translate/from_openai_request.ts";
import { parseDataUri } from "../../src/translate/from_openai_request_content.ts";
import { toOpenAIResponse } from "../../src/translate/to_openai_response.ts";
import { anthropicToOpenAIStream } from "../../src/translate/to_openai_stream.ts";
import type { ChatRequest } from "../../src/translate/openai_types.ts";

// Loosely typed on purpose: clients send nulls, legacy roles and fields the types do not list.
const chat = (fields: Record<string, any>): ChatRequest => ({
  model: "claude-sonnet-5-5",
  messages: [{ role: "user", content: "hi" }],
  ...fields,
} as ChatRequest);

const translate = (fields: Record<string, any>) =>
  fromOpenAIRequest(chat(fields)) as Record<string, any>;

// ------------------------------------------------------------------ request head validation

Deno.test("ChatRequestHead accepts a minimal request and nulls for optional fields", () => {
  const ok = ChatRequestHead.safeParse({
    model: "gpt-4o",
    messages: [{ role: "developer", content: "x" }, { role: "user", content: "hi" }],
    stream: null,
    max_tokens: null,
    n: 1,
    extra_field: { kept: true },
  });
  assert.equal(ok.success, true);
  assert.deepEqual((ok.data as Record<string, unknown>).extra_field, { kept: true });
});

Deno.test("ChatRequestHead rejects n > 1, bad roles, empty messages and bad token limits clearly", () => {
  const cases: [unknown, string, string | null][] = [
    [
      { model: "m", messages: [{ role: "user", content: "x" }], n: 2 },
      "n: n > 1 is not supported: this gateway returns a single choice",
      "n",
    ],
    [
      { model: "m", messages: [{ role: "user" }, { role: "robot" }] },
      "messages[1].role: role must be one of system, developer, user, assistant, tool, function",
      "messages[1].role",
    ],
    [
      { model: "m", messages: [] },
      "messages: messages must contain at least one message",
      "messages",
    ],
    [{ messages: [{ role: "user" }] }, "model: Field required", "model"],
    [{ model: "", messages: [{ role: "user" }] }, "model: model must not be empty", "model"],
    [{ model: "m", messages: [{ role: "user" }], max_tokens: 0 }, "max_tokens: ", "max_tokens"],
    [
      { model: "m", messages: [{ role: "user" }], max_completion_tokens: 1.5 },
      "max_completion_tokens: ",
      "max_completion_tokens",
    ],
    [{ model: "m", messages: [{ role: "user" }], stream: "yes" }, "stream: ", "stream"],
  ];
  for (const [body, message, param] of cases) {
    const parsed = ChatRequestHead.safeParse(body);
    assert.equal(parsed.success, false, JSON.stringify(body));
    const line = describeOpenAIIssues(parsed.error!);
    assert.ok(line.startsWith(message), `${line} should start with ${message}`);
    assert.ok(!line.includes("\n"));
    assert.equal(openAIIssueParam(parsed.error!), param);
  }
});

// ------------------------------------------------------------------ request mapping

Deno.test("request: a complete request maps field by field", () => {
  const body = fromOpenAIRequest(chat({
    model: "claude-opus-5-5",
    messages: [
      { role: "system", content: "Be brief." },
      { role: "user", content: "What is 2+2?" },
    ],
    max_completion_tokens: 300,
    max_tokens: 999,
    temperature: 0.5,
    stop: "END",
    stream: true,
    stream_options: { include_usage: true },
    user: "user-42",
    seed: 7,
    presence_penalty: 0.5,
    response_format: { type: "json_object" },
    tools: [{
      type: "function",
      function: {
        name: "calc",
        description: "Calculates",
        parameters: { type: "object", properties: { expr: { type: "string" } } },
        strict: true,
      },
    }],
    tool_choice: "auto",
  }));
  assert.deepEqual(body, {
    model: "claude-opus-5-5",
    system: [{ type: "text", text: "Be brief." }],
    messages: [{ role: "user", content: [{ type: "text", text: "What is 2+2?" }] }],
    tools: [{
      name: "calc",
      description: "Calculates",
      input_schema: { type: "object", properties: { expr: { type: "string" } } },
    }],
    tool_choice: { type: "auto" },
    max_tokens: 300,
    stop_sequences: ["END"],
    temperature: 0.5,
    metadata: { user_id: "user-42" },
    stream: true,
  });
});

Deno.test("request: system and developer messages anywhere become system blocks in order", () => {
  const body = translate({
    messages: [
      { role: "system", content: "A" },
      { role: "user", content: "hi" },
      { role: "developer", content: [{ type: "text", text: "B1" }, { type: "text", text: "B2" }] },
      { role: "assistant", content: "hello" },
      { role: "system", content: "C" },
      { role: "user", content: "more" },
    ],
  });
  assert.deepEqual(body.system, [
    { type: "text", text: "A" },
    { type: "text", text: "B1" },
    { type: "text", text: "B2" },
    { type: "text", text: "C" },
  ]);
  assert.deepEqual(body.messages, [
    { role: "user", content: [{ type: "text", text: "hi" }] },
    { role: "assistant", content: [{ type: "text", text: "hello" }] },
    { role: "user", content: [{ type: "text", text: "more" }] },
  ]);
});

Deno.test("request: images (data URI, url), PDFs and text files map to image/document blocks", () => {
  const body = translate({
    messages: [{
      role: "user",
      content: [
        { type: "text", text: "Look:" },
        { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0K", detail: "high" } },
        { type: "image_url", image_url: { url: "data:image/jpg;base64,/9j/4AAQ" } },
        { type: "image_url", image_url: { url: "https://example.com/cat.webp" } },
        {
          type: "file",
          file: { file_data: "data:application/pdf;base64,JVBERi0x", filename: "a.pdf" },
        },
        { type: "file", file: { file_data: "JVBERi0y", filename: "b.pdf" } },
        { type: "file", file: { file_data: "data:text/plain;base64,aGVsbG8=", filename: "n.txt" } },
        { type: "file", file: { file_id: "file-abc" } },
        { type: "input_audio", input_audio: { data: "AAA", format: "wav" } },
      ],
    }],
  });
  assert.deepEqual(body.messages[0].content, [
    { type: "text", text: "Look:" },
    { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0K" } },
    { type: "image", source: { type: "base64", media_type: "image/jpeg", data: "/9j/4AAQ" } },
    { type: "image", source: { type: "url", url: "https://example.com/cat.webp" } },
    {
      type: "document",
      source: { type: "base64", media_type: "application/pdf", data: "JVBERi0x" },
      title: "a.pdf",
    },
    {
      type: "document",
      source: { type: "base64", media_type: "application/pdf", data: "JVBERi0y" },
      title: "b.pdf",
    },
    {
      type: "document",
      source: { type: "text", media_type: "text/plain", data: "hello" },
      title: "n.txt",
    },
    {
      type: "text",
      text: "[file file-abc omitted: OpenAI file ids cannot be sent to this upstream]",
    },
    { type: "text", text: "[audio input omitted: this upstream does not accept audio]" },
  ]);
});

Deno.test("request: data URIs parse with and without base64", () => {
  assert.deepEqual(parseDataUri("data:image/PNG;base64,AA BB"), {
    mediaType: "image/png",
    base64: "AABB",
  });
  assert.deepEqual(parseDataUri("data:text/plain,h%C3%A9"), {
    mediaType: "text/plain",
    base64: btoa(String.fromCharCode(...new TextEncoder().encode("hé"))),
  });
  assert.equal(parseDataUri("https://x/y.png"), undefined);
  assert.equal(parseDataUri("data:nocomma"), undefined);
});

Deno.test("request: parallel tool calls and their results; ids sanitized on both sides", () => {
  const body = translate({
    messages: [
      { role: "user", content: "Check both" },
      {
        role: "assistant",
        content: "Let me check.",
        reasoning_content: "thinking without a signature",
        tool_calls: [
          {
            id: "call_1",
            type: "function",
            function: { name: "read", arguments: '{"path":"a.txt"}' },
          },
          {
            id: "functions.Bash:0",
            type: "function",
            function: { name: "bash", arguments: '{"cmd":"ls"}' },
          },
        ],
      },
      { role: "tool", tool_call_id: "call_1", content: "A" },
      { role: "tool", tool_call_id: "functions.Bash:0", content: [{ type: "text", text: "B" }] },
      { role: "user", content: "Thanks, now summarize" },
    ],
  });
  assert.deepEqual(body.messages, [
    { role: "user", content: [{ type: "text", text: "Check both" }] },
    {
      role: "assistant",
      content: [
        { type: "text", text: "Let me check." },
        { type: "tool_use", id: "call_1", name: "read", input: { path: "a.txt" } },
        { type: "tool_use", id: "functions_Bash_0", name: "bash", input: { cmd: "ls" } },
      ],
    },
    {
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "call_1", content: "A" },
        {
          type: "tool_result",
          tool_use_id: "functions_Bash_0",
          content: [{ type: "text", text: "B" }],
        },
        { type: "text", text: "Thanks, now summarize" },
      ],
    },
  ]);
});

Deno.test("request: empty, invalid and non-object arguments become {} (never a string)", () => {
  const body = translate({
    messages: [
      { role: "user", content: "go" },
      {
        role: "assistant",
        content: null,
        tool_calls: ["", "{bad", "[1,2]", "  ", '"str"', '{"ok":1}'].map((args, i) => ({
          id: `c${i}`,
          type: "function" as const,
          function: { name: "f", arguments: args },
        })),
      },
    ],
  });
  const inputs = body.messages[1].content.map((b: Record<string, unknown>) => b.input);
  assert.deepEqual(inputs, [{}, {}, {}, {}, {}, { ok: 1 }]);
});

Deno.test("request: tool results go first in their user turn; empty tool content is omitted", () => {
  const body = translate({
    messages: [
      { role: "user", content: "go" },
      {
        role: "assistant",
        tool_calls: [{ id: "t1", type: "function", function: { name: "f", arguments: "{}" } }],
      },
      { role: "user", content: "(the tool is slow)" },
      { role: "tool", tool_call_id: "t1", content: "" },
    ],
  });
  assert.deepEqual(body.messages[2], {
    role: "user",
    content: [
      { type: "tool_result", tool_use_id: "t1" },
      { type: "text", text: "(the tool is slow)" },
    ],
  });
});

Deno.test("request: legacy function_call / function role map to tool_use / tool_result", () => {
  const body = translate({
    functions: [{ name: "get_weather", parameters: { type: "object", properties: {} } }],
    function_call: { name: "get_weather" },
    messages: [
      { role: "user", content: "Weather?" },
      {
        role: "assistant",
        content: null,
        function_call: { name: "get_weather", arguments: '{"city":"Paris"}' },
      },
      { role: "function", name: "get_weather", content: "sunny" },
      { role: "function", name: "unknown_fn", content: "orphan" },
    ],
  });
  assert.deepEqual(body.messages, [
    { role: "user", content: [{ type: "text", text: "Weather?" }] },
    {
      role: "assistant",
      content: [{
        type: "tool_use",
        id: "call_function_0",
        name: "get_weather",
        input: { city: "Paris" },
      }],
    },
    {
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "call_function_0", content: "sunny" },
        { type: "text", text: "Result of function unknown_fn:\norphan" },
      ],
    },
  ]);
  assert.deepEqual(body.tools, [{
    name: "get_weather",
    input_schema: { type: "object", properties: {} },
  }]);
  assert.deepEqual(body.tool_choice, { type: "tool", name: "get_weather" });
});

Deno.test("request: consecutive same-role messages merge; empty and whitespace text is dropped", () => {
  const body = translate({
    messages: [
      { role: "user", content: "one" },
      { role: "user", content: [{ type: "text", text: "two" }, { type: "text", text: "  " }] },
      { role: "assistant", content: "" },
      { role: "assistant", content: null },
      { role: "assistant", content: "A" },
      { role: "assistant", content: [{ type: "text", text: "B" }] },
      { role: "user", content: "three" },
    ],
  });
  assert.deepEqual(body.messages, [
    { role: "user", content: [{ type: "text", text: "one" }, { type: "text", text: "two" }] },
    { role: "assistant", content: [{ type: "text", text: "A" }, { type: "text", text: "B" }] },
    { role: "user", content: [{ type: "text", text: "three" }] },
  ]);
});

Deno.test("request: a leading assistant turn is kept; only-system requests get a (continue) turn", () => {
  const leading = translate({
    messages: [
      { role: "system", content: "S" },
      { role: "assistant", content: "How can I help?" },
      { role: "user", content: "Hi" },
    ],
  });
  assert.deepEqual(leading.messages.map((m: { role: string }) => m.role), ["assistant", "user"]);
  const onlySystem = translate({ messages: [{ role: "system", content: "Tell a joke" }] });
  assert.deepEqual(onlySystem.messages, [{ role: "user", content: "(continue)" }]);
  assert.deepEqual(onlySystem.system, [{ type: "text", text: "Tell a joke" }]);
});

Deno.test("request: a final assistant prefill loses trailing whitespace", () => {
  const body = translate({
    messages: [{ role: "user", content: "Q" }, { role: "assistant", content: "The answer is " }],
  });
  assert.deepEqual(body.messages[1], {
    role: "assistant",
    content: [{ type: "text", text: "The answer is" }],
  });
});

Deno.test("request: reasoning_effort → thinking budgets, raising max_tokens when needed", () => {
  const cases: [Record<string, unknown>, Record<string, unknown> | undefined, number][] = [
    [{ reasoning_effort: "high" }, { type: "enabled", budget_tokens: 16384 }, 17408],
    [{ reasoning_effort: "medium" }, { type: "enabled", budget_tokens: 4096 }, 5120],
    [{ reasoning_effort: "low" }, { type: "enabled", budget_tokens: 1024 }, 4096],
    [{ reasoning_effort: "minimal" }, { type: "enabled", budget_tokens: 1024 }, 4096],
    // An explicit limit caps the budget (OpenAI's limit includes reasoning)…
    [{ reasoning_effort: "high", max_completion_tokens: 3000 }, {
      type: "enabled",
      budget_tokens: 2999,
    }, 3000],
    // …but never below the API minimum: then max_tokens is raised to budget + 1024.
    [{ reasoning_effort: "low", max_tokens: 500 }, { type: "enabled", budget_tokens: 1024 }, 2048],
    [{ reasoning_effort: "high", max_tokens: 40000 }, {
      type: "enabled",
      budget_tokens: 16384,
    }, 40000],
    [{ reasoning_effort: "none" }, undefined, 4096],
    [{ reasoning_effort: "bogus" }, undefined, 4096],
  ];
  for (const [fields, thinking, maxTokens] of cases) {
    const body = translate({ temperature: 0.2, top_p: 0.9, ...fields });
    assert.deepEqual(body.thinking, thinking, JSON.stringify(fields));
    assert.equal(body.max_tokens, maxTokens, JSON.stringify(fields));
    if (thinking) {
      assert.equal(body.temperature, undefined, "thinking forbids temperature");
      assert.equal(body.top_p, undefined);
    } else assert.equal(body.temperature, 0.2);
  }
});

Deno.test("request: adaptive thinking option, and forced tool use suppresses thinking", () => {
  const adaptive = fromOpenAIRequest(chat({ reasoning_effort: "minimal" }), {
    thinking: "adaptive",
  });
  assert.deepEqual(adaptive.thinking, { type: "adaptive" });
  assert.deepEqual(adaptive.output_config, { effort: "low" });
  assert.equal(adaptive.max_tokens, 4096);
  const forced = translate({
    reasoning_effort: "high",
    tools: [{ type: "function", function: { name: "f" } }],
    tool_choice: "required",
  });
  assert.equal(forced.thinking, undefined);
  assert.deepEqual(forced.tool_choice, { type: "any" });
});

Deno.test("request: no thinking on tool-loop continuations and prefills (no signatures to send)", () => {
  const loop = [
    { role: "user", content: "list files" },
    {
      role: "assistant",
      reasoning_content: "I should call ls",
      tool_calls: [{ id: "t1", type: "function", function: { name: "ls", arguments: "{}" } }],
    },
    { role: "tool", tool_call_id: "t1", content: "a.txt" },
  ];
  const continuation = translate({ reasoning_effort: "high", temperature: 0.5, messages: loop });
  assert.equal(continuation.thinking, undefined);
  assert.equal(continuation.max_tokens, 4096);
  assert.equal(continuation.temperature, 0.5);
  const prefill = translate({
    reasoning_effort: "high",
    messages: [{ role: "user", content: "Q" }, { role: "assistant", content: "A:" }],
  });
  assert.equal(prefill.thinking, undefined);
  const nextTurn = translate({
    reasoning_effort: "high",
    messages: [...loop, { role: "assistant", content: "a.txt" }, { role: "user", content: "ok" }],
  });
  assert.deepEqual(nextTurn.thinking, { type: "enabled", budget_tokens: 16384 });
});

Deno.test("request: thinkingStyleFor picks budget for Claude ≤ 4.6 and adaptive after", () => {
  const cases: [string, string][] = [
    ["claude-3-7-sonnet-latest", "budget"],
    ["claude-3-5-haiku-20241022", "budget"],
    ["claude-sonnet-4-20250514", "budget"],
    ["claude-opus-4", "budget"],
    ["claude-opus-4-1", "budget"],
    ["claude-sonnet-4-5-20250929", "budget"],
    ["anthropic.claude-haiku-4-5-20251001-v1:0", "budget"],
    ["claude-sonnet-4@20250514", "budget"],
    ["claude-opus-4-6", "budget"],
    ["claude-opus-4-7", "adaptive"],
    ["claude-opus-5-5", "adaptive"],
    ["claude-sonnet-5-5", "adaptive"],
    ["deepseek-chat", "budget"],
    ["glm-4.6", "budget"],
  ];
  for (const [model, style] of cases) assert.equal(thinkingStyleFor(model), style, model);
});

Deno.test("request: max_completion_tokens ?? max_tokens ?? defaultMaxTokens ?? 4096", () => {
  assert.equal(translate({ max_completion_tokens: 10, max_tokens: 20 }).max_tokens, 10);
  assert.equal(translate({ max_tokens: 20 }).max_tokens, 20);
  assert.equal(translate({ max_tokens: null }).max_tokens, 4096);
  assert.equal(fromOpenAIRequest(chat({}), { defaultMaxTokens: 8192 }).max_tokens, 8192);
});

Deno.test("request: temperature is clamped to 0–1; top_p is kept unless temperature is set", () => {
  assert.equal(translate({ temperature: 1.7 }).temperature, 1);
  assert.equal(translate({ temperature: 2 }).temperature, 1);
  assert.equal(translate({ temperature: -0.5 }).temperature, 0);
  assert.equal(translate({ temperature: 0 }).temperature, 0);
  assert.equal(translate({ temperature: 0.7 }).temperature, 0.7);
  const topP = translate({ top_p: 0.8 });
  assert.equal(topP.top_p, 0.8);
  assert.equal(topP.temperature, undefined);
  const both = translate({ temperature: 0.3, top_p: 0.8 });
  assert.equal(both.temperature, 0.3);
  assert.equal(both.top_p, undefined, "newer Claude models reject both");
});

Deno.test("request: stop string/array → stop_sequences without whitespace-only entries", () => {
  assert.deepEqual(translate({ stop: "END" }).stop_sequences, ["END"]);
  assert.deepEqual(translate({ stop: ["a", "\n", "", "###"] }).stop_sequences, ["a", "###"]);
  assert.equal(translate({ stop: ["\n\n"] }).stop_sequences, undefined);
  assert.equal(translate({ stop: null }).stop_sequences, undefined);
});

Deno.test("request: tool_choice forms and parallel_tool_calls", () => {
  const tools = [
    { type: "function", function: { name: "a", parameters: { properties: { x: {} } } } },
    { type: "function", function: { name: "b" } },
    { type: "custom", custom: { name: "grammar_tool" } },
  ];
  const cases: [Record<string, unknown>, unknown][] = [
    [{ tool_choice: "none" }, { type: "none" }],
    [{ tool_choice: "auto" }, { type: "auto" }],
    [{ tool_choice: "required" }, { type: "any" }],
    [{ tool_choice: { type: "function", function: { name: "b" } } }, { type: "tool", name: "b" }],
    [{}, undefined],
    [{ parallel_tool_calls: false }, { type: "auto", disable_parallel_tool_use: true }],
    [{ parallel_tool_calls: true }, undefined],
    [{ tool_choice: "required", parallel_tool_calls: false }, {
      type: "any",
      disable_parallel_tool_use: true,
    }],
    [{ tool_choice: { type: "function", function: { name: "a" } }, parallel_tool_calls: false }, {
      type: "tool",
      name: "a",
      disable_parallel_tool_use: true,
    }],
    [{ tool_choice: "none", parallel_tool_calls: false }, { type: "none" }],
  ];
  for (const [fields, expected] of cases) {
    const body = translate({ tools, ...fields } as Record<string, unknown>);
    assert.deepEqual(body.tool_choice, expected, JSON.stringify(fields));
    assert.deepEqual(body.tools, [
      { name: "a", input_schema: { type: "object", properties: { x: {} } } },
      { name: "b", input_schema: { type: "object", properties: {} } },
    ]);
  }
  const allowed = translate({
    tools,
    tool_choice: {
      type: "allowed_tools",
      allowed_tools: { mode: "required", tools: [{ type: "function", function: { name: "b" } }] },
    },
  } as Record<string, unknown>);
  assert.deepEqual(allowed.tool_choice, { type: "any" });
  assert.deepEqual(allowed.tools.map((t: { name: string }) => t.name), ["b"]);
  // tool_choice without tools would be a 400 upstream.
  const noTools = translate({ tool_choice: "required", parallel_tool_calls: false });
  assert.equal(noTools.tool_choice, undefined);
  assert.equal(noTools.tools, undefined);
});

Deno.test("request: user → metadata.user_id, stream passes, wantsUsage reads stream_options", () => {
  assert.deepEqual(translate({ user: "u1" }).metadata, { user_id: "u1" });
  assert.deepEqual(translate({ safety_identifier: "s1" }).metadata, { user_id: "s1" });
  assert.equal(translate({}).metadata, undefined);
  assert.equal(translate({ stream: false }).stream, false);
  assert.equal(translate({}).stream, undefined);
  assert.equal(wantsUsage(chat({ stream: true, stream_options: { include_usage: true } })), true);
  assert.equal(wantsUsage(chat({ stream: true })), false);
  assert.equal(wantsUsage(chat({ stream: false, stream_options: { include_usage: true } })), false);
});

Deno.test("request: cache_control on parts passes through (OpenRouter-style clients)", () => {
  const body = translate({
    messages: [{
      role: "user",
      content: [{ type: "text", text: "big doc", cache_control: { type: "ephemeral" } }],
    }],
  });
  assert.deepEqual(body.messages[0].content, [
    { type: "text", text: "big doc", cache_control: { type: "ephemeral" } },
  ]);
});

// ------------------------------------------------------------------ response mapping

const anthropicMessage = (fields: Record<string, unknown>) => ({
  id: "msg_01abc",
  type: "message",
  role: "assistant",
  model: "claude-sonnet-5-5",
  content: [{ type: "text", text: "Hi" }],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 10, output_tokens: 5 },
  ...fields,
});

Deno.test("response: text blocks concatenate; id, object, model, created, usage", () => {
  const before = Math.floor(Date.now() / 1000);
  const out = toOpenAIResponse(
    anthropicMessage({
      content: [{ type: "text", text: "Hello " }, { type: "text", text: "world" }],
    }),
    "my-model",
  );
  const { created, ...rest } = out;
  assert.ok(created >= before && created <= before + 2);
  assert.deepEqual(rest, {
    id: "chatcmpl-01abc",
    object: "chat.completion",
    model: "my-model",
    choices: [{
      index: 0,
      message: { role: "assistant", content: "Hello world", refusal: null },
      finish_reason: "stop",
      logprobs: null,
    }],
    usage: {
      prompt_tokens: 10,
      completion_tokens: 5,
      total_tokens: 15,
      prompt_tokens_details: { cached_tokens: 0 },
    },
  });
});

Deno.test("response: tool_use → tool_calls with JSON string arguments; content null without text", () => {
  const out = toOpenAIResponse(
    anthropicMessage({
      content: [
        { type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "echo hello" } },
        { type: "tool_use", id: "toolu_2", name: "Read", input: {} },
      ],
      stop_reason: "tool_use",
    }),
    "m",
  );
  assert.deepEqual(out.choices[0].message, {
    role: "assistant",
    content: null,
    refusal: null,
    tool_calls: [
      {
        id: "toolu_1",
        type: "function",
        function: { name: "Bash", arguments: '{"command":"echo hello"}' },
      },
      { id: "toolu_2", type: "function", function: { name: "Read", arguments: "{}" } },
    ],
  });
  assert.equal(out.choices[0].finish_reason, "tool_calls");
});

Deno.test("response: thinking → reasoning_content (signature and redacted thinking dropped)", () => {
  const out = toOpenAIResponse(
    anthropicMessage({
      content: [
        { type: "thinking", thinking: "Let me think. ", signature: "sig" },
        { type: "redacted_thinking", data: "opaque" },
        { type: "thinking", thinking: "Done.", signature: "sig2" },
        { type: "text", text: "42" },
      ],
    }),
    "m",
  );
  assert.deepEqual(out.choices[0].message, {
    role: "assistant",
    content: "42",
    refusal: null,
    reasoning_content: "Let me think. Done.",
  });
});

Deno.test("response: every stop_reason maps to a finish_reason consistent with tool calls", () => {
  const tool = { type: "tool_use", id: "t", name: "f", input: {} };
  const text = { type: "text", text: "x" };
  const cases: [string | null, unknown[], string | null][] = [
    ["end_turn", [text], "stop"],
    ["stop_sequence", [text], "stop"],
    ["pause_turn", [text], "stop"],
    ["refusal", [text], "content_filter"],
    ["max_tokens", [text], "length"],
    ["model_context_window_exceeded", [text], "length"],
    ["tool_use", [text, tool], "tool_calls"],
    ["tool_use", [text], "stop"], // no call to make: tool_calls would hang clients
    ["end_turn", [tool], "tool_calls"],
    ["max_tokens", [tool], "length"],
    [null, [text], null],
  ];
  for (const [stopReason, content, finish] of cases) {
    const out = toOpenAIResponse(anthropicMessage({ stop_reason: stopReason, content }), "m");
    assert.equal(out.choices[0].finish_reason, finish, `${stopReason} with ${content.length}`);
  }
});

Deno.test("response: usage with cache reads, cache writes and thinking tokens", () => {
  const out = toOpenAIResponse(
    anthropicMessage({
      usage: {
        input_tokens: 100,
        cache_read_input_tokens: 50,
        cache_creation_input_tokens: 25,
        output_tokens: 10,
        output_tokens_details: { thinking_tokens: 4 },
      },
    }),
    "m",
  );
  assert.deepEqual(out.usage, {
    prompt_tokens: 175,
    completion_tokens: 10,
    total_tokens: 185,
    prompt_tokens_details: { cached_tokens: 50, cache_write_tokens: 25 },
    completion_tokens_details: { reasoning_tokens: 4 },
  });
});

// ------------------------------------------------------------------ stream conversion

/** Anthropic SSE text from `[event, data]` pairs. */
function sse(events: [string, Record<string, unknown>][]): string {
  return events.map(([event, data]) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`).join(
    "",
  );
}

const messageStart = (usage: Record<string, unknown> = { input_tokens: 47, output_tokens: 1 }) =>
  [
    "message_start",
    {
      type: "message_start",
      message: {
        id: "msg_01stream",
        type: "message",
        role: "assistant",
        model: "claude-opus-5-5",
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage,
      },
    },
  ] as [string, Record<string, unknown>];
const blockStart = (index: number, block: Record<string, unknown>) =>
  [
    "content_block_start",
    { type: "content_block_start", index, content_block: block },
  ] as [string, Record<string, unknown>];
const delta = (index: number, d: Record<string, unknown>) =>
  [
    "content_block_delta",
    { type: "content_block_delta", index, delta: d },
  ] as [string, Record<string, unknown>];
const blockStop = (index: number) =>
  ["content_block_stop", { type: "content_block_stop", index }] as [
    string,
    Record<string, unknown>,
  ];
const messageDelta = (stopReason: string, usage: Record<string, unknown> = { output_tokens: 17 }) =>
  [
    "message_delta",
    { type: "message_delta", delta: { stop_reason: stopReason, stop_sequence: null }, usage },
  ] as [string, Record<string, unknown>];
const messageStop = ["message_stop", { type: "message_stop" }] as [string, Record<string, unknown>];
const ping = ["ping", { type: "ping" }] as [string, Record<string, unknown>];

const encoder = new TextEncoder();

/** Runs `pieces` (strings or bytes, fed one write each) through the transform. */
async function convert(
  pieces: (string | Uint8Array)[],
  options = { model: "gpt-via-claude", includeUsage: false },
): Promise<string> {
  const input = ReadableStream.from(
    pieces.map((p) => typeof p === "string" ? encoder.encode(p) : p),
  );
  const out = input.pipeThrough(anthropicToOpenAIStream(options));
  return await new Response(out).text();
}

/** The `data:` payloads of an OpenAI stream, JSON-parsed (or the literal `[DONE]`). */
function payloads(text: string): any[] {
  assert.ok(text === "" || text.endsWith("\n\n"), "stream ends at an event boundary");
  return text.split("\n\n").filter(Boolean).map((event) => {
    assert.ok(event.startsWith("data: "), `every event is one data line: ${event}`);
    assert.ok(!event.includes("\n"), "one line per event");
    const data = event.slice(6);
    return data === "[DONE]" ? data : JSON.parse(data);
  });
}

/** Checks the common fields and returns `[delta, finish_reason]` per chunk (usage chunks as-is). */
function deltas(text: string, model = "gpt-via-claude"): unknown[] {
  const chunks = payloads(text);
  const first = chunks[0];
  return chunks.map((c) => {
    if (c === "[DONE]" || c.error) return c;
    assert.equal(c.object, "chat.completion.chunk");
    assert.equal(c.id, first.id);
    assert.equal(c.created, first.created);
    assert.equal(c.model, model);
    if (c.choices.length === 0) return { usage: c.usage };
    return [c.choices[0].delta, c.choices[0].finish_reason];
  });
}

const textStream = sse([
  messageStart(),
  blockStart(0, { type: "text", text: "" }),
  ping,
  delta(0, { type: "text_delta", text: "Hello! I" }),
  delta(0, { type: "text_delta", text: " am here." }),
  blockStop(0),
  messageDelta("end_turn"),
  messageStop,
]);

Deno.test("stream: text deltas become content chunks, then finish, then [DONE]", async () => {
  const out = await convert([textStream]);
  assert.equal(payloads(out)[0].id, "chatcmpl-01stream");
  assert.deepEqual(deltas(out), [
    [{ role: "assistant", content: "" }, null],
    [{ content: "Hello! I" }, null],
    [{ content: " am here." }, null],
    [{}, "stop"],
    "[DONE]",
  ]);
  assert.equal(payloads(out)[3].usage, null, "the finish chunk carries usage: null");
  assert.equal("usage" in payloads(out)[1], false);
});

Deno.test("stream: the captured Claude Code text and tool_use responses convert", async () => {
  for (const name of ["text", "tool-use"]) {
    const raw = await Deno.readTextFile(
      new URL(
        `../../../shared/fixtures/claude-code/responses/${name}.response.sse`,
        import.meta.url,
      ),
    ).catch(() => undefined);
    if (raw === undefined) continue;
    const body = raw.slice(raw.indexOf("\n\n") + 2); // drop the recorded status and headers
    const out = deltas(await convert([body]));
    assert.equal(out.at(-1), "[DONE]");
    if (name === "tool-use") {
      assert.deepEqual(out.slice(-3, -1), [[{
        tool_calls: [{ index: 0, function: { arguments: '"}' } }],
      }, null], [{}, "tool_calls"]]);
    }
  }
});

Deno.test("stream: thinking then text → reasoning_content then content; signature dropped", async () => {
  const out = await convert([sse([
    messageStart(),
    blockStart(0, { type: "thinking", thinking: "" }),
    delta(0, { type: "thinking_delta", thinking: "Let me " }),
    delta(0, { type: "thinking_delta", thinking: "think." }),
    delta(0, { type: "signature_delta", signature: "EqQBCkgIAR..." }),
    blockStop(0),
    blockStart(1, { type: "redacted_thinking", data: "opaque" }),
    blockStop(1),
    blockStart(2, { type: "text", text: "" }),
    delta(2, { type: "text_delta", text: "42" }),
    blockStop(2),
    messageDelta("end_turn"),
    messageStop,
  ])]);
  assert.deepEqual(deltas(out), [
    [{ role: "assistant", content: "" }, null],
    [{ reasoning_content: "Let me " }, null],
    [{ reasoning_content: "think." }, null],
    [{ content: "42" }, null],
    [{}, "stop"],
    "[DONE]",
  ]);
});

const toolStream = sse([
  messageStart({
    input_tokens: 100,
    cache_read_input_tokens: 30,
    cache_creation_input_tokens: 20,
    output_tokens: 1,
  }),
  blockStart(0, { type: "text", text: "" }),
  delta(0, { type: "text_delta", text: "I'll run both." }),
  blockStop(0),
  blockStart(1, { type: "tool_use", id: "toolu_A", name: "Bash", input: {} }),
  delta(1, { type: "input_json_delta", partial_json: "" }),
  delta(1, { type: "input_json_delta", partial_json: '{"command":"ec' }),
  delta(1, { type: "input_json_delta", partial_json: 'ho hi"}' }),
  blockStop(1),
  ping,
  blockStart(2, { type: "tool_use", id: "toolu_B", name: "Read", input: {} }),
  delta(2, { type: "input_json_delta", partial_json: '{"path":' }),
  delta(2, { type: "input_json_delta", partial_json: '"a.txt"}' }),
  blockStop(2),
  blockStart(3, { type: "tool_use", id: "toolu_C", name: "NoArgs", input: {} }),
  blockStop(3),
  messageDelta("tool_use", { output_tokens: 88 }),
  messageStop,
]);

Deno.test("stream: text then tool_use blocks with fragmented input_json → indexed tool_calls", async () => {
  const out = await convert([toolStream]);
  assert.deepEqual(deltas(out), [
    [{ role: "assistant", content: "" }, null],
    [{ content: "I'll run both." }, null],
    [{
      tool_calls: [{
        index: 0,
        id: "toolu_A",
        type: "function",
        function: { name: "Bash", arguments: "" },
      }],
    }, null],
    [{ tool_calls: [{ index: 0, function: { arguments: '{"command":"ec' } }] }, null],
    [{ tool_calls: [{ index: 0, function: { arguments: 'ho hi"}' } }] }, null],
    [{
      tool_calls: [{
        index: 1,
        id: "toolu_B",
        type: "function",
        function: { name: "Read", arguments: "" },
      }],
    }, null],
    [{ tool_calls: [{ index: 1, function: { arguments: '{"path":' } }] }, null],
    [{ tool_calls: [{ index: 1, function: { arguments: '"a.txt"}' } }] }, null],
    [{
      tool_calls: [{
        index: 2,
        id: "toolu_C",
        type: "function",
        function: { name: "NoArgs", arguments: "" },
      }],
    }, null],
    // A call that streamed nothing still gets parseable arguments.
    [{ tool_calls: [{ index: 2, function: { arguments: "{}" } }] }, null],
    [{}, "tool_calls"],
    "[DONE]",
  ]);
});

Deno.test("stream: the usage chunk comes only with includeUsage, after finish, before [DONE]", async () => {
  const without = deltas(await convert([toolStream]));
  assert.ok(without.every((c) => !(c as { usage?: unknown })?.usage));
  const withUsage = await convert([toolStream], { model: "gpt-via-claude", includeUsage: true });
  const chunks = payloads(withUsage);
  assert.ok(chunks.slice(0, -2).every((c) => c.usage === null), "other chunks: usage null");
  assert.deepEqual(deltas(withUsage).slice(-3), [
    [{}, "tool_calls"],
    {
      usage: {
        prompt_tokens: 150,
        completion_tokens: 88,
        total_tokens: 238,
        prompt_tokens_details: { cached_tokens: 30, cache_write_tokens: 20 },
      },
    },
    "[DONE]",
  ]);
});

Deno.test("stream: usage overwrites (cumulative counters), later message_delta values win", async () => {
  const out = await convert([sse([
    messageStart({ input_tokens: 5, output_tokens: 1 }),
    blockStart(0, { type: "text", text: "" }),
    delta(0, { type: "text_delta", text: "x" }),
    blockStop(0),
    messageDelta("max_tokens", { output_tokens: 10 }),
    ["message_delta", {
      type: "message_delta",
      delta: {},
      usage: { input_tokens: 7, output_tokens: 12 },
    }],
    messageStop,
  ])], { model: "m", includeUsage: true });
  const chunks = deltas(out, "m");
  assert.deepEqual(chunks.slice(-3), [
    [{}, "length"],
    {
      usage: {
        prompt_tokens: 7,
        completion_tokens: 12,
        total_tokens: 19,
        prompt_tokens_details: { cached_tokens: 0 },
      },
    },
    "[DONE]",
  ]);
});

Deno.test("stream: an error event mid-stream → error chunk, no [DONE], output ends", async () => {
  const out = await convert([
    sse([
      messageStart(),
      blockStart(0, { type: "text", text: "" }),
      delta(0, { type: "text_delta", text: "Hello, t" }),
      ["error", { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }],
    ]),
    sse([delta(0, { type: "text_delta", text: "ignored" }), messageStop]),
  ]);
  assert.deepEqual(deltas(out), [
    [{ role: "assistant", content: "" }, null],
    [{ content: "Hello, t" }, null],
    { error: { message: "Overloaded", type: "server_error", param: null, code: null } },
  ]);
  const rate = payloads(
    await convert([sse([[
      "error",
      { type: "error", error: { type: "rate_limit_error", message: "slow down" } },
    ]])]),
  );
  assert.deepEqual(rate, [{
    error: { message: "slow down", type: "rate_limit_error", param: null, code: null },
  }]);
});

Deno.test("stream: an upstream that stays open after an error event does not hang the client", async () => {
  const never = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(encoder.encode(sse([messageStart(), [
        "error",
        { type: "error", error: { type: "api_error", message: "boom" } },
      ]])));
      // never closes
    },
  });
  const text = await new Response(
    never.pipeThrough(anthropicToOpenAIStream({ model: "m", includeUsage: false })),
  ).text();
  assert.equal(payloads(text).at(-1).error.message, "boom");
});

Deno.test("stream: a truncated stream (no message_stop) ends with an error chunk", async () => {
  const cut = textStream.slice(0, textStream.indexOf("event: content_block_stop"));
  const out = deltas(await convert([cut]));
  assert.deepEqual(out.at(-1), {
    error: {
      message: "upstream stream ended before the message was complete",
      type: "server_error",
      param: null,
      code: null,
    },
  });
  assert.ok(!out.includes("[DONE]"));
  // Empty input too.
  assert.equal(payloads(await convert([])).length, 1);
});

Deno.test("stream: a last event without its blank line still completes; unknown events are ignored", async () => {
  const body = sse([
    messageStart(),
    ["future_event", { type: "future_event", x: 1 }],
    blockStart(0, { type: "text", text: "" }),
    delta(0, { type: "citations_delta", citation: {} }),
    delta(0, { type: "text_delta", text: "ok" }),
    blockStop(0),
    blockStart(1, { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: {} }),
    delta(1, { type: "input_json_delta", partial_json: '{"q":"x"}' }),
    blockStop(1),
    messageDelta("end_turn"),
  ]) + 'event: message_stop\ndata: {"type":"message_stop"}';
  assert.deepEqual(deltas(await convert([body])), [
    [{ role: "assistant", content: "" }, null],
    [{ content: "ok" }, null],
    [{}, "stop"],
    "[DONE]",
  ]);
});

Deno.test("stream: CRLF line endings and events without an event: line work", async () => {
  const body = textStream.replaceAll("\n", "\r\n").replace(/event: [a-z_]+\r\n/g, "");
  assert.deepEqual(deltas(await convert([body])), deltas(await convert([textStream])));
});

/** Replaces the `created` timestamps so outputs from different runs compare. */
const stable = (s: string) => s.replace(/"created":\d+/g, '"created":0');

Deno.test("stream: input split at every byte position gives identical output", async () => {
  const body = sse([
    messageStart(),
    blockStart(0, { type: "thinking", thinking: "" }),
    delta(0, { type: "thinking_delta", thinking: "héllo — 世界 🎉" }),
    blockStop(0),
    blockStart(1, { type: "tool_use", id: "toolu_Z", name: "f", input: {} }),
    delta(1, { type: "input_json_delta", partial_json: '{"k":"ü"}' }),
    blockStop(1),
    messageDelta("tool_use"),
    messageStop,
  ]);
  const bytes = encoder.encode(body);
  const whole = stable(await convert([bytes], { model: "m", includeUsage: true }));
  assert.ok(whole.includes("héllo — 世界 🎉"));
  for (let cut = 0; cut <= bytes.length; cut++) {
    const split = await convert([bytes.slice(0, cut), bytes.slice(cut)], {
      model: "m",
      includeUsage: true,
    });
    assert.equal(stable(split), whole, `split at byte ${cut}`);
  }
  // And one byte per write.
  const single = await convert(Array.from(bytes, (b) => new Uint8Array([b])), {
    model: "m",
    includeUsage: true,
  });
  assert.equal(stable(single), whole);
});

// ------------------------------------------------------------------ the official openai client

/** Serves `body` as the answer to POST /v1/chat/completions and runs `fn` with a client. */
async function withServer(
  respond: () => Response,
  fn: (client: OpenAI) => Promise<void>,
): Promise<void> {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    await req.body?.cancel();
    const path = new URL(req.url).pathname;
    if (req.method !== "POST" || path !== "/v1/chat/completions") {
      return new Response("not found", { status: 404 });
    }
    return respond();
  });
  try {
    const client = new OpenAI({
      apiKey: "sk-test",
      baseURL: `http://127.0.0.1:${server.addr.port}/v1`,
      maxRetries: 0,
    });
    await fn(client);
  } finally {
    await server.shutdown();
  }
}

const streamResponse = (anthropicSse: string, includeUsage: boolean) => () =>
  new Response(
    ReadableStream.from([encoder.encode(anthropicSse)]).pipeThrough(
      anthropicToOpenAIStream({ model: "gpt-via-claude", includeUsage }),
    ),
    { headers: { "content-type": "text/event-stream" } },
  );

Deno.test("openai client: stream helper reassembles content and tool calls", async () => {
  await withServer(streamResponse(toolStream, true), async (client) => {
    const stream = client.chat.completions.stream({
      model: "gpt-via-claude",
      messages: [{ role: "user", content: "run" }],
      stream_options: { include_usage: true },
    });
    const final = await stream.finalChatCompletion();
    const message = final.choices[0].message;
    assert.equal(message.content, "I'll run both.");
    assert.equal(final.choices[0].finish_reason, "tool_calls");
    const calls = (message.tool_calls ?? []) as {
      id: string;
      function: { name: string; arguments: string };
    }[];
    assert.deepEqual(calls.map((c) => [c.id, c.function.name, JSON.parse(c.function.arguments)]), [
      ["toolu_A", "Bash", { command: "echo hi" }],
      ["toolu_B", "Read", { path: "a.txt" }],
      ["toolu_C", "NoArgs", {}],
    ]);
    assert.equal(final.usage?.prompt_tokens, 150);
    assert.equal(final.usage?.completion_tokens, 88);
  });
});

Deno.test("openai client: create({stream:true}) iterates text chunks and the usage chunk", async () => {
  await withServer(streamResponse(textStream, true), async (client) => {
    const stream = await client.chat.completions.create({
      model: "gpt-via-claude",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let finish: string | null = null;
    let usage: unknown;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      text += choice.delta.content ?? "";
      finish = choice.finish_reason ?? finish;
    }
    assert.equal(text, "Hello! I am here.");
    assert.equal(finish, "stop");
    assert.deepEqual(usage, {
      prompt_tokens: 47,
      completion_tokens: 17,
      total_tokens: 64,
      prompt_tokens_details: { cached_tokens: 0 },
    });
  });
});

Deno.test("openai client: an error chunk mid-stream raises APIError", async () => {
  const failing = sse([
    messageStart(),
    blockStart(0, { type: "text", text: "" }),
    delta(0, { type: "text_delta", text: "partial" }),
    ["error", { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }],
  ]);
  await withServer(streamResponse(failing, false), async (client) => {
    const stream = await client.chat.completions.create({
      model: "gpt-via-claude",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    let text = "";
    await assert.rejects(
      async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      },
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.APIError);
        assert.match(error.message, /Overloaded/);
        assert.equal(error.type, "server_error");
        return true;
      },
    );
    assert.equal(text, "partial");
  });
});

Deno.test("openai client: a translated Anthropic error is an APIError with status, type and code", async () => {
  const anthropicBody = JSON.stringify({
    type: "error",
    error: { type: "rate_limit_error", message: "Number of requests exceeded" },
    request_id: "req_1",
  });
  await withServer(
    () =>
      openAIErrorFromAnthropic(429, anthropicBody, { "retry-after": "7", "request-id": "req_1" }),
    async (client) => {
      await assert.rejects(
        client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] }),
        (error: unknown) => {
          assert.ok(error instanceof OpenAI.RateLimitError);
          assert.equal(error.status, 429);
          assert.equal(error.type, "rate_limit_error");
          assert.equal(error.code, "rate_limit_error");
          assert.equal(error.requestID, "req_1");
          assert.match(error.message, /Number of requests exceeded/);
          return true;
        },
      );
    },
  );
});

// ------------------------------------------------------------------ OpenAI-shaped errors

Deno.test("openAIError: body shape, status, content-type, type by status, extra headers", async () => {
  const res = openAIError(400, "bad field", { param: "messages[0].role", headers: { "x-a": "1" } });
  assert.equal(res.status, 400);
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.equal(res.headers.get("x-a"), "1");
  assert.deepEqual(await res.json(), {
    error: {
      message: "bad field",
      type: "invalid_request_error",
      param: "messages[0].role",
      code: null,
    },
  });
  const types: [number, string][] = [
    [401, "authentication_error"],
    [403, "permission_error"],
    [404, "invalid_request_error"],
    [429, "rate_limit_error"],
    [500, "server_error"],
    [503, "server_error"],
  ];
  for (const [status, type] of types) {
    assert.equal((await openAIError(status, "x").json()).error.type, type, String(status));
  }
  const custom = await openAIError(404, "no model", {
    type: "invalid_request_error",
    code: "model_not_found",
  })
    .json();
  assert.equal(custom.error.code, "model_not_found");
});

Deno.test("openAIErrorFromAnthropic: keeps status and retry/request headers, maps the type", async () => {
  const res = openAIErrorFromAnthropic(
    529,
    '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
    new Headers({
      "retry-after": "3",
      "request-id": "req_9",
      "x-should-retry": "true",
      "anthropic-organization-id": "org",
      "content-type": "application/json",
    }),
  );
  assert.equal(res.status, 529);
  assert.equal(res.headers.get("retry-after"), "3");
  assert.equal(res.headers.get("request-id"), "req_9");
  assert.equal(res.headers.get("x-request-id"), "req_9");
  assert.equal(res.headers.get("x-should-retry"), "true");
  assert.equal(res.headers.get("anthropic-organization-id"), null);
  assert.deepEqual(await res.json(), {
    error: { message: "Overloaded", type: "server_error", param: null, code: "overloaded_error" },
  });
  const html = await openAIErrorFromAnthropic(502, "<html>\n Bad gateway </html>", {}).json();
  assert.deepEqual(html.error, {
    message: "<html> Bad gateway </html>",
    type: "server_error",
    param: null,
    code: "api_error",
  });
  const empty = await openAIErrorFromAnthropic(401, "", undefined).json();
  assert.equal(empty.error.message, "Upstream returned HTTP 401");
  assert.equal(empty.error.type, "authentication_error");
});

Deno.test("openAIErrorChunk: one data line with the error object", () => {
  assert.equal(
    openAIErrorChunk("server_error", "boom"),
    'data: {"error":{"message":"boom","type":"server_error","param":null,"code":null}}\n\n',
  );
});
