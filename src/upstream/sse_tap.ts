/**
 * Watches an Anthropic SSE stream as it passes, without changing a byte: reads usage from
 * `message_start`/`message_delta`, notes `message_stop` and `error` events.
 * @module
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";
import type { Usage } from "../routing/call.ts";

/** What the tap has seen so far. */
export interface TapState {
  /** Usage merged as the SDK does: later values overwrite. */
  usage: Usage;
  /** `message_stop` arrived. */
  stopped: boolean;
  /** An `error` event arrived: its `error.type`. */
  errorType?: string;
  /** Events seen. */
  events: number;
}

/** An SSE observer fed with the raw chunks. */
export class SseTap {
  /** Observations. */
  readonly state: TapState = { usage: {}, stopped: false, events: 0 };
  readonly #decoder = new TextDecoder();
  readonly #parser = createParser({ onEvent: (e) => this.#onEvent(e) });

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

/** Merges reported usage into `into`, overwriting with every non-null number (SDK semantics). */
export function mergeUsage(into: Usage, from: Record<string, unknown>): void {
  for (
    const key of [
      "input_tokens",
      "output_tokens",
      "cache_creation_input_tokens",
      "cache_read_input_tokens",
    ] as const
  ) {
    const v = from[key];
    if (typeof v === "number") into[key] = v;
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
