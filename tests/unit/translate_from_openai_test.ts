import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import { parseToolArguments, ToolArgsStream } from "../../src/translate/from_openai_json_args.ts";
import { fromOpenAIResponse } from "../../src/translate/from_openai_response.ts";
import { SseDecoder } from "../../src/translate/from_openai_sse.ts";
import {
  anthropicEventsFromOpenAIChunks,
  OpenAIStreamConverter,
  openAIToAnthropicStream,
} from "../../src/translate/from_openai_stream.ts";
import { splitThinkTags, ThinkTagSplitter } from "../../src/translate/from_openai_think.ts";
import type { ChatCompletion } from "../../src/translate/openai_types.ts";

// ------------------------------------------------------------------------------- helpers

const OPTS = { model: "claude-sonnet-5-5", inputTokens: 1234 };

const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
  id: "chatcmpl-1",
  object: "chat.completion.chunk",
  created: 1,
  model: "up",
  choices: [{ index: 0, delta, finish_reason: finish }],
});
const usageChunk = (usage: Record<string, unknown>) => ({
  id: "chatcmpl-1",
  object: "chat.completion.chunk",
  created: 1,
  model: "up",
  choices: [],
  usage,
});
const tc = (index: number, fields: { id?: string; name?: string; args?: string }) => ({
  index,
  ...(fields.id ? { id: fields.id, type: "function" } : {}),
  function: {
    ...(fields.name ? { name: fields.name } : {}),
    ...(fields.args !== undefined ? { arguments: fields.args } : {}),
  },
});

interface Ev {
  event: string;
  data: any;
}

function parseSse(text: string): Ev[] {
  assert.ok(text.endsWith("\n\n"), "every event ends with a blank line");
  return text.slice(0, -2).split("\n\n").map((block) => {
    const lines = block.split("\n");
    assert.equal(lines.length, 2, `event shape: ${block}`);
    assert.ok(lines[0].startsWith("event: ") && lines[1].startsWith("data: "), block);
    return { event: lines[0].slice(7), data: JSON.parse(lines[1].slice(6)) };
  });
}

interface Result {
  events: Ev[];
  content: any[];
  stopReason?: string;
  usage?: any;
  error?: any;
  start: any;
}

/** Asserts every Anthropic stream invariant and rebuilds the final content. */
function validate(text: string): Result {
  const events = parseSse(text);
  assert.equal(events[0].event, "message_start");
  for (const e of events) assert.equal(e.data.type, e.event, "event name = data.type");
  const content: any[] = [];
  const json: string[] = [];
  let open: number | null = null;
  const result: Result = { events, content, start: events[0].data.message };
  for (let i = 1; i < events.length; i++) {
    const { event, data } = events[i];
    const isLast = i === events.length - 1;
    switch (event) {
      case "ping":
        break;
      case "content_block_start":
        assert.equal(open, null, "a block starts while another is open");
        assert.equal(data.index, content.length, "indices strictly sequential");
        open = data.index;
        content.push(structuredClone(data.content_block));
        json.push("");
        break;
      case "content_block_delta": {
        assert.equal(data.index, open, "delta to the open block only");
        const block = content[data.index];
        const d = data.delta;
        if (d.type === "text_delta") {
          assert.equal(block.type, "text");
          block.text += d.text;
        } else if (d.type === "thinking_delta") {
          assert.equal(block.type, "thinking");
          block.thinking += d.thinking;
        } else if (d.type === "input_json_delta") {
          assert.equal(block.type, "tool_use");
          assert.equal(typeof d.partial_json, "string");
          json[data.index] += d.partial_json;
        } else assert.fail(`unexpected delta ${d.type}`);
        break;
      }
      case "content_block_stop": {
        assert.equal(data.index, open, "stop matches the open block");
        const block = content[data.index];
        if (block.type === "tool_use") {
          let parsed: unknown;
          assert.doesNotThrow(
            () => (parsed = JSON.parse(json[data.index])),
            `tool JSON: ${json[data.index]}`,
          );
          assert.ok(parsed && typeof parsed === "object" && !Array.isArray(parsed));
          block.input = parsed;
          assert.match(block.id, /^[A-Za-z0-9_-]+$/);
        }
        open = null;
        break;
      }
      case "message_delta":
        assert.equal(open, null);
        assert.equal(events[i + 1]?.event, "message_stop");
        result.stopReason = data.delta.stop_reason;
        assert.equal(data.delta.stop_sequence, null);
        result.usage = data.usage;
        break;
      case "message_stop":
        assert.ok(isLast, "message_stop is last");
        break;
      case "error":
        assert.ok(isLast, "error is last");
        assert.equal(open, null, "blocks closed before the error");
        result.error = data.error;
        break;
      default:
        assert.fail(`unknown event ${event}`);
    }
  }
  const last = events[events.length - 1].event;
  assert.ok(last === "message_stop" || last === "error");
  return result;
}

const run = (chunks: unknown[], opts = OPTS) =>
  validate(anthropicEventsFromOpenAIChunks(chunks, opts));

const sse = (chunks: unknown[], eol = "\n") =>
  chunks.map((c) => `data: ${typeof c === "string" ? c : JSON.stringify(c)}${eol}${eol}`).join("");

