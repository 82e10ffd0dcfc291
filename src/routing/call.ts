/**
 * The request as a front door hands it to routing: the original bytes (forwarded untouched when
 * nothing must change), the few fields routing reads, and the client's context.
 * @module
 */

import type { Protocol } from "../protocol/wire.ts";

/** Anthropic endpoints the gateway forwards. */
export type Endpoint = "messages" | "count_tokens";

/** One inbound call (Anthropic Messages or OpenAI Chat Completions). */
export interface MessagesCall {
  /** Gateway request id (also logged). */
  id: string;
  /** Which endpoint. */
  endpoint: Endpoint;
  /** The client's protocol: the body is in it, and so must the response be. */
  protocol: Protocol;
  /** The body exactly as received. */
  raw: Uint8Array<ArrayBuffer>;
  /**
   * The parsed body; never mutated (each attempt copies what it changes). On the fast path it
   * is parsed on first access and throws {@link InvalidRequestBody} when the bytes are not JSON.
   */
  readonly body: Record<string, unknown>;
  /** The model the client asked for. */
  model: string;
  /** `stream: true`. */
  stream: boolean;
  /** Claude Code session id (header, or `session_id` inside `metadata.user_id`); may be lazy. */
  readonly sessionId?: string;
  /** Client headers. */
  headers: Headers;
  /** The query string including `?` (Claude Code sends `?beta=true`), or "". */
  search: string;
  /** Fires when the client goes away. */
  signal: AbortSignal;
  /** `X-Account-Name`: only this account may serve. */
  pinnedAccount?: string;
  /** Profile from a `/p/{profile}` prefix. */
  profile?: string;
  /** When the gateway received it (performance.now()). */
  startedAt: number;
}

/**
 * The body turned out not to be valid JSON when a provider needed it parsed (bodies on the
 * fast path are only peeked at). The failover loop answers 400 and blames no account.
 */
export class InvalidRequestBody extends Error {
  /** Error name shown in stack traces and logs. */
  override name = "InvalidRequestBody";
}

/** Token usage as Anthropic reports it (all optional: streams report in parts). */
export interface Usage {
  /** Uncached input tokens. */
  input_tokens?: number;
  /** Output tokens (cumulative in streams). */
  output_tokens?: number;
  /** Tokens written to the prompt cache. */
  cache_creation_input_tokens?: number;
  /** Tokens read from the prompt cache. */
  cache_read_input_tokens?: number;
}
