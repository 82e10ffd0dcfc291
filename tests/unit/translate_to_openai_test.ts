import assert from "node:assert/strict";
import { cleanSchema } from "../../src/translate/json_schema_clean.ts";
import type { ChatMessage, ChatRequest } from "../../src/translate/openai_types.ts";
import {
  reasoningEffortFor,
  type ToOpenAIOptions,
  toOpenAIRequest,
} from "../../src/translate/to_openai_request.ts";

// ------------------------------------------------------------------------------- helpers

const FIXTURES = new URL("../../../shared/fixtures/claude-code/", import.meta.url);
const noFixtures = (() => {
  try {
    return !Deno.statSync(FIXTURES).isDirectory;
  } catch {
    return true;
  }
})();

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(Deno.readTextFileSync(new URL(`${name}.request.json`, FIXTURES))).body;
}

function fixtureNames(): string[] {
  if (noFixtures) return [];
  return [...Deno.readDirSync(FIXTURES)]
    .filter((e) => e.name.endsWith(".request.json"))
    .map((e) => e.name.replace(/\.request\.json$/, ""))
    .filter((n) => Array.isArray(fixture(n)?.messages))
    .sort();
}

const OPTS: ToOpenAIOptions = {
  model: "gpt-test",
  maxTokensField: "max_tokens",
  reasoning: "reasoning_effort",
  replayReasoning: false,
  systemRole: "system",
  schemaDialect: "openai",
  includeUsage: true,
};

const convert = (body: Record<string, unknown>, opts: Partial<ToOpenAIOptions> = {}) =>
  toOpenAIRequest(body, { ...OPTS, ...opts });

const roles = (r: ChatRequest) => r.messages.map((m) => m.role);
const msg = <R extends ChatMessage["role"]>(m: ChatMessage, role: R) => {
  assert.equal(m.role, role);
  return m as Extract<ChatMessage, { role: R }>;
};

/** Chat Completions rule: each assistant tool_calls message is followed by exactly its tool messages. */
function assertToolSequence(messages: ChatMessage[]) {
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (m.role === "tool") assert.fail(`orphan tool message at ${i}`);
    if (m.role !== "assistant" || !m.tool_calls?.length) continue;
    const ids = m.tool_calls.map((c) => c.id).sort();
    const got: string[] = [];
    while (messages[i + 1]?.role === "tool") {
      got.push((messages[++i] as { tool_call_id: string }).tool_call_id);
    }
    assert.deepEqual(got.sort(), ids, `tool results after message ${i}`);
  }
}

const GEMINI_KEYS = new Set([
  "type",
  "description",
  "properties",
  "required",
  "items",
  "enum",
  "title",
  "nullable",
  "format",
]);

function assertGeminiSchema(schema: unknown, path = "$") {
  assert.ok(schema && typeof schema === "object" && !Array.isArray(schema), path);
  const s = schema as Record<string, unknown>;
  for (const key of Object.keys(s)) assert.ok(GEMINI_KEYS.has(key), `${path}: unexpected ${key}`);
  assert.equal(typeof s.type, "string", `${path}: type`);
  if (s.type === "object") {
    assert.ok(s.properties && typeof s.properties === "object", `${path}: properties`);
    for (const [k, v] of Object.entries(s.properties as object)) {
      assertGeminiSchema(v, `${path}.${k}`);
    }
    for (const r of (s.required as string[] | undefined) ?? []) {
      assert.ok(r in (s.properties as object), `${path}: required ${r} not defined`);
    }
  }
  if (s.type === "array") assertGeminiSchema(s.items, `${path}[]`);
  if (s.enum) assert.ok((s.enum as unknown[]).every((v) => typeof v === "string"), `${path}: enum`);
}

// ------------------------------------------------------------------------------- fixtures