async function pipe(pieces: Uint8Array[], opts = OPTS): Promise<string> {
  return await new Response(ReadableStream.from(pieces).pipeThrough(openAIToAnthropicStream(opts)))
    .text();
}

const normalizeIds = (s: string) => s.replace(/msg_[0-9a-f]{24}/g, "msg_X");

// ------------------------------------------------------------------------------- non-streaming

const completion = (
  message: Record<string, unknown>,
  finish: string | null = "stop",
  usage?: unknown,
) =>
  ({
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1,
    model: "up",
    choices: [{ index: 0, message: { role: "assistant", ...message }, finish_reason: finish }],
    ...(usage ? { usage } : {}),
  }) as unknown as ChatCompletion;

Deno.test("response: text + usage (cached tokens subtracted from input)", () => {
  const m = fromOpenAIResponse(
    completion({ content: "Hi!" }, "stop", {
      prompt_tokens: 100,
      completion_tokens: 7,
      total_tokens: 107,
      prompt_tokens_details: { cached_tokens: 60 },
    }),
    "claude-x",
  );
  assert.match(m.id as string, /^msg_/);
  const { id: _id, ...rest } = m;
  assert.deepEqual(rest, {
    type: "message",
    role: "assistant",
    model: "claude-x",
    content: [{ type: "text", text: "Hi!" }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: {
      input_tokens: 40,
      output_tokens: 7,
      cache_read_input_tokens: 60,
      cache_creation_input_tokens: 0,
    },
  });
});

Deno.test("response: reasoning_content / reasoning / <think> → leading thinking block with empty signature", () => {
  const ds = fromOpenAIResponse(
    completion({ content: "42", reasoning_content: "think hard" }),
    "m",
  );
  assert.deepEqual(ds.content, [
    { type: "thinking", thinking: "think hard", signature: "" },
    { type: "text", text: "42" },
  ]);
  const or = fromOpenAIResponse(completion({ content: "42", reasoning: "via openrouter" }), "m");
  assert.deepEqual((or.content as any[])[0], {
    type: "thinking",
    thinking: "via openrouter",
    signature: "",
  });
  const mm = fromOpenAIResponse(completion({ content: "\n<think>\nhmm\n</think>\n\nAnswer" }), "m");
  assert.deepEqual(mm.content, [
    { type: "thinking", thinking: "hmm", signature: "" },
    { type: "text", text: "Answer" },
  ]);
  const cut = fromOpenAIResponse(completion({ content: "<think>unfinished" }, "length"), "m");
  assert.deepEqual(cut.content, [{ type: "thinking", thinking: "unfinished", signature: "" }]);
  assert.equal(cut.stop_reason, "max_tokens");
});

Deno.test("response: tool calls → tool_use (empty/invalid args → {}, Kimi ids sanitized, tool_use wins)", () => {
  const m = fromOpenAIResponse(
    completion({
      content: "",
      tool_calls: [
        {
          id: "functions.Bash:0",
          type: "function",
          function: { name: "Bash", arguments: '{"command":"ls"}' },
        },
        { id: "call_2", type: "function", function: { name: "Read", arguments: "" } },
        { id: "call_3", type: "function", function: { name: "Read", arguments: "not json" } },
        {
          id: "call_4",
          type: "function",
          function: { name: "Read", arguments: '"{\\"file_path\\":\\"/x\\"}"' },
        },
        { id: "call_2", type: "function", function: { name: "Glob", arguments: "[1]" } },
        { id: "call_6", type: "function", function: { name: "", arguments: "{}" } },
      ],
    }, "stop"),
    "m",
  );
  assert.deepEqual(m.content, [
    { type: "tool_use", id: "functions_Bash_0", name: "Bash", input: { command: "ls" } },
    { type: "tool_use", id: "call_2", name: "Read", input: {} },
    { type: "tool_use", id: "call_3", name: "Read", input: {} },
    { type: "tool_use", id: "call_4", name: "Read", input: { file_path: "/x" } },
    { type: "tool_use", id: "call_2_2", name: "Glob", input: {} }, // ids stay unique
  ]);
  assert.equal(m.stop_reason, "tool_use"); // despite finish_reason "stop" (pitfall 5)
});

Deno.test("response: finish reasons length / content_filter / unknown / tool_calls without tools / refusal", () => {
  const stop = (finish: string | null, message: Record<string, unknown> = { content: "x" }) =>
    fromOpenAIResponse(completion(message, finish), "m").stop_reason;
  assert.equal(stop("length"), "max_tokens");
  assert.equal(stop("content_filter"), "refusal");
  assert.equal(stop("weird_new_reason"), "end_turn");
  assert.equal(stop(null), "end_turn");
  assert.equal(stop("tool_calls"), "end_turn"); // claimed tool calls that are not there
  const refusal = fromOpenAIResponse(
    completion({ content: null, refusal: "I can't help with that." }),
    "m",
  );
  assert.deepEqual(refusal.content, [{ type: "text", text: "I can't help with that." }]);
  assert.equal(refusal.stop_reason, "refusal");
  const call = (args: string) => ({
    id: "c",
    type: "function",
    function: { name: "Write", arguments: args },
  });
  const cut = fromOpenAIResponse(
    completion({ content: null, tool_calls: [call('{"content":"par')] }, "length"),
    "m",
  );
  assert.equal(cut.stop_reason, "max_tokens");
  assert.deepEqual((cut.content as any[])[0].input, { content: "par" });
  const whole = fromOpenAIResponse(
    completion({ content: null, tool_calls: [call('{"content":"all"}')] }, "length"),
    "m",
  );
  assert.equal(whole.stop_reason, "tool_use");
});

Deno.test("response: empty content is skipped; odd shapes do not throw", () => {
  assert.deepEqual(fromOpenAIResponse(completion({ content: "" }), "m").content, []);
  assert.deepEqual(fromOpenAIResponse({} as ChatCompletion, "m").content, []);
  const parts = completion({ content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] });
  assert.deepEqual(fromOpenAIResponse(parts, "m").content, [{ type: "text", text: "ab" }]);
  const m = fromOpenAIResponse(
    { choices: [{ message: { function_call: { name: "F", arguments: "{}" } } }] } as never,
    "m",
  );
  assert.equal((m.content as any[])[0].name, "F");
  assert.deepEqual(m.usage, {
    input_tokens: 0,
    output_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation_input_tokens: 0,
  });
});

