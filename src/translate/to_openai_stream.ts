/**
 * Anthropic SSE events → OpenAI Chat Completions chunks (protocols.md §3.7, "Anthropic events →
 * OpenAI chunks"), as a byte-to-byte TransformStream.
 *
 * - Input may be split anywhere (inside a line, inside a UTF-8 sequence); events are dispatched
 *   on the `event:` name (falling back to the JSON `type`), `ping` and unknown events are ignored.
 * - Each chunk is enqueued as soon as it is produced; all share one id/created/model.
 * - Tool calls are numbered 0,1,2… in order of their blocks (not the Anthropic block index);
 *   a tool call that streamed no arguments gets `"{}"` so clients can JSON.parse it.
 * - Thinking streams as `delta.reasoning_content`; signatures, redacted thinking and server-tool
 *   blocks are dropped.
 * - The end: `message_stop` → (usage chunk with `choices: []` if asked) → `data: [DONE]`. An
 *   `error` event, or input that ends before `message_stop`, ends the output with an error chunk
 *   and no `[DONE]`, so clients raise instead of taking a cut answer as complete.
 * - The transform never throws: a malformed event ends the output with an error chunk.
 * @module
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { openAIErrorChunk } from "../protocol/openai_error.ts";
import { openAIErrorType } from "./common.ts";
import type { ChatChunk } from "./openai_types.ts";
import { chatUsageFrom, completionIdFor, finishReasonWithTools } from "./to_openai_response.ts";

/** Options for {@link anthropicToOpenAIStream}. */
export interface ToOpenAIStreamOptions {
  /** The model name reported to the client. */
  model: string;
  /** `stream_options.include_usage`: send the usage chunk before `[DONE]`. */
  includeUsage: boolean;
}

type Delta = ChatChunk["choices"][number]["delta"];

