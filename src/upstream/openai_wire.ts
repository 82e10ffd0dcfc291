/**
 * The OpenAI Chat Completions wire protocol: a tap that reads usage, `[DONE]` and error chunks
 * from an OpenAI SSE stream as it passes, and OpenAI-shaped errors.
 * @module
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";
import type { AnthropicErrorType } from "../protocol/anthropic_error.ts";
import { openAIError, openAIErrorChunk } from "../protocol/openai_error.ts";
import type { StreamTap, TapState, WireProtocol } from "../protocol/wire.ts";
import { anthropicUsageFrom, openAIErrorType } from "../translate/common.ts";
import type { ChatUsage } from "../translate/openai_types.ts";

/** An OpenAI SSE observer fed with the raw chunks. */
export class OpenAISseTap implements StreamTap {
  /** Observations. */
  readonly state: TapState = { usage: {}, stopped: false, events: 0 };
  readonly #decoder = new TextDecoder();
  readonly #parser = createParser({ onEvent: (e) => this.#onEvent(e) });

  /** Feeds one chunk. */
  push(chunk: Uint8Array): void {
    this.#parser.feed(this.#decoder.decode(chunk, { stream: true }));
  }

  #onEvent(event: EventSourceMessage): void {
    this.state.events++;
    const data = event.data;
    if (data === "[DONE]") {
      this.state.stopped = true;
      return;
    }
    // Most chunks carry `"usage":null`; parse only the ones that can matter.
    if (!data.includes('"usage":{') && !data.includes('"error"')) return;
    try {
      const json = JSON.parse(data);
      if (json?.error) this.state.errorType = String(json.error.type ?? "api_error");
      else if (json?.usage) {
        Object.assign(this.state.usage, anthropicUsageFrom(json.usage as ChatUsage));
      }
    } catch {
      // Passed on untouched; the client decides.
    }
  }
}

/** The error at the start of an OpenAI stream: a first data chunk carrying `error`, or not JSON. */
export function leadingOpenAIError(
  chunk: Uint8Array,
): { type?: string; message?: string } | undefined {
  const head = new TextDecoder().decode(chunk.subarray(0, 2048));
  const line = head.match(/^\s*data:\s*(.*)\r?\n/)?.[1];
  if (!line || line.trim() === "[DONE]") return undefined;
  let json;
  try {
    json = JSON.parse(line);
  } catch {
    // Nothing reached the client yet: a broken stream fails over instead.
    return {
      type: "api_error",
      message: `the upstream's first chunk is not JSON: ${line.slice(0, 100)}`,
    };
  }
  if (!json?.error) return undefined;
  return {
    type: typeof json.error.type === "string" ? json.error.type : "api_error",
    message: json.error.message,
  };
}

/** The OpenAI protocol. */
export const openAIWire: WireProtocol = {
  name: "openai",
  createTap: () => new OpenAISseTap(),
  leadingError: leadingOpenAIError,
  errorEvent: (type: AnthropicErrorType, message: string) =>
    openAIErrorChunk(openAIErrorType(type), message),
  errorResponse: (status, message, options = {}) =>
    openAIError(status, message, {
      type: openAIErrorType(
        options.type ?? (status === 429
          ? "rate_limit_error"
          : status >= 500
          ? "api_error"
          : "invalid_request_error"),
      ),
      headers: {
        ...options.headers,
        ...(options.requestId ? { "x-request-id": options.requestId } : {}),
      },
    }),
  jsonUsage: (
    json,
  ) => (json.usage && typeof json.usage === "object"
    ? anthropicUsageFrom(json.usage as ChatUsage)
    : {}),
};