// ------------------------------------------------------------------------------- tool arguments

const DOCS: Record<string, unknown>[] = [
  {},
  { a: 1 },
  {
    command: 'echo "hi" \\ done\n',
    n: -1.5e3,
    zero: 0,
    b: true,
    f: false,
    z: null,
    arr: [1, [2, {}], "x", []],
    u: "é🌍\u0001",
  },
  { nested: { deep: { k: [false, { x: "}" }] } } },
];

Deno.test("ToolArgsStream: any split of valid JSON passes through unchanged (as JSON)", () => {
  for (const doc of DOCS) {
    for (const text of [JSON.stringify(doc), JSON.stringify(doc, null, 1)]) {
      for (let i = 0; i <= text.length; i++) {
        const t = new ToolArgsStream();
        const out = t.push(text.slice(0, i)) + t.push(text.slice(i)) + t.finish();
        assert.deepEqual(JSON.parse(out), doc, `split at ${i}`);
      }
      const t = new ToolArgsStream();
      let out = "";
      for (const c of text) out += t.push(c);
      assert.ok(t.complete);
      assert.deepEqual(JSON.parse(out + t.finish()), doc);
    }
  }
});

Deno.test("ToolArgsStream: every truncation still yields a valid JSON object", () => {
  for (const doc of DOCS) {
    const text = JSON.stringify(doc, null, 1);
    for (let i = 0; i <= text.length; i++) {
      const t = new ToolArgsStream();
      const out = t.push(text.slice(0, i)) + t.finish();
      const parsed = JSON.parse(out);
      assert.ok(
        parsed && typeof parsed === "object" && !Array.isArray(parsed),
        `prefix ${i}: ${out}`,
      );
    }
  }
});

Deno.test("ToolArgsStream: sloppy upstream arguments", () => {
  const all = (...fragments: string[]) => {
    const t = new ToolArgsStream();
    return fragments.map((f) => t.push(f)).join("") + t.finish();
  };
  assert.equal(all(), "{}");
  assert.equal(all(""), "{}");
  assert.equal(all("  "), "{}");
  assert.equal(all('{"a":"line1\nline2\ttab"}'), '{"a":"line1\\nline2\\ttab"}'); // raw control chars
  assert.equal(all('{"a":1}', '{"a":1}'), '{"a":1}'); // arguments repeated in a last chunk
  assert.equal(all('{"a":1,}'), '{"a":1}');
  assert.equal(all('{"a":[1,2,]}'), '{"a":[1,2]}');
  assert.equal(all('{"a":tru'), '{"a":null}');
  assert.equal(all('{"a":12'), '{"a":12}');
  assert.equal(all('{"a":1,"b'), '{"a":1,"b":null}');
  assert.equal(all('{"a":1,'), '{"a":1}');
  assert.equal(all('{"a":"x\\'), '{"a":"x\\\\"}');
  assert.equal(all('{"a":"\\u00'), '{"a":"\\u0000"}');
  assert.equal(all('{"a": oops}'), '{"a":null}');
  assert.equal(all('"{\\"k\\":1}"'), '{"k":1}'); // double-encoded
  assert.equal(all("[1,2]"), "{}");
  assert.equal(all("garbage"), "{}");
});

Deno.test("parseToolArguments: objects only, never throws", () => {
  assert.deepEqual(parseToolArguments(""), {});
  assert.deepEqual(parseToolArguments(undefined), {});
  assert.deepEqual(parseToolArguments('{"a":1}'), { a: 1 });
  assert.deepEqual(parseToolArguments({ a: 2 }), { a: 2 });
  assert.deepEqual(parseToolArguments("null"), {});
  assert.deepEqual(parseToolArguments('"x"'), {});
  assert.deepEqual(parseToolArguments('{"command":"ls -la'), { command: "ls -la" });
  assert.deepEqual(parseToolArguments("nope"), {});
});

