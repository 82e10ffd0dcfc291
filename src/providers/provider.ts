/**
 * The provider interface: everything routing needs from an upstream. A provider turns one
 * attempt (call + account + model) into an upstream response in Anthropic wire format, so the
 * failover loop never knows which protocol the upstream speaks. Translating providers
 * (OpenAI, Gemini) and credential-refreshing ones (Claude OAuth) implement the same interface.
 * @module
 */
import type { ProviderConfig } from "../config/schema.ts";
import type { Account } from "../pool/account.ts";
import type { Pool } from "../pool/pool.ts";
import type { Endpoint, MessagesCall } from "../routing/call.ts";
import type { SignatureBook } from "../translate/thinking_hygiene.ts";
import type { UpstreamResponse } from "../upstream/fetch_upstream.ts";

/** Settings every provider gets from the top-level config. */
export interface ProviderContext {
  /** Upstream timeouts. */
  timeouts: { connectMs: number; readMs: number; requestMs: number };
  /** Headers added to every upstream request (CUSTOM_HEADER_*). */
  customHeaders: Record<string, string>;
  /** max_tokens clamp. */
  tokens: { max?: number; min?: number };
  /** Which upstream family signed which thinking block. */
  signatures: SignatureBook;
  /** The configured upstreams span more than one signature family (set after building). */
  mixedFamilies: boolean;
}

/** One attempt: which call, on which account, asking for which upstream model. */
export interface Attempt {
  /** The inbound call. */
  call: MessagesCall;
  /** The account chosen. */
  account: Account;
  /** The upstream model id (after mapping). */
  model: string;
}

/** The result of checking a credential. */
export interface VerifyResult {
  /** True when the upstream accepted the credential. */
  ok: boolean;
  /** HTTP status, when there was a response. */
  status?: number;
  /** A short human explanation. */
  detail: string;
}

/** An upstream provider with its pool. */
export interface Provider {
  /** Name from config. */
  readonly name: string;
  /** Config with any preset applied. */
  readonly config: ProviderConfig;
  /** Its pool of accounts. */
  readonly pool: Pool;
  /**
   * Upstreams that can verify each other's thinking signatures share a family ("anthropic" for
   * Anthropic itself); undefined when the upstream keeps no signatures (OpenAI-compatible).
   */
  readonly signatureFamily?: string;
  /** The upstream model for a routed model (provider model map; identity when none). */
  mapModel(model: string): string;
  /** True when the provider can serve this endpoint. */
  supports(endpoint: Endpoint): boolean;
  /**
   * Sends one attempt and resolves when response headers arrive; the response is in Anthropic
   * wire format (status, error JSON, SSE events). Rejects with `UpstreamFailure`.
   */
  send(attempt: Attempt): Promise<UpstreamResponse>;
  /** Checks one account's credential against the upstream without spending tokens. */
  verify(account: Account, signal?: AbortSignal): Promise<VerifyResult>;
  /** Model ids to list on GET /v1/models. */
  models(): string[];
  /** Reads what a response says about the account (subscription quota), success or not. */
  observe?(account: Account, headers: Headers): void;
}