Deno.test({
  name: "fixture plain-default: system, mid-conversation system, tools, thinking, stream",
  ignore: noFixtures,
  fn() {
    const body = fixture("plain-default");
    const r = convert(body);
    assert.deepEqual(Object.keys(r).sort(), [
      "max_tokens",
      "messages",
      "model",
      "reasoning_effort",
      "stream",
      "stream_options",
      "tools",
    ]);
    assert.equal(r.model, "gpt-test");
    assert.equal(r.max_tokens, 128000);
    assert.equal(r.reasoning_effort, "medium"); // adaptive + output_config.effort medium
    assert.equal(r.stream, true);
    assert.deepEqual(r.stream_options, { include_usage: true });
    assert.deepEqual(roles(r), ["system", "user", "system"]);
    const system = body.system as { text: string }[];
    assert.equal(r.messages[0].content, `${system[1].text}\n\n${system[2].text}`);
    assert.ok(!JSON.stringify(r).includes("x-anthropic-billing-header"));
    const user = (body.messages as { content: { text: string }[] }[])[0].content;
    assert.equal(r.messages[1].content, user.map((b) => b.text).join("\n\n"));
    const mid = (body.messages as { content: { text: string }[] }[])[1].content;
    assert.equal(r.messages[2].content, mid[0].text);
    // DeferredToolPlaceholder (defer_loading, never referenced) is hidden, as on Anthropic.
    const names = r.tools!.map((t) => t.function.name);
    assert.equal(names.length, 11);
    assert.ok(!names.includes("DeferredToolPlaceholder"));
    for (const tool of r.tools!) {
      const params = tool.function.parameters as Record<string, unknown>;
      assert.equal(params.type, "object");
      assert.equal(params.$schema, undefined);
      assert.ok(tool.function.description);
    }
    const json = JSON.stringify(r);
    for (
      const gone of [
        '"cache_control"',
        '"context_management"',
        '"output_config"',
        '"metadata"',
        "device_id",
        '"$schema"',
      ]
    ) {
      assert.ok(!json.includes(gone), gone);
    }
    assert.equal(r.user, undefined); // Claude Code's JSON user_id is dropped
  },
});

Deno.test({
  name:
    "fixture tool-roundtrip-2: assistant text + tool_use → tool_calls, tool_result → tool message",
  ignore: noFixtures,
  fn() {
    const body = fixture("tool-roundtrip-2");
    const r = convert(body);
    assert.deepEqual(roles(r), ["system", "user", "system", "assistant", "tool"]);
    const a = msg(r.messages[3], "assistant");
    assert.equal(a.content, "I'll run that.");
    assert.equal(a.tool_calls!.length, 1);
    const call = a.tool_calls![0];
    assert.equal(call.id, "toolu_01MOCKBASH000000000000001");
    assert.equal(call.type, "function");
    assert.equal(call.function.name, "Bash");
    assert.deepEqual(JSON.parse(call.function.arguments), {
      command: "echo hello",
      description: "say hello",
    });
    const t = msg(r.messages[4], "tool");
    assert.equal(t.tool_call_id, call.id);
    assert.equal(t.content, "hello");
    assert.equal(a.reasoning_content, undefined);
    assertToolSequence(r.messages);
  },
});

Deno.test({
  name:
    "fixture tool-denied-2: is_error → 'Error: ' prefix; tool-only assistant turn has null content",
  ignore: noFixtures,
  fn() {
    const r = convert(fixture("tool-denied-2"));
    const a = r.messages.find((m) => m.role === "assistant") as Extract<
      ChatMessage,
      { role: "assistant" }
    >;
    assert.equal(a.content, null);
    assert.equal(a.tool_calls![0].id, "toolu_01MOCKBASHWRITE00000000001");
    const t = r.messages.find((m) => m.role === "tool")!;
    assert.match(t.content as string, /^Error: touch in '.*created-by-tool\.txt' needs approval/);
    assertToolSequence(r.messages);
  },
});

Deno.test({
  name: "fixture tool-read-2: tool_result without is_error is plain text",
  ignore: noFixtures,
  fn() {
    const r = convert(fixture("tool-read-2"));
    const t = r.messages.find((m) => m.role === "tool")!;
    assert.equal(t.content, "1\thello from the fixture file\n2\tsecond line\n3\t");
  },
});

Deno.test({
  name:
    "fixture model-full-id: budget thinking → high, max_completion_tokens, no system prompt loss",
  ignore: noFixtures,
  fn() {
    const body = fixture("model-full-id");
    const r = convert(body, { maxTokensField: "max_completion_tokens" });
    assert.equal(r.max_completion_tokens, 32000);
    assert.equal(r.max_tokens, undefined);
    assert.equal(r.reasoning_effort, "high"); // budget_tokens 31999
    assert.deepEqual(roles(r), ["system", "user"]);
    assert.ok((r.messages[1].content as string).endsWith("say hello"));
    assert.ok(!JSON.stringify(r).includes("cache_control"));
  },
});