// ------------------------------------------------------------------------------- think tags & SSE

Deno.test("think tags: split helpers, including tags cut at every position", () => {
  assert.deepEqual(splitThinkTags("plain"), { thinking: "", text: "plain" });
  assert.deepEqual(splitThinkTags("a <think>x</think>"), {
    thinking: "",
    text: "a <think>x</think>",
  });
  const text = "<think>\nreason </thi here\n</think>\n\nfinal <think> answer";
  for (let i = 0; i <= text.length; i++) {
    const s = new ThinkTagSplitter();
    const pieces = [...s.push(text.slice(0, i)), ...s.push(text.slice(i)), ...s.end()];
    const thinking = pieces.filter((p) => p.kind === "thinking").map((p) => p.text).join("");
    const answer = pieces.filter((p) => p.kind === "text").map((p) => p.text).join("");
    assert.equal(thinking, "reason </thi here", `split ${i}`);
    assert.equal(answer, "final <think> answer", `split ${i}`);
  }
  const s = new ThinkTagSplitter();
  assert.deepEqual([...s.push("<thi"), ...s.end()], [{ kind: "text", text: "<thi" }]);
});

Deno.test("SseDecoder: CRLF, comments, event names, multi-line data, missing blank lines", () => {
  const d = new SseDecoder();
  const enc = new TextEncoder();
  const out = [
    ...d.push(enc.encode(': keep-alive\r\n\r\nevent: error\r\ndata: {"a":\r\n\r\n')),
    ...d.push(enc.encode('data: 1}\n\ndata: {"x":1}\ndata: {"y":2}\ndata: [DONE]')),
    ...d.end(),
  ];
  assert.deepEqual(out, [
    { event: "error", data: '{"a":' },
    { data: "1}" },
    { data: '{"x":1}' },
    { data: '{"y":2}' },
    { data: "[DONE]" },
  ]);
});

// ------------------------------------------------------------------------------- streams

Deno.test("stream: plain text, usage chunk after finish, message_start estimate", () => {
  const r = run([
    chunk({ role: "assistant", content: "" }),
    chunk({ content: "Hel" }),
    chunk({ content: "lo" }),
    chunk({}, "stop"),
    usageChunk({
      prompt_tokens: 900,
      completion_tokens: 5,
      total_tokens: 905,
      prompt_tokens_details: { cached_tokens: 100 },
    }),
    "[DONE]",
  ]);
  assert.equal(r.events[1].event, "ping");
  assert.deepEqual(r.start.usage, {
    input_tokens: 1234,
    output_tokens: 1,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  });
  assert.equal(r.start.model, "claude-sonnet-5-5");
  assert.deepEqual(r.start.content, []);
  assert.deepEqual(r.content, [{ type: "text", text: "Hello" }]);
  assert.equal(r.stopReason, "end_turn");
  assert.deepEqual(r.usage, { input_tokens: 800, output_tokens: 5, cache_read_input_tokens: 100 });
});

Deno.test("stream: no usage chunk → input estimate kept, output estimated (never 0)", () => {
  const r = run([chunk({ content: "abcdefgh" }), chunk({}, "stop"), "[DONE]"]);
  assert.equal(r.usage.input_tokens, 1234);
  assert.ok(r.usage.output_tokens >= 1);
  const zeros = run([
    chunk({ content: "x" }, "stop"),
    usageChunk({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }),
    "[DONE]",
  ]);
  assert.equal(zeros.usage.input_tokens, 1234);
});

Deno.test("stream: DeepSeek reasoning_content then text; OpenRouter reasoning deltas", () => {
  const ds = run([
    chunk({ role: "assistant", content: null, reasoning_content: "" }),
    chunk({ reasoning_content: "Let me " }),
    chunk({ reasoning_content: "think." }),
    chunk({ content: "Answer." }),
    chunk({}, "stop"),
    "[DONE]",
  ]);
  assert.deepEqual(ds.content, [
    { type: "thinking", thinking: "Let me think.", signature: "" },
    { type: "text", text: "Answer." },
  ]);
  const or = run([
    chunk({ reasoning: "Plan", reasoning_details: [{ type: "reasoning.text", text: "Plan" }] }),
    chunk({ content: "Do" }),
    chunk({ reasoning: "More thinking" }),
    chunk({ content: "Done" }, "stop"),
    "[DONE]",
  ]);
  assert.deepEqual(or.content.map((b) => b.type), ["thinking", "text", "thinking", "text"]);
  assert.equal(or.content[2].thinking, "More thinking");
});

Deno.test("stream: MiniMax inline <think> split across chunks becomes a thinking block", () => {
  const r = run([
    chunk({ content: "<thi" }),
    chunk({ content: "nk>\nweighing options</th" }),
    chunk({ content: "ink>\n\nHere you go" }),
    chunk({}, "stop"),
    "[DONE]",
  ]);
  assert.deepEqual(r.content, [
    { type: "thinking", thinking: "weighing options", signature: "" },
    { type: "text", text: "Here you go" },
  ]);
});

