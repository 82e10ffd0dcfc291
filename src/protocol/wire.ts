/**
 * The two wire protocols a client can speak (Anthropic Messages, OpenAI Chat Completions) and
 * what the failover loop and the relay need to know about each: how to read usage and the end
 * of a stream, how an error looks at the start of a stream, and how to write an error.
 * @module
 */
import type { Usage } from "../routing/call.ts";
import type { AnthropicErrorType } from "./anthropic_error.ts";

/** Protocol names. */
export type Protocol = "anthropic" | "openai";

/** What a stream tap has seen so far. */
export interface TapState {
  /** Usage merged as the SDKs do: later values overwrite. */
  usage: Usage;
  /** The protocol's end marker arrived (`message_stop`, `[DONE]`). */
  stopped: boolean;
  /** An error event arrived: its error type. */
  errorType?: string;
  /** Events seen. */
  events: number;
}

/** Watches a stream's bytes without changing them. */
export interface StreamTap {
  /** Feeds one chunk (complete events). */
  push(chunk: Uint8Array): void;
  /** Observations. */
  readonly state: TapState;
}

/** Protocol-specific behaviour of the relay and the failover loop. */
export interface WireProtocol {
  /** Its name. */
  readonly name: Protocol;
  /** A new tap for one stream; `onSignature` hears thinking signatures as they pass. */
  createTap(onSignature?: (signature: string) => void): StreamTap;
  /** The error at the very start of a stream, if the first event is one. */
  leadingError(chunk: Uint8Array): { type?: string; message?: string } | undefined;
  /** One SSE error event in this protocol. */
  errorEvent(type: AnthropicErrorType, message: string): string;
  /** A gateway error response in this protocol. */
  errorResponse(
    status: number,
    message: string,
    options?: { type?: AnthropicErrorType; requestId?: string; headers?: Record<string, string> },
  ): Response;
  /** Usage from a non-streaming JSON body. */
  jsonUsage(json: Record<string, unknown>): Usage;
}

/** Merges reported usage into `into`, overwriting with every number (SDK semantics). */
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