Deno.test({
  name: "fixture interactive-apikey: safeguards dropped, developer role, adaptive effort",
  ignore: noFixtures,
  fn() {
    const r = convert(fixture("interactive-apikey"), { systemRole: "developer" });
    assert.deepEqual(roles(r), ["developer", "user", "developer"]);
    assert.equal(r.reasoning_effort, "medium");
    const json = JSON.stringify(r);
    assert.ok(!json.includes("safeguards") && !json.includes("classifier_context"));
    assert.equal(r.tools!.length, 12);
  },
});

Deno.test({
  name: "fixture interactive-oauth-quota: string content, no stream",
  ignore: noFixtures,
  fn() {
    const r = convert(fixture("interactive-oauth-quota"));
    assert.deepEqual(r.messages, [{ role: "user", content: "quota" }]);
    assert.equal(r.max_tokens, 1);
    assert.equal(r.stream, undefined);
    assert.equal(r.stream_options, undefined);
  },
});

Deno.test({
  name: "every captured Claude Code body converts cleanly in every dialect",
  ignore: noFixtures,
  fn() {
    const names = fixtureNames();
    assert.ok(names.length >= 30);
    for (const name of names) {
      for (const schemaDialect of ["openai", "gemini", "plain"] as const) {
        const r = convert(fixture(name), { schemaDialect, replayReasoning: true });
        const json = JSON.stringify(r);
        assert.ok(!json.includes("cache_control"), name);
        assert.ok(!json.includes('"$schema"'), name);
        assert.ok(!json.includes("x-anthropic-billing-header"), name);
        assertToolSequence(r.messages);
        for (const m of r.messages) {
          if (m.role === "assistant") {
            for (const c of m.tool_calls ?? []) {
              assert.match(c.id, /^[A-Za-z0-9_-]+$/);
              assert.equal(typeof JSON.parse(c.function.arguments), "object");
            }
          }
        }
        if (schemaDialect === "gemini") {
          for (const t of r.tools ?? []) {
            assertGeminiSchema(t.function.parameters, `${name}:${t.function.name}`);
          }
        }
      }
    }
  },
});

// ------------------------------------------------------------------------------- system

Deno.test("system: string; text blocks joined with blank lines; billing header dropped", () => {
  assert.deepEqual(convert({ system: "be brief", messages: [] }).messages, [{
    role: "system",
    content: "be brief",
  }]);
  const r = convert({
    system: [
      { type: "text", text: "x-anthropic-billing-header: cc_version=1; cc_entrypoint=cli;" },
      { type: "text", text: "one", cache_control: { type: "ephemeral" } },
      { type: "text", text: "two" },
    ],
    messages: [{ role: "user", content: "hi" }],
  }, { systemRole: "developer" });
  assert.deepEqual(r.messages, [{ role: "developer", content: "one\n\ntwo" }, {
    role: "user",
    content: "hi",
  }]);
  assert.deepEqual(convert({ system: [], messages: [] }).messages, []);
});

Deno.test("mid-conversation system messages stay in place with the configured role", () => {
  const r = convert({
    messages: [
      { role: "user", content: "a" },
      {
        role: "system",
        content: [{ type: "text", text: "env", cache_control: { type: "ephemeral" } }],
      },
      { role: "assistant", content: "b" },
      { role: "system", content: "later" },
    ],
  }, { systemRole: "developer" });
  assert.deepEqual(r.messages, [
    { role: "user", content: "a" },
    { role: "developer", content: "env" },
    { role: "assistant", content: "b" },
    { role: "developer", content: "later" },
  ]);
});

// ------------------------------------------------------------------------------- user content