const interleaved = [
  chunk({ role: "assistant", content: "Let me check " }),
  chunk({ content: "both." }),
  chunk({ tool_calls: [tc(0, { id: "call_a", name: "Bash", args: "" })] }),
  chunk({ tool_calls: [tc(1, { id: "functions.Read:1", name: "Read", args: '{"file' })] }),
  chunk({ tool_calls: [tc(0, { args: '{"command":' })] }),
  chunk({ tool_calls: [tc(1, { args: '_path":"/tmp/' })] }),
  chunk({ tool_calls: [tc(0, { args: '"ls -la"' })] }),
  chunk({ tool_calls: [tc(1, { args: 'a.txt"}' })] }),
  chunk({ tool_calls: [tc(0, { args: "}" })] }),
  chunk({ content: "Running them now." }),
  chunk({}, "tool_calls"),
  usageChunk({ prompt_tokens: 50, completion_tokens: 30, total_tokens: 80 }),
  "[DONE]",
];

Deno.test("stream: text, two interleaved tool calls (alternating fragments), more text", () => {
  const r = run(interleaved);
  assert.deepEqual(r.content, [
    { type: "text", text: "Let me check both." },
    { type: "tool_use", id: "call_a", name: "Bash", input: { command: "ls -la" } },
    { type: "tool_use", id: "functions_Read_1", name: "Read", input: { file_path: "/tmp/a.txt" } },
    { type: "text", text: "Running them now." },
  ]);
  assert.equal(r.stopReason, "tool_use");
  assert.deepEqual(r.usage, { input_tokens: 50, output_tokens: 30, cache_read_input_tokens: 0 });
});

Deno.test("stream: sequential OpenAI-style tool calls stream live, each opened once", () => {
  const r = run([
    chunk({ tool_calls: [tc(0, { id: "call_1", name: "Read", args: "" })] }),
    chunk({ tool_calls: [tc(0, { args: '{"file_path":"/a"}' })] }),
    chunk({ tool_calls: [tc(1, { id: "call_2", name: "Read", args: "" })] }),
    chunk({ tool_calls: [tc(1, { args: '{"file_path":"/b"}' })] }),
    chunk({}, "tool_calls"),
    "[DONE]",
  ]);
  assert.deepEqual(r.content.map((b) => b.input), [{ file_path: "/a" }, { file_path: "/b" }]);
  // Tool 1 opened as soon as its first fragment arrived (tool 0 was complete by then).
  const starts = r.events.map((e, i) => [e.event, i] as const).filter(([e]) =>
    e === "content_block_start"
  );
  const firstArgsOf1 = r.events.findIndex((e) =>
    e.data.delta?.partial_json === '{"file_path":"/b"}'
  );
  assert.ok(starts[1][1] < firstArgsOf1);
});

Deno.test("stream: empty tool arguments → '{}' so every tool block's JSON is valid", () => {
  const r = run([
    chunk({ tool_calls: [tc(0, { id: "call_1", name: "TodoList", args: "" })] }),
    chunk({ tool_calls: [tc(1, { id: "call_2", name: "Now" })] }),
    chunk({}, "tool_calls"),
    "[DONE]",
  ]);
  assert.deepEqual(r.content, [
    { type: "tool_use", id: "call_1", name: "TodoList", input: {} },
    { type: "tool_use", id: "call_2", name: "Now", input: {} },
  ]);
});

Deno.test("stream: tool calls without index, reused index with a new id, name arriving late", () => {
  const r = run([
    chunk({
      tool_calls: [{ id: "g1", type: "function", function: { name: "A", arguments: '{"x":1}' } }],
    }),
    // Gemini-style: a second complete call reusing position/index 0 with a new id.
    chunk({
      tool_calls: [{
        index: 0,
        id: "g2",
        type: "function",
        function: { name: "B", arguments: '{"y":2}' },
      }],
    }),
    chunk({
      tool_calls: [{
        index: 0,
        id: "g3",
        type: "function",
        function: { name: "C", arguments: "{}" },
      }],
    }),
    chunk({ tool_calls: [tc(5, { id: "late" })] }),
    chunk({ tool_calls: [tc(5, { args: '{"z":' })] }),
    chunk({ tool_calls: [tc(5, { name: "D", args: "3}" })] }),
    chunk({}, "tool_calls"),
    "[DONE]",
  ]);
  assert.deepEqual(r.content.map((b) => [b.name, b.input]), [
    ["A", { x: 1 }],
    ["B", { y: 2 }],
    ["C", {}],
    ["D", { z: 3 }],
  ]);
});

