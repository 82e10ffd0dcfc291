/**
 * The Anthropic wire protocol: a tap that watches an Anthropic SSE stream as it passes without
 * changing a byte (usage from `message_start`/`message_delta`, `message_stop`, `error` events),
 * and Anthropic-shaped errors.
 * @module
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { anthropicError, anthropicErrorEvent } from "../protocol/anthropic_error.ts";
import { mergeUsage, type StreamTap, type TapState, type WireProtocol } from "../protocol/wire.ts";
import type { Usage } from "../routing/call.ts";
import { signatureFromDelta } from "../translate/thinking_hygiene.ts";

/** An Anthropic SSE observer fed with the raw chunks. */
export class SseTap implements StreamTap {
  /** Observations. */
  readonly state: TapState = { usage: {}, stopped: false, events: 0 };
  readonly #decoder = new TextDecoder();
  readonly #parser = createParser({ onEvent: (e) => this.#onEvent(e) });
  readonly #onSignature?: (signature: string) => void;

  /** @param onSignature Hears each thinking signature. */
  constructor(onSignature?: (signature: string) => void) {
    this.#onSignature = onSignature;
  }

  /** Feeds one chunk. */
  push(chunk: Uint8Array<ArrayBuffer>): void {
    this.#parser.feed(this.#decoder.decode(chunk, { stream: true }));
  }

  #onEvent(event: EventSourceMessage): void {
    this.state.events++;
    const name = event.event;
    if (name === "message_start" || name === "message_delta") {
      try {
        const data = JSON.parse(event.data);
        const usage = name === "message_start" ? data?.message?.usage : data?.usage;
        if (usage && typeof usage === "object") mergeUsage(this.state.usage, usage);
      } catch {
        // A malformed event is passed on untouched; the client decides.
      }
    } else if (name === "content_block_delta" && this.#onSignature) {
      const signature = signatureFromDelta(event.data);
      if (signature) this.#onSignature(signature);
    } else if (name === "message_stop") {
      this.state.stopped = true;
    } else if (name === "error") {
      try {
        this.state.errorType = JSON.parse(event.data)?.error?.type ?? "api_error";
      } catch {
        this.state.errorType = "api_error";
      }
    }
  }
}

/** The `error.type` of an SSE error event at the very start of a chunk, if it is one. */
export function leadingErrorEvent(
  chunk: Uint8Array<ArrayBuffer>,
): { type?: string; message?: string } | undefined {
  const head = new TextDecoder().decode(chunk.subarray(0, 2048));
  if (!/^\s*event:\s*error\b/.test(head)) return undefined;
  const data = head.match(/data:\s*(.*)/)?.[1];
  try {
    const json = data ? JSON.parse(data) : undefined;
    return { type: json?.error?.type, message: json?.error?.message };
  } catch {
    return { type: "api_error" };
  }
}

/** The Anthropic protocol. */
export const anthropicWire: WireProtocol = {
  name: "anthropic",
  createTap: (onSignature) => new SseTap(onSignature),
  leadingError: leadingErrorEvent,
  errorEvent: anthropicErrorEvent,
  errorResponse: anthropicError,
  jsonUsage(json) {
    const usage: Usage = {};
    if (json.usage && typeof json.usage === "object") {
      mergeUsage(usage, json.usage as Record<string, unknown>);
    } else if (typeof json.input_tokens === "number") usage.input_tokens = json.input_tokens;
    return usage;
  },
};