Deno.test("user: text-only blocks collapse to a string; images become image_url parts", () => {
  const r = convert({
    messages: [{
      role: "user",
      content: [
        { type: "text", text: "look" },
        { type: "image", source: { type: "base64", media_type: "image/png", data: "AAAA" } },
        { type: "image", source: { type: "url", url: "https://x.test/a.jpg" } },
        { type: "text", text: "", cache_control: { type: "ephemeral" } },
      ],
    }],
  });
  assert.deepEqual(r.messages, [{
    role: "user",
    content: [
      { type: "text", text: "look" },
      { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
      { type: "image_url", image_url: { url: "https://x.test/a.jpg" } },
    ],
  }]);
});

Deno.test("user: documents (PDF → file part, text → text, url → reference)", () => {
  const r = convert({
    messages: [{
      role: "user",
      content: [
        {
          type: "document",
          source: { type: "base64", media_type: "application/pdf", data: "JVBE" },
          title: "spec.pdf",
        },
        {
          type: "document",
          source: { type: "base64", media_type: "application/pdf", data: "JVBF" },
        },
        { type: "document", source: { type: "text", media_type: "text/plain", data: "plain doc" } },
        { type: "document", source: { type: "url", url: "https://x.test/d.pdf" } },
      ],
    }],
  });
  const parts = r.messages[0].content as Record<string, unknown>[];
  assert.deepEqual(parts[0], {
    type: "file",
    file: { filename: "spec.pdf", file_data: "data:application/pdf;base64,JVBE" },
  });
  assert.deepEqual(parts[1], {
    type: "file",
    file: { filename: "document.pdf", file_data: "data:application/pdf;base64,JVBF" },
  });
  assert.deepEqual(parts[2], { type: "text", text: "plain doc" });
  assert.deepEqual(parts[3], { type: "text", text: "[document: https://x.test/d.pdf]" });
});

// ------------------------------------------------------------------------------- tools in messages

const parallel = {
  messages: [
    { role: "user", content: "read both" },
    {
      role: "assistant",
      content: [
        { type: "thinking", thinking: "I should read both files.", signature: "sig" },
        { type: "text", text: "Reading." },
        { type: "tool_use", id: "toolu_A", name: "Read", input: { file_path: "/a" } },
        { type: "tool_use", id: "functions.Read:1", name: "Read", input: {} },
      ],
    },
    {
      role: "user",
      content: [
        {
          type: "tool_result",
          tool_use_id: "functions.Read:1",
          content: [{ type: "text", text: "B1" }, { type: "text", text: "B2" }],
        },
        {
          type: "tool_result",
          tool_use_id: "toolu_A",
          content: "A",
          cache_control: { type: "ephemeral" },
        },
        { type: "text", text: "continue" },
      ],
    },
  ],
};

Deno.test("parallel tool calls: two tool_calls, one tool message each (in order), then the user text", () => {
  const r = convert(parallel);
  assert.deepEqual(r.messages, [
    { role: "user", content: "read both" },
    {
      role: "assistant",
      content: "Reading.",
      tool_calls: [
        {
          id: "toolu_A",
          type: "function",
          function: { name: "Read", arguments: '{"file_path":"/a"}' },
        },
        // Kimi-style id sanitized the same way on both sides (pitfall 4); empty input → "{}".
        { id: "functions_Read_1", type: "function", function: { name: "Read", arguments: "{}" } },
      ],
    },
    { role: "tool", tool_call_id: "functions_Read_1", content: "B1\nB2" },
    { role: "tool", tool_call_id: "toolu_A", content: "A" },
    { role: "user", content: "continue" },
  ]);
});

Deno.test("replayReasoning: thinking → reasoning_content; tool turns without thinking get ''", () => {
  const r = convert(parallel, { replayReasoning: true });
  assert.equal(msg(r.messages[1], "assistant").reasoning_content, "I should read both files.");
  const r2 = convert({
    messages: [
      { role: "user", content: "go" },
      {
        role: "assistant",
        content: [{ type: "tool_use", id: "t1", name: "Bash", input: { command: "ls" } }],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "ok" }] },
      { role: "assistant", content: [{ type: "text", text: "done" }] },
    ],
  }, { replayReasoning: true });
  assert.equal(msg(r2.messages[1], "assistant").reasoning_content, ""); // DeepSeek/Kimi accept ""
  assert.equal(msg(r2.messages[3], "assistant").reasoning_content, undefined);
  // Without replay, thinking (and redacted thinking) is dropped entirely.
  const r3 = convert({
    messages: [
      { role: "user", content: "q" },
      {
        role: "assistant",
        content: [{ type: "redacted_thinking", data: "xx" }, {
          type: "thinking",
          thinking: "t",
          signature: "",
        }, { type: "text", text: "a" }],
      },
      {
        role: "assistant",
        content: [{ type: "thinking", thinking: "only thinking", signature: "" }],
      },
    ],
  });
  assert.deepEqual(r3.messages, [{ role: "user", content: "q" }, {
    role: "assistant",
    content: "a",
  }]);
  assert.ok(!JSON.stringify(r3).includes("thinking"));
});

