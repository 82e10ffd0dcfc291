import assert from "node:assert/strict";
import { leadingErrorEvent, SseTap } from "../../src/upstream/anthropic_wire.ts";
import { leadingOpenAIError } from "../../src/upstream/openai_wire.ts";

const encoder = new TextEncoder();
const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
const textDelta = (text: string) =>
  event("content_block_delta", {
    type: "content_block_delta",
    index: 0,
    delta: { type: "text_delta", text },
  });
const signatureDelta = (signature: string) =>
  event("content_block_delta", {
    type: "content_block_delta",
    index: 0,
    delta: { type: "signature_delta", signature },
  });

Deno.test("tap: usage, stop and event count over one event per chunk", () => {
  const tap = new SseTap();
  const chunks = [
    event("message_start", {
      type: "message_start",
      message: { usage: { input_tokens: 12, output_tokens: 1 } },
    }),
    event("content_block_start", { type: "content_block_start", index: 0 }),
    textDelta("Hello"),
    textDelta(" world\n\nwith blank lines in the text"),
    event("content_block_stop", { type: "content_block_stop", index: 0 }),
    event("message_delta", { type: "message_delta", usage: { output_tokens: 7 } }),
    event("message_stop", { type: "message_stop" }),
  ];
  for (const c of chunks) tap.push(encoder.encode(c));
  assert.equal(tap.state.events, 7);
  assert.equal(tap.state.stopped, true);
  assert.equal(tap.state.usage.input_tokens, 12);
  assert.equal(tap.state.usage.output_tokens, 7);
});

Deno.test("tap: a signature in a chunk of one delta event is heard", () => {
  const heard: string[] = [];
  const tap = new SseTap((s) => heard.push(s));
  tap.push(encoder.encode(textDelta("thinking about signature_delta in plain text")));
  tap.push(encoder.encode(signatureDelta("EqQBCkYIBRgCKkA")));
  assert.deepEqual(heard, ["EqQBCkYIBRgCKkA"]);
  assert.equal(tap.state.events, 2);
});

Deno.test("tap: a delta chunk followed by other events is read in full", () => {
  const heard: string[] = [];
  const tap = new SseTap((s) => heard.push(s));
  tap.push(encoder.encode(
    textDelta("a") + signatureDelta("SIG1") +
      event("message_delta", { type: "message_delta", usage: { output_tokens: 3 } }) +
      event("message_stop", { type: "message_stop" }),
  ));
  assert.deepEqual(heard, ["SIG1"]);
  assert.equal(tap.state.events, 4);
  assert.equal(tap.state.usage.output_tokens, 3);
  assert.equal(tap.state.stopped, true);
});

Deno.test("tap: an error event and CRLF framing are recognised", () => {
  const tap = new SseTap();
  tap.push(encoder.encode(textDelta("partial").replaceAll("\n", "\r\n")));
  tap.push(encoder.encode(
    event("error", { type: "error", error: { type: "overloaded_error", message: "busy" } }),
  ));
  assert.equal(tap.state.errorType, "overloaded_error");
  assert.equal(tap.state.events, 2);
  assert.equal(tap.state.stopped, false);
});

Deno.test("leadingErrorEvent: an error event, or a first event that is not JSON, is a failure", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  assert.deepEqual(
    leadingErrorEvent(
      enc(
        'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"x"}}\n\n',
      ),
    ),
    { type: "overloaded_error", message: "x" },
  );
  assert.equal(
    leadingErrorEvent(enc('event: message_start\ndata: {"type":"message_start"}\n\n')),
    undefined,
  );
  assert.equal(
    leadingErrorEvent(enc('event: message_start\r\ndata: {"type":"message_start"}\r\n\r\n')),
    undefined,
    "CRLF framing",
  );
  assert.equal(
    leadingErrorEvent(
      enc(
        'event: message_start\r\ndata: {"type":"message_start"}\r\n\r\n' +
          'event: content_block_start\r\ndata: {"type":"content_block_start","index":0}\r\n\r\n',
      ),
    ),
    undefined,
    "CRLF framing, two events: only the first is judged",
  );
  assert.match(
    leadingErrorEvent(enc("event: message_start\ndata: {not json\n\n"))?.message ?? "",
    /first event is not JSON/,
  );
  // A first event larger than the part looked at is left alone rather than judged cut.
  const big = `event: message_start\ndata: {"type":"message_start","pad":"${
    "x".repeat(4000)
  }"}\n\n`;
  assert.equal(leadingErrorEvent(enc(big)), undefined);
});

Deno.test("leadingOpenAIError: an error chunk, or a first chunk that is not JSON, is a failure", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  assert.deepEqual(
    leadingOpenAIError(enc('data: {"error":{"type":"server_error","message":"boom"}}\n\n')),
    { type: "server_error", message: "boom" },
  );
  assert.equal(leadingOpenAIError(enc('data: {"choices":[]}\n\n')), undefined);
  assert.equal(leadingOpenAIError(enc("data: [DONE]\n\n")), undefined);
  assert.equal(leadingOpenAIError(enc(": keep-alive\n\n")), undefined, "comments are not judged");
  assert.match(leadingOpenAIError(enc("data: {not json\n\n"))?.message ?? "", /not JSON/);
});