/** Converts a raw Anthropic SSE byte stream into a Chat Completions SSE byte stream. */
export function anthropicToOpenAIStream(
  options: ToOpenAIStreamOptions,
): TransformStream<Uint8Array, Uint8Array> {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const created = Math.floor(Date.now() / 1000);
  let id: string | undefined;
  let controller!: TransformStreamDefaultController<Uint8Array>;
  let ended = false;
  let started = false;
  let finished = false;
  let toolCount = 0;
  // Anthropic block index → tool call index, and whether that tool sent any argument text.
  const tools = new Map<number, { index: number; hasArgs: boolean }>();
  const usage: Record<string, any> = {};
  let stopReason: string | null = null;

  const send = (line: string) => {
    try {
      controller.enqueue(encoder.encode(line));
    } catch {
      ended = true; // the reader went away: nothing left to write to
    }
  };
  const chunk = (delta: Delta, finishReason: string | null = null, withUsage = false) => {
    id ??= completionIdFor(undefined);
    const out: ChatChunk = {
      id,
      object: "chat.completion.chunk",
      created,
      model: options.model,
      choices: [{ index: 0, delta, finish_reason: finishReason }],
    };
    if (withUsage || options.includeUsage) out.usage = null;
    send(`data: ${JSON.stringify(out)}\n\n`);
  };
  const start = () => {
    if (started) return;
    started = true;
    chunk({ role: "assistant", content: "" });
  };
  const finish = () => {
    if (finished) return;
    finished = true;
    start();
    chunk({}, finishReasonWithTools(stopReason ?? "end_turn", toolCount), true);
  };
  // Ends the output: closes the readable side and cancels the upstream, so nothing can hang.
  const end = () => {
    ended = true;
    try {
      controller.terminate();
    } catch { /* already closed */ }
  };
  const fail = (type: string, message: string) => {
    send(openAIErrorChunk(type, message));
    end();
  };
  const mergeUsage = (from: Record<string, any> | undefined) => {
    if (!from || typeof from !== "object") return;
    // Cumulative counters: later values overwrite (SDK semantics); nulls do not erase.
    for (const [key, value] of Object.entries(from)) if (value != null) usage[key] = value;
  };

  const onEvent = (event: EventSourceMessage) => {
    if (ended) return;
    let data: Record<string, any> | undefined;
    try {
      data = JSON.parse(event.data);
    } catch { /* reported below */ }
    if (!data || typeof data !== "object") {
      // Skipping it could turn a broken stream into an empty "success".
      fail(
        "server_error",
        `The upstream sent an invalid stream event: ${event.data.slice(0, 200)}`,
      );
      return;
    }
    switch (event.event ?? data.type) {
      case "message_start": {
        const message = data.message ?? {};
        if (!started) id ??= completionIdFor(message.id);
        mergeUsage(message.usage);
        start();
        break;
      }
      case "content_block_start": {
        const block = data.content_block ?? {};
        start();
        if (block.type === "tool_use") {
          const index = toolCount++;
          const input = block.input;
          const args = input && typeof input === "object" && Object.keys(input).length
            ? JSON.stringify(input)
            : "";
          tools.set(data.index, { index, hasArgs: args !== "" });
          chunk({
            tool_calls: [{
              index,
              id: String(block.id ?? ""),
              type: "function",
              function: { name: String(block.name ?? ""), arguments: args },
            }],
          });
        } else if (block.type === "text" && typeof block.text === "string" && block.text) {
          chunk({ content: block.text });
        } else if (
          block.type === "thinking" && typeof block.thinking === "string" && block.thinking
        ) {
          chunk({ reasoning_content: block.thinking });
        }
        break;
      }
      case "content_block_delta": {
        const delta = data.delta ?? {};
        if (delta.type === "text_delta" && typeof delta.text === "string" && delta.text) {
          start();
          chunk({ content: delta.text });
        } else if (delta.type === "thinking_delta" && typeof delta.thinking === "string") {
          start();
          if (delta.thinking) chunk({ reasoning_content: delta.thinking });
        } else if (delta.type === "input_json_delta") {
          const tool = tools.get(data.index);
          const part = delta.partial_json;
          if (tool && typeof part === "string" && part) {
            tool.hasArgs = true;
            chunk({ tool_calls: [{ index: tool.index, function: { arguments: part } }] });
          }
        }
        break;
      }
      case "content_block_stop": {
        const tool = tools.get(data.index);
        if (tool && !tool.hasArgs) {
          tool.hasArgs = true;
          chunk({ tool_calls: [{ index: tool.index, function: { arguments: "{}" } }] });
        }
        break;
      }
      case "message_delta":
        mergeUsage(data.usage);
        if (data.delta?.stop_reason) {
          stopReason = data.delta.stop_reason;
          finish();
        }
        break;
      case "message_stop":
        finish();
        if (options.includeUsage) {
          send(
            `data: ${
              JSON.stringify({
                id,
                object: "chat.completion.chunk",
                created,
                model: options.model,
                choices: [],
                usage: chatUsageFrom(usage),
              })
            }\n\n`,
          );
        }
        send("data: [DONE]\n\n");
        end();
        break;
      case "error": {
        const error = data.error ?? {};
        const type = typeof error.type === "string" ? error.type : "api_error";
        const message = typeof error.message === "string" ? error.message : "upstream stream error";
        fail(openAIErrorType(type), message);
        break;
      }
    }
  };

  const parser = createParser({ onEvent });
  const feed = (text: string) => {
    try {
      parser.feed(text);
    } catch {
      // A runaway parser buffer or a bug in a handler: end cleanly rather than throw.
      if (!ended) fail("server_error", "upstream stream could not be parsed");
    }
  };

  return new TransformStream<Uint8Array, Uint8Array>({
    start(c) {
      controller = c;
    },
    transform(bytes) {
      if (!ended) feed(decoder.decode(bytes, { stream: true }));
    },
    flush() {
      if (ended) return;
      // A last event without its blank line still counts (a cut JSON line fails to parse).
      feed(decoder.decode() + "\n\n");
      if (!ended) fail("server_error", "upstream stream ended before the message was complete");
    },
  });
}