Deno.test("reasoning_content round trip: a DeepSeek answer's thinking goes back on the next request", () => {
  // Shape of what fromOpenAIResponse produced and Claude Code echoes back.
  const r = convert({
    messages: [
      { role: "user", content: "q" },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "step 1", signature: "" },
          { type: "tool_use", id: "call_00_abc", name: "Bash", input: { command: "date" } },
        ],
      },
      {
        role: "user",
        content: [{ type: "tool_result", tool_use_id: "call_00_abc", content: "Mon" }],
      },
    ],
  }, { replayReasoning: true, reasoning: "deepseek" });
  assert.deepEqual(r.messages[1], {
    role: "assistant",
    content: null,
    tool_calls: [{
      id: "call_00_abc",
      type: "function",
      function: { name: "Bash", arguments: '{"command":"date"}' },
    }],
    reasoning_content: "step 1",
  });
});

Deno.test("tool_use input: never an empty string; string inputs are normalized", () => {
  const r = convert({
    messages: [{
      role: "assistant",
      content: [
        { type: "tool_use", id: "a", name: "X" },
        { type: "tool_use", id: "b", name: "X", input: '{"k":1}' },
        { type: "tool_use", id: "c", name: "X", input: "not json" },
      ],
    }],
  });
  const calls = msg(r.messages[0], "assistant").tool_calls!;
  assert.deepEqual(calls.map((c) => c.function.arguments), ["{}", '{"k":1}', "{}"]);
});

Deno.test("tool_result with an image: text stays in the tool message, the image follows in a user message", () => {
  const r = convert({
    messages: [
      {
        role: "assistant",
        content: [{ type: "tool_use", id: "shot", name: "Screenshot", input: {} }],
      },
      {
        role: "user",
        content: [
          {
            type: "tool_result",
            tool_use_id: "shot",
            content: [
              { type: "text", text: "captured" },
              { type: "image", source: { type: "base64", media_type: "image/jpeg", data: "/9j/" } },
            ],
          },
          { type: "text", text: "what do you see?" },
        ],
      },
    ],
  });
  assert.deepEqual(roles(r), ["assistant", "tool", "user"]);
  const tool = r.messages[1] as { content: string };
  assert.equal(typeof tool.content, "string"); // tool messages are text only
  assert.match(tool.content, /^captured\n\[1 attachment\(s\) from this tool result follow/);
  assert.deepEqual(r.messages[2].content, [
    { type: "text", text: "Attachment(s) from tool result shot:" },
    { type: "image_url", image_url: { url: "data:image/jpeg;base64,/9j/" } },
    { type: "text", text: "what do you see?" },
  ]);
});

Deno.test("tool_result variants: empty, error with blocks, tool_reference, search_result", () => {
  const r = convert({
    messages: [
      {
        role: "assistant",
        content: [
          { type: "tool_use", id: "e", name: "X", input: {} },
          { type: "tool_use", id: "f", name: "X", input: {} },
          { type: "tool_use", id: "g", name: "ToolSearch", input: { query: "web" } },
          { type: "tool_use", id: "h", name: "X", input: {} },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "e" },
          {
            type: "tool_result",
            tool_use_id: "f",
            is_error: true,
            content: [{ type: "text", text: "boom" }],
          },
          {
            type: "tool_result",
            tool_use_id: "g",
            content: [{ type: "tool_reference", tool_name: "WebFetch" }],
          },
          {
            type: "tool_result",
            tool_use_id: "h",
            content: [{
              type: "search_result",
              title: "T",
              source: "https://s.test",
              content: [{ type: "text", text: "body" }],
            }],
          },
        ],
      },
    ],
  });
  assert.deepEqual(r.messages.slice(1).map((m) => m.content), [
    "(no output)",
    "Error: boom",
    "Tool loaded: WebFetch",
    "T\nhttps://s.test\nbody",
  ]);
});