Deno.test("stream: finish_reason length (truncated tool JSON completed), content_filter, unknown", () => {
  const cut = run([
    chunk({ tool_calls: [tc(0, { id: "c", name: "Write", args: '{"content":"partial fi' })] }),
    chunk({}, "length"),
    "[DONE]",
  ]);
  assert.deepEqual(cut.content[0].input, { content: "partial fi" });
  // Cut off mid-call: max_tokens (as Anthropic reports it), not tool_use.
  assert.equal(cut.stopReason, "max_tokens");
  const whole = run([
    chunk({ tool_calls: [tc(0, { id: "c", name: "Write", args: '{"content":"all"}' })] }),
    chunk({}, "length"),
    "[DONE]",
  ]);
  assert.equal(whole.stopReason, "tool_use");
  assert.equal(run([chunk({ content: "abc" }, "length"), "[DONE]"]).stopReason, "max_tokens");
  assert.equal(run([chunk({ content: "abc" }, "content_filter"), "[DONE]"]).stopReason, "refusal");
  assert.equal(run([chunk({ content: "abc" }, "eos_token"), "[DONE]"]).stopReason, "end_turn");
  assert.equal(run([chunk({ content: "abc" }, "tool_calls"), "[DONE]"]).stopReason, "end_turn");
  assert.equal(run([chunk({ content: "abc" }), "[DONE]"]).stopReason, "end_turn"); // no finish_reason
});

Deno.test("stream: missing [DONE] after a finish_reason finishes normally", () => {
  const r = run([chunk({ content: "ok" }), chunk({}, "stop")]);
  assert.equal(r.error, undefined);
  assert.equal(r.stopReason, "end_turn");
});

Deno.test("stream: EOF without finish_reason or [DONE] → blocks closed, then an error event", () => {
  const r = run([
    chunk({ content: "half" }),
    chunk({ tool_calls: [tc(0, { id: "c", name: "Bash", args: '{"comm' })] }),
  ]);
  assert.equal(r.error.type, "api_error");
  assert.deepEqual(r.content.map((b) => b.type), ["text", "tool_use"]);
  assert.equal(r.stopReason, undefined);
});

Deno.test("stream: invalid JSON chunk → error event; later data ignored", () => {
  const r = run([chunk({ content: "a" }), "{not json", chunk({ content: "b" }, "stop"), "[DONE]"]);
  assert.equal(r.error.type, "api_error");
  assert.match(r.error.message, /invalid stream chunk/);
  assert.deepEqual(r.content, [{ type: "text", text: "a" }]);
});

Deno.test("stream: upstream error payloads map to Anthropic error types", () => {
  const err = (error: unknown) => run([chunk({ content: "a" }), { error }]).error;
  assert.deepEqual(err({ message: "Server overloaded", type: "server_error" }), {
    type: "overloaded_error",
    message: "Server overloaded",
  });
  assert.equal(err({ message: "slow down", code: 429 }).type, "rate_limit_error");
  assert.equal(err({ message: "quota", type: "insufficient_quota" }).type, "rate_limit_error");
  assert.equal(err({ message: "boom", type: "server_error" }).type, "api_error");
  assert.equal(err({ message: "bad", code: "1210" }).type, "api_error");
  assert.equal(err({}).message, "The upstream reported an error.");
  const plain = run([chunk({ content: "a" }), { error: "rate limit exceeded" }]).error;
  assert.deepEqual(plain, { type: "rate_limit_error", message: "rate limit exceeded" });
  // An `event: error` line with a bare object.
  const conv = new OpenAIStreamConverter(OPTS);
  const text = conv.start() + conv.message({ event: "error", data: '{"message":"overloaded"}' }) +
    conv.end();
  assert.equal(validate(text).error.type, "overloaded_error");
});

Deno.test("stream: choices other than index 0 and chunks without choices are ignored", () => {
  const r = run([
    { id: "x", choices: [{ index: 1, delta: { content: "other" }, finish_reason: null }] },
    { id: "x" },
    chunk({ content: "mine" }, "stop"),
    "[DONE]",
  ]);
  assert.deepEqual(r.content, [{ type: "text", text: "mine" }]);
});

// ------------------------------------------------------------------------------- byte level

const SMALL = [
  chunk({ role: "assistant", content: "" }),
  chunk({ reasoning_content: "ü" }),
  chunk({ content: "héllo 🌍" }),
  chunk({
    tool_calls: [tc(0, { id: "functions.Bash:0", name: "Bash", args: '{"command":"echo é"}' })],
  }),
  chunk({}, "tool_calls"),
  usageChunk({ prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 }),
  "[DONE]",
];

Deno.test("transform: the same stream split at every byte position gives identical output", async () => {
  const text = ": OPENROUTER PROCESSING\r\n\r\n" + sse(SMALL, "\r\n");
  const bytes = new TextEncoder().encode(text);
  const whole = normalizeIds(await pipe([bytes]));
  const r = validate(whole);
  assert.deepEqual(r.content, [
    { type: "thinking", thinking: "ü", signature: "" },
    { type: "text", text: "héllo 🌍" },
    { type: "tool_use", id: "functions_Bash_0", name: "Bash", input: { command: "echo é" } },
  ]);
  assert.equal(whole, normalizeIds(anthropicEventsFromOpenAIChunks(SMALL, OPTS)));
  for (let i = 1; i < bytes.length; i++) {
    const split = normalizeIds(await pipe([bytes.slice(0, i), bytes.slice(i)]));
    assert.equal(split, whole, `split at byte ${i}`);
  }
  const oneByOne = normalizeIds(await pipe([...bytes].map((b) => new Uint8Array([b]))));
  assert.equal(oneByOne, whole);
});

