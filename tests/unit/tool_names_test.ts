import assert from "node:assert/strict";
import type { ChatRequest } from "../../src/translate/openai_types.ts";
import {
  clientToolName,
  shortenToolNames,
  upstreamToolName,
} from "../../src/translate/tool_names.ts";

const VALID = /^[a-zA-Z0-9_-]{1,64}$/;

Deno.test("upstreamToolName: valid names stay, long or odd ones get a stable 64-character form", () => {
  assert.equal(upstreamToolName("Bash"), "Bash");
  const exactly64 = "a".repeat(64);
  assert.equal(upstreamToolName(exactly64), exactly64);
  const long = `mcp__server__${"x".repeat(100)}`;
  const short = upstreamToolName(long);
  assert.match(short, VALID);
  assert.equal(short.length, 64);
  assert.ok(short.startsWith("mcp__server__x"));
  assert.equal(upstreamToolName(long), short, "deterministic");
  assert.notEqual(upstreamToolName(`${long}y`), short, "a different name, a different form");
  assert.match(upstreamToolName("search.docs"), VALID);
  assert.notEqual(upstreamToolName("search.docs"), upstreamToolName("search_docs"));
});

Deno.test("shortenToolNames: tools, forced choice and history change together; the map reverses", () => {
  const long = `mcp__workspace__${"lookup_".repeat(10)}`;
  const request: ChatRequest = {
    model: "m",
    messages: [
      { role: "user", content: "go" },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "c1", type: "function", function: { name: long, arguments: "{}" } }],
      },
      { role: "tool", tool_call_id: "c1", content: "ok" },
    ],
    tools: [
      { type: "function", function: { name: long } },
      { type: "function", function: { name: "Read" } },
    ],
    tool_choice: { type: "function", function: { name: long } },
  };
  const names = shortenToolNames(request)!;
  const short = request.tools![0].function.name;
  assert.notEqual(short, long);
  assert.equal(request.tools![1].function.name, "Read");
  assert.deepEqual(request.tool_choice, { type: "function", function: { name: short } });
  const assistant = request.messages[1] as { tool_calls: { function: { name: string } }[] };
  assert.equal(assistant.tool_calls[0].function.name, short);
  assert.deepEqual([...names], [[short, long]]);
  assert.equal(clientToolName(short, names), long);
  assert.equal(clientToolName("Read", names), "Read");
  assert.equal(clientToolName("Read"), "Read");

  const plain: ChatRequest = {
    model: "m",
    messages: [],
    tools: [{ type: "function", function: { name: "Read" } }],
  };
  assert.equal(shortenToolNames(plain), undefined, "nothing to change, no map");
});