Deno.test("tool sequence repair: system between call and result moves after; missing/orphan results", () => {
  const r = convert({
    messages: [
      {
        role: "assistant",
        content: [{ type: "tool_use", id: "a", name: "X", input: {} }, {
          type: "tool_use",
          id: "b",
          name: "X",
          input: {},
        }],
      },
      { role: "system", content: "reminder" },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "a", content: "ra" }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "zzz", content: "stray" }] },
    ],
  });
  assert.deepEqual(r.messages, [
    msgOf(r.messages[0]),
    { role: "tool", tool_call_id: "a", content: "ra" },
    { role: "tool", tool_call_id: "b", content: "(no result)" },
    { role: "system", content: "reminder" },
    { role: "user", content: "Result of tool call zzz:\nstray" },
  ]);
  assertToolSequence(r.messages);
});

function msgOf(m: ChatMessage) {
  assert.equal(m.role, "assistant");
  return m;
}

// ------------------------------------------------------------------------------- tools & choice

const TOOLS = [
  {
    name: "Bash",
    description: "run",
    input_schema: {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      properties: { command: { type: "string" } },
      required: ["command"],
    },
    cache_control: { type: "ephemeral" },
  },
  {
    type: "custom",
    name: "Custom",
    input_schema: { type: "object", properties: {} },
    strict: true,
  },
  { type: "web_search_20250305", name: "web_search", max_uses: 5 },
  { type: "bash_20250124", name: "bash" },
  { type: "text_editor_20250728", name: "str_replace_based_edit_tool" },
  { name: "Later", input_schema: { type: "object", properties: {} }, defer_loading: true },
  { name: "Bash", input_schema: {} }, // duplicate name
];

Deno.test("tools: custom tools kept (schema cleaned), server tools and unreferenced deferred tools dropped", () => {
  const r = convert({ messages: [{ role: "user", content: "x" }], tools: TOOLS });
  assert.deepEqual(r.tools, [
    {
      type: "function",
      function: {
        name: "Bash",
        description: "run",
        parameters: {
          type: "object",
          properties: { command: { type: "string" } },
          required: ["command"],
        },
      },
    },
    {
      type: "function",
      function: { name: "Custom", parameters: { type: "object", properties: {} }, strict: true },
    },
  ]);
  // strict only for real OpenAI schemas.
  const plain = convert({ messages: [], tools: TOOLS }, { schemaDialect: "plain" });
  assert.equal(plain.tools![1].function.strict, undefined);
  // A tool search result that references the deferred tool makes it visible.
  const later = convert({
    messages: [
      {
        role: "assistant",
        content: [{ type: "tool_use", id: "s", name: "ToolSearch", input: {} }],
      },
      {
        role: "user",
        content: [{
          type: "tool_result",
          tool_use_id: "s",
          content: [{ type: "tool_reference", tool_name: "Later" }],
        }],
      },
    ],
    tools: TOOLS,
  });
  assert.deepEqual(later.tools!.map((t) => t.function.name), ["Bash", "Custom", "Later"]);
});

Deno.test("tool_choice auto/any/tool/none and disable_parallel_tool_use", () => {
  const base = { messages: [{ role: "user", content: "x" }], tools: TOOLS };
  const tc = (tool_choice: unknown) => convert({ ...base, tool_choice });
  assert.equal(tc({ type: "auto" }).tool_choice, "auto");
  assert.equal(tc({ type: "any" }).tool_choice, "required");
  assert.equal(tc({ type: "none" }).tool_choice, "none");
  assert.deepEqual(tc({ type: "tool", name: "Bash" }).tool_choice, {
    type: "function",
    function: { name: "Bash" },
  });
  // Forcing a dropped server tool would 400 upstream.
  assert.equal(tc({ type: "tool", name: "web_search" }).tool_choice, "auto");
  assert.equal(tc(undefined).tool_choice, undefined);
  assert.equal(tc({ type: "auto", disable_parallel_tool_use: true }).parallel_tool_calls, false);
  assert.equal(
    tc({ type: "any", disable_parallel_tool_use: false }).parallel_tool_calls,
    undefined,
  );
  // No tools left → no tool fields at all.
  const none = convert({
    messages: [],
    tools: [TOOLS[2]],
    tool_choice: { type: "any", disable_parallel_tool_use: true },
  });
  assert.equal(none.tools, undefined);
  assert.equal(none.tool_choice, undefined);
  assert.equal(none.parallel_tool_calls, undefined);
});