Deno.test("transform: the interleaved stream survives one-byte reads", async () => {
  const bytes = new TextEncoder().encode(sse(interleaved));
  const a = validate(await pipe([bytes]));
  const b = validate(await pipe([...bytes].map((x) => new Uint8Array([x]))));
  assert.deepEqual(b.content, a.content);
});

Deno.test("transform: message_start waits for the upstream's first output; then events flow chunk by chunk", async () => {
  const ts = openAIToAnthropicStream(OPTS);
  const writer = ts.writable.getWriter();
  const reader = ts.readable.getReader();
  const dec = new TextDecoder();
  const enc = new TextEncoder();
  let got = false;
  const firstRead = reader.read().then((r) => {
    got = true;
    return r;
  });
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(got, false, "nothing is sent before the upstream's first message");
  await writer.write(enc.encode(sse([chunk({ role: "assistant", content: "" })])));
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(got, false, "nor after a role-only chunk");
  const w1 = writer.write(enc.encode(sse([chunk({ content: "early" })])));
  const first = dec.decode((await firstRead).value);
  await w1;
  assert.match(first, /^event: message_start\n/);
  assert.match(first, /event: ping\n/);
  assert.match(first, /"text_delta","text":"early"/);
  const w2 = writer.write(enc.encode(sse([chunk({ content: "later" })])));
  const second = dec.decode((await reader.read()).value);
  await w2;
  assert.match(second, /"text_delta","text":"later"/);
  assert.doesNotMatch(second, /message_start/);
  await writer.close();
  let rest = "";
  for (let r = await reader.read(); !r.done; r = await reader.read()) rest += dec.decode(r.value);
  assert.match(rest, /event: error\n/); // ended without finish_reason
});

Deno.test("transform: an upstream that fails before its first message yields one error event and nothing else", async () => {
  const cases: [string, string[]][] = [
    ["an error payload", [sse([{ error: { message: "Overloaded", type: "overloaded_error" } }])]],
    ["garbage", ["data: {not json at all\n\n"]],
    ["nothing at all", []],
    ["a role chunk, then an error", [
      sse([chunk({ role: "assistant", content: "" })]),
      sse([{ error: { message: "boom" } }]),
    ]],
  ];
  for (const [label, parts] of cases) {
    const upstream = new ReadableStream<Uint8Array>({
      start(c) {
        for (const p of parts) c.enqueue(new TextEncoder().encode(p));
        c.close();
      },
    });
    const text = await new Response(upstream.pipeThrough(openAIToAnthropicStream(OPTS))).text();
    assert.match(text, /^event: error\n/, label);
    assert.equal(text.match(/^event: /gm)?.length, 1, `${label}: one event only`);
  }
});

Deno.test("transform: an upstream that stays open after [DONE] or an error does not hang", async () => {
  for (const tail of [["[DONE]"], [{ error: { message: "boom" } }]]) {
    let cancelled = false;
    const upstream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode(sse([chunk({ content: "x" }, "stop"), ...tail])));
      },
      cancel() {
        cancelled = true;
      },
    });
    const text = await new Response(upstream.pipeThrough(openAIToAnthropicStream(OPTS))).text();
    const r = validate(text);
    assert.equal(r.content[0].text, "x");
    await new Promise((res) => setTimeout(res, 0));
    assert.ok(cancelled, "upstream cancelled");
  }
});

Deno.test("transform: an upstream read error ends the stream (no throw into the client)", async () => {
  let n = 0;
  const upstream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (n++ === 0) c.enqueue(new TextEncoder().encode(sse([chunk({ content: "x" })])));
      else c.enqueue("not bytes" as unknown as Uint8Array);
    },
  });
  const text = await new Response(upstream.pipeThrough(openAIToAnthropicStream(OPTS))).text();
  assert.equal(validate(text).error.type, "api_error");
});

// ------------------------------------------------------------------------------- official SDK

async function withServer(body: string, fn: (client: Anthropic) => Promise<void>) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    await req.body?.cancel();
    const upstream = ReadableStream.from([new TextEncoder().encode(body)]);
    return new Response(upstream.pipeThrough(openAIToAnthropicStream(OPTS)), {
      headers: { "content-type": "text/event-stream" },
    });
  });
  try {
    const client = new Anthropic({
      apiKey: "test",
      baseURL: `http://127.0.0.1:${server.addr.port}`,
      maxRetries: 0,
    });
    await fn(client);
  } finally {
    await server.shutdown();
  }
}

const REQUEST = {
  model: "claude-sonnet-5-5",
  max_tokens: 100,
  messages: [{ role: "user" as const, content: "hi" }],
};

