/**
 * OpenAI Chat Completions SSE → Anthropic Messages SSE (protocols.md §3.7, pitfalls §3.8).
 *
 * Guarantees, whatever the upstream sends: `message_start` first (or, when the upstream fails
 * before its first message is through, nothing but one `error` event); content blocks with
 * strictly increasing indices, one open at a time, deltas only to the open one; every tool
 * block's `input_json_delta` fragments concatenate to one valid JSON object; the stream ends
 * with `message_delta` + `message_stop`, or with one `error` event. The transform never throws.
 * @module
 */
import { OpenAIStreamConverter, type OpenAIStreamOptions } from "./from_openai_converter.ts";
import { SseDecoder, type SseMessage } from "./from_openai_sse.ts";

export { OpenAIStreamConverter, type OpenAIStreamOptions } from "./from_openai_converter.ts";

/**
 * A `TransformStream` from raw OpenAI SSE bytes to Anthropic SSE bytes. Events are enqueued as
 * soon as an upstream read produces them; after `message_stop` or `error` the readable side is
 * closed (and the upstream cancelled), so a server that never closes cannot hang the client.
 */
export function openAIToAnthropicStream(
  options: OpenAIStreamOptions,
): TransformStream<Uint8Array, Uint8Array> {
  const converter = new OpenAIStreamConverter(options);
  const decoder = new SseDecoder();
  const encoder = new TextEncoder();
  const send = (
    controller: TransformStreamDefaultController<Uint8Array>,
    text: string,
    last = false,
  ) => {
    if (text) controller.enqueue(encoder.encode(text));
    if (converter.ended && !last) controller.terminate();
  };
  const run = (messages: () => SseMessage[]): string => {
    let out = "";
    try {
      for (const message of messages()) out += converter.message(message);
    } catch (error) {
      out += converter.fail(
        "api_error",
        `Stream translation failed: ${(error as Error)?.message ?? error}`,
      );
    }
    return out;
  };
  // `message_start` waits until the upstream's messages produce something (a role-only chunk
  // does not). An upstream that fails first (an error payload, garbage, nothing at all) then
  // gives a stream that is one `error` event, which the relay sees before anything reached the
  // client: it fails over.
  let head: string | undefined;
  const emit = (
    controller: TransformStreamDefaultController<Uint8Array>,
    out: string,
    last = false,
  ) => {
    if (head !== undefined) {
      if (!out) return;
      if (!(converter.ended && out.startsWith("event: error"))) out = head + out;
      head = undefined;
    }
    send(controller, out, last);
  };
  return new TransformStream<Uint8Array, Uint8Array>({
    start() {
      head = converter.start();
    },
    transform(chunk, controller) {
      if (converter.ended) return;
      emit(controller, run(() => decoder.push(chunk)));
    },
    flush(controller) {
      if (converter.ended) return;
      emit(controller, run(() => decoder.end()) + converter.end(), true);
    },
  });
}

/**
 * Test/debug helper: converts a list of upstream chunks (objects are JSON-encoded; strings are
 * used as the raw `data:` payload, e.g. `"[DONE]"` or garbage) followed by EOF.
 */
export function anthropicEventsFromOpenAIChunks(
  chunks: unknown[],
  options: OpenAIStreamOptions,
): string {
  const converter = new OpenAIStreamConverter(options);
  let out = converter.start();
  for (const chunk of chunks) {
    out += converter.message({ data: typeof chunk === "string" ? chunk : JSON.stringify(chunk) });
  }
  return out + converter.end();
}