// ------------------------------------------------------------------------------- sampling & misc

Deno.test("sampling: max_tokens field/cap, temperature/top_p copied, top_k dropped, stop_sequences → stop", () => {
  const body = {
    messages: [],
    max_tokens: 5000,
    temperature: 0.2,
    top_p: 0.9,
    top_k: 40,
    stop_sequences: ["END", "STOP"],
  };
  const r = convert(body);
  assert.deepEqual(r, {
    model: "gpt-test",
    messages: [],
    max_tokens: 5000,
    temperature: 0.2,
    top_p: 0.9,
    stop: ["END", "STOP"],
  });
  const o = convert(body, { maxTokensField: "max_completion_tokens", maxTokensCap: 4096 });
  assert.equal(o.max_completion_tokens, 4096);
  assert.equal(o.max_tokens, undefined);
  assert.equal(convert({ messages: [], stop_sequences: [] }).stop, undefined);
});

Deno.test("thinking → effort: budget thresholds, adaptive efforts, disabled", () => {
  const e = (thinking: unknown, output_config?: unknown) =>
    reasoningEffortFor({ thinking, output_config });
  assert.equal(e({ type: "enabled", budget_tokens: 1024 }), "low");
  assert.equal(e({ type: "enabled", budget_tokens: 1025 }), "medium");
  assert.equal(e({ type: "enabled", budget_tokens: 8192 }), "medium");
  assert.equal(e({ type: "enabled", budget_tokens: 8193 }), "high");
  assert.equal(e({ type: "adaptive" }, { effort: "low" }), "low");
  assert.equal(e({ type: "adaptive" }, { effort: "medium" }), "medium");
  assert.equal(e({ type: "adaptive" }, { effort: "high" }), "high");
  assert.equal(e({ type: "adaptive" }, { effort: "xhigh" }), "high");
  assert.equal(e({ type: "adaptive" }, { effort: "max" }), "high");
  assert.equal(e({ type: "disabled" }), undefined);
  assert.equal(e(undefined, { effort: "high" }), undefined);
});

Deno.test("thinking → request fields per reasoning mode", () => {
  const body = { messages: [], thinking: { type: "enabled", budget_tokens: 2000 } };
  assert.equal(convert(body).reasoning_effort, "medium");
  const or = convert(body, { reasoning: "openrouter" });
  assert.deepEqual(or.reasoning, { effort: "medium" });
  assert.equal(or.reasoning_effort, undefined);
  const ds = convert(body, { reasoning: "deepseek" });
  assert.deepEqual(ds.thinking, { type: "enabled" });
  assert.equal(ds.reasoning_effort, "medium");
  const none = convert(body, { reasoning: "none" });
  assert.deepEqual(Object.keys(none).sort(), ["messages", "model"]);
  const off = convert({ messages: [], thinking: { type: "disabled" } }, { reasoning: "deepseek" });
  assert.deepEqual(Object.keys(off).sort(), ["messages", "model"]);
});

Deno.test("metadata.user_id → user only when it is a short plain string", () => {
  const u = (user_id: unknown) => convert({ messages: [], metadata: { user_id } }).user;
  assert.equal(u("user-42"), "user-42");
  assert.equal(u('{"device_id":"abc","session_id":"x"}'), undefined);
  assert.equal(u("x".repeat(65)), undefined);
  assert.equal(u("has space"), undefined);
  assert.equal(u(42), undefined);
});

Deno.test("stream: include_usage only when asked; fields with no OpenAI meaning are dropped", () => {
  const body = {
    messages: [],
    stream: true,
    context_management: { edits: [] },
    output_config: { effort: "high" },
    container: "c",
    mcp_servers: [{}],
    service_tier: "auto",
    safeguards: [{}],
    betas: ["x"],
    anthropic_version: "2023-06-01",
  };
  assert.deepEqual(convert(body), {
    model: "gpt-test",
    messages: [],
    stream: true,
    stream_options: { include_usage: true },
  });
  assert.deepEqual(convert(body, { includeUsage: false }), {
    model: "gpt-test",
    messages: [],
    stream: true,
  });
  assert.deepEqual(convert({ messages: [], stream: false }), { model: "gpt-test", messages: [] });
});