Deno.test("official SDK accumulates the translated stream (text, thinking, parallel tool_use)", async () => {
  const upstream = sse([
    chunk({ reasoning_content: "plan" }),
    ...interleaved,
  ]);
  await withServer(upstream, async (client) => {
    const stream = client.messages.stream(REQUEST);
    let text = "";
    stream.on("text", (d) => (text += d));
    const final = await stream.finalMessage();
    assert.equal(text, "Let me check both.Running them now.");
    assert.equal(final.model, "claude-sonnet-5-5");
    assert.equal(final.stop_reason, "tool_use");
    assert.deepEqual(final.content.map((b) => b.type), [
      "thinking",
      "text",
      "tool_use",
      "tool_use",
      "text",
    ]);
    const tools = final.content.filter((b) => b.type === "tool_use") as {
      id: string;
      name: string;
      input: unknown;
    }[];
    assert.deepEqual(tools.map((t) => [t.id, t.name, t.input]), [
      ["call_a", "Bash", { command: "ls -la" }],
      ["functions_Read_1", "Read", { file_path: "/tmp/a.txt" }],
    ]);
    assert.equal(final.usage.input_tokens, 50);
    assert.equal(final.usage.output_tokens, 30);
  });
});

Deno.test("official SDK: empty tool arguments give input {}; a mid-stream error rejects", async () => {
  await withServer(
    sse([
      chunk({ tool_calls: [tc(0, { id: "c1", name: "Now", args: "" })] }),
      chunk({}, "tool_calls"),
      "[DONE]",
    ]),
    async (client) => {
      const final = await client.messages.stream(REQUEST).finalMessage();
      assert.deepEqual(final.content, [{ type: "tool_use", id: "c1", name: "Now", input: {} }]);
    },
  );
  await withServer(
    sse([chunk({ content: "partial" }), {
      error: { message: "Overloaded", type: "overloaded_error" },
    }]),
    async (client) => {
      await assert.rejects(client.messages.stream(REQUEST).finalMessage(), (e: unknown) => {
        assert.match(String((e as Error).message), /Overloaded/);
        return true;
      });
    },
  );
});

// ------------------------------------------------------------------------------- fuzz

function lcg(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

Deno.test("fuzz: random interleavings of text, reasoning and parallel tool fragments keep every invariant", () => {
  const docs = DOCS.concat([{ path: "/a/b", flags: ["-l", "-a"] }, { q: "x".repeat(50) }]);
  for (let seed = 1; seed <= 400; seed++) {
    const rnd = lcg(seed);
    const tools = Array.from({ length: rnd(4) }, (_, i) => {
      const doc = docs[rnd(docs.length)];
      const text = JSON.stringify(doc);
      const pieces: string[] = [];
      for (let at = 0; at < text.length;) {
        const n = 1 + rnd(8);
        pieces.push(text.slice(at, at + n));
        at += n;
      }
      return { index: i, id: `call.${seed}:${i}`, name: `T${i}`, doc, pieces, sent: -1 };
    });
    const texts = Array.from({ length: rnd(4) }, (_, i) => `t${i} `);
    const thoughts = Array.from({ length: rnd(3) }, (_, i) => `r${i} `);
    const chunks: unknown[] = [];
    let text = "";
    let thought = "";
    while (true) {
      const open = tools.filter((t) => t.sent < t.pieces.length);
      const options = open.length + (texts.length ? 1 : 0) + (thoughts.length ? 1 : 0);
      if (!options) break;
      const pick = rnd(options);
      if (pick < open.length) {
        const t = open[pick];
        chunks.push(chunk({
          tool_calls: [
            t.sent < 0
              ? tc(t.index, { id: t.id, name: t.name, args: "" })
              : tc(t.index, { args: t.pieces[t.sent] }),
          ],
        }));
        t.sent++;
      } else if (pick === open.length && texts.length) {
        const piece = texts.shift()!;
        text += piece;
        chunks.push(chunk({ content: piece }));
      } else {
        const piece = thoughts.shift()!;
        thought += piece;
        chunks.push(chunk({ reasoning_content: piece }));
      }
    }
    const ending = rnd(5);
    if (ending <= 2) chunks.push(chunk({}, tools.length ? "tool_calls" : "stop"));
    if (ending <= 1) {
      chunks.push(usageChunk({ prompt_tokens: 9, completion_tokens: 9, total_tokens: 18 }));
    }
    if (ending === 0) chunks.push("[DONE]");
    if (ending === 3) chunks.push("{garbage");
    const r = run(chunks); // validate() asserts all stream invariants
    if (ending <= 2) {
      assert.equal(r.error, undefined, `seed ${seed}`);
      assert.equal(r.stopReason, tools.length ? "tool_use" : "end_turn", `seed ${seed}`);
      const blocks = r.content;
      assert.equal(
        blocks.filter((b) => b.type === "text").map((b) => b.text).join(""),
        text,
        `seed ${seed}`,
      );
      assert.equal(
        blocks.filter((b) => b.type === "thinking").map((b) => b.thinking).join(""),
        thought,
      );
      const used = blocks.filter((b) => b.type === "tool_use");
      assert.deepEqual(
        used.map((b) => b.name).sort(),
        tools.map((t) => t.name).sort(),
        `seed ${seed}`,
      );
      for (const t of tools) {
        const block = used.find((b) => b.name === t.name);
        assert.deepEqual(block.input, t.doc, `seed ${seed} tool ${t.name}`);
        assert.equal(block.id, t.id.replace(/[^A-Za-z0-9_-]/g, "_"));
      }
    } else {
      assert.ok(r.error, `seed ${seed}`);
    }
  }
});