Deno.test("odd input does not throw", () => {
  assert.deepEqual(convert({}).messages, []);
  assert.deepEqual(convert({ messages: "nope", tools: "nope", system: 42 }).messages, []);
  assert.deepEqual(
    convert({ messages: [null, 1, { role: "user" }, { role: "tool", content: "x" }] }).messages,
    [],
  );
});

// ------------------------------------------------------------------------------- cleanSchema

Deno.test("cleanSchema openai/plain: drops $schema, adds missing type and properties, keeps the rest", () => {
  const input = {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    properties: { a: { type: "string", default: "x", maxLength: 4 } },
    additionalProperties: false,
  };
  const frozen = structuredClone(input);
  for (const dialect of ["openai", "plain"] as const) {
    assert.deepEqual(cleanSchema(input, dialect), {
      type: "object",
      properties: { a: { type: "string", default: "x", maxLength: 4 } },
      additionalProperties: false,
    });
  }
  assert.deepEqual(input, frozen); // not mutated
  for (const dialect of ["openai", "gemini", "plain"] as const) {
    assert.deepEqual(cleanSchema(undefined, dialect), { type: "object", properties: {} });
    assert.deepEqual(cleanSchema("x", dialect), { type: "object", properties: {} });
    assert.deepEqual(cleanSchema({ type: "object" }, dialect), { type: "object", properties: {} });
  }
});

Deno.test("cleanSchema gemini: $ref/$defs inlined, allOf merged, anyOf/oneOf/type arrays flattened", () => {
  const schema = {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    type: "object",
    $defs: {
      Point: {
        type: "object",
        properties: { x: { type: "number", format: "double" } },
        required: ["x"],
      },
    },
    properties: {
      at: { $ref: "#/$defs/Point", description: "where" },
      both: {
        allOf: [{ type: "object", properties: { a: { type: "string" } }, required: ["a"] }, {
          properties: { b: { type: "integer", format: "int64" } },
        }],
      },
      maybe: { anyOf: [{ type: "null" }, { type: "string", format: "email" }] },
      pick: { oneOf: [{ type: "integer", minimum: 0 }, { type: "string" }] },
      arr: { type: ["array", "null"], items: { type: "string", enum: ["a", "b"] }, maxItems: 3 },
      fixed: { const: "yes" },
      any: { description: "anything" },
      when: { type: "string", format: "date-time", default: "now", examples: ["x"] },
      // Property names that look like keywords are user data and must survive.
      pattern: { type: "string", pattern: "^a" },
      format: { type: "string" },
    },
    required: ["at", "ghost", "pattern"],
    additionalProperties: false,
  };
  const out = cleanSchema(schema, "gemini");
  assert.deepEqual(out, {
    type: "object",
    properties: {
      at: {
        type: "object",
        description: "where",
        properties: { x: { type: "number", format: "double" } },
        required: ["x"],
      },
      both: {
        type: "object",
        properties: { a: { type: "string" }, b: { type: "integer", format: "int64" } },
        required: ["a"],
      },
      maybe: { type: "string", nullable: true },
      pick: { type: "integer" },
      arr: { type: "array", nullable: true, items: { type: "string", enum: ["a", "b"] } },
      fixed: { type: "string", enum: ["yes"] },
      any: { type: "string", description: "anything" },
      when: { type: "string", format: "date-time" },
      pattern: { type: "string" },
      format: { type: "string" },
    },
    required: ["at", "pattern"],
  });
  assertGeminiSchema(out);
});

Deno.test("cleanSchema gemini: recursive $ref terminates; non-string enums and non-object roots are handled", () => {
  const tree = {
    type: "object",
    properties: {
      node: { $ref: "#" },
      level: { type: "integer", enum: [1, 2] },
      list: { type: "array" },
    },
  };
  const out = cleanSchema(tree, "gemini");
  assertGeminiSchema(out);
  const props = out.properties as Record<string, Record<string, unknown>>;
  assert.equal(props.level.enum, undefined);
  assert.deepEqual(props.list, { type: "array", items: { type: "string" } });
  assert.deepEqual(cleanSchema({ type: "string", description: "d" }, "gemini"), {
    type: "object",
    properties: {},
    description: "d",
  });
});
