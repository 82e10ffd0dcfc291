/**
 * Provider `anthropic`: Anthropic's API with API keys (`x-api-key`). It is also the base of
 * every Anthropic-format upstream: `anthropic-compatible` reuses it with a preset and cleaning.
 * @module
 */
import type { ProviderConfig } from "../../config/schema.ts";
import type { Account } from "../../pool/account.ts";
import type { Pool } from "../../pool/pool.ts";
import type { Endpoint } from "../../routing/call.ts";
import { adaptResponse } from "../../translate/adapt_response.ts";
import {
  fromOpenAIRequest,
  thinkingStyleFor,
  wantsUsage,
} from "../../translate/from_openai_request.ts";
import type { ChatRequest } from "../../translate/openai_types.ts";
import { fetchUpstream, type UpstreamResponse } from "../../upstream/fetch_upstream.ts";
import type { Attempt, Provider, ProviderContext, VerifyResult } from "../provider.ts";
import { mapModel } from "../shared/model_map.ts";
import { verifyByGet } from "../shared/verify.ts";
import { mayNeedHygiene, stripForeignThinking } from "../../translate/thinking_hygiene.ts";
import { authHeaderList } from "../shared/auth.ts";
import {
  type BodyCleaner,
  buildBody,
  buildHeaders,
  type RequestAuth,
  upstreamUrl,
} from "./request.ts";

/** Anthropic's API. */
export const ANTHROPIC_BASE_URL = "https://api.anthropic.com";

/** Hooks for providers built on the Anthropic wire provider. */
export interface WireOptions {
  /** The credential and how to send it, per attempt (e.g. a refreshed OAuth access token). */
  auth?: (account: Account) => Promise<RequestAuth>;
  /**
   * True when the raw body must be rewritten by the cleaner (decided on the bytes); providers
   * with this hook are forwarded as is otherwise, even though they have a cleaner.
   */
  mustRewrite?: (raw: Uint8Array) => boolean;
}

/** An upstream that speaks the Anthropic Messages API. */
export class AnthropicWireProvider implements Provider {
  /** Name from config. */
  readonly name: string;
  /** Config with any preset applied. */
  readonly config: ProviderConfig;
  /** Its pool of accounts. */
  readonly pool: Pool;
  /** `anthropic` for Anthropic and Claude OAuth, `host:<upstream host>` for compatible upstreams. */
  readonly signatureFamily: string;
  readonly #ctx: ProviderContext;
  readonly #baseUrl: string;
  readonly #clean: BodyCleaner;
  readonly #mustRewrite: (raw: Uint8Array) => boolean;

  readonly #options: WireOptions;

  /**
   * Creates the provider for one config entry and its account pool.
   * @param clean Per-provider body cleaning (anthropic-compatible upstreams).
   * @param options Hooks of providers built on this one (Claude OAuth).
   */
  constructor(
    config: ProviderConfig,
    pool: Pool,
    ctx: ProviderContext,
    clean?: BodyCleaner,
    options: WireOptions = {},
  ) {
    this.#options = options;
    this.name = config.name;
    this.config = config;
    this.pool = pool;
    this.#ctx = ctx;
    this.#baseUrl = config.baseUrl ?? ANTHROPIC_BASE_URL;
    this.signatureFamily = config.type === "anthropic" || config.type === "claude-oauth"
      ? "anthropic"
      : `host:${new URL(this.#baseUrl).host}`;
    // A preset cleaner rewrites every body; a provider hook may decide per body from its bytes.
    this.#mustRewrite = options.mustRewrite ?? (clean ? () => true : () => false);
    const family = this.signatureFamily;
    const book = ctx.signatures;
    this.#clean = (body) => {
      let changed = clean ? clean(body) : false;
      const stripped = stripForeignThinking(body.messages, family, book);
      if (stripped) {
        body.messages = stripped.messages;
        if (stripped.lastAssistantStripped) delete body.thinking;
        changed = true;
      }
      return changed;
    };
  }

  /** True when the client's bytes can go upstream unchanged (decided without parsing them). */
  #forwardAsIs(attempt: Attempt): boolean {
    const { call, model } = attempt;
    return model === call.model && this.#ctx.tokens.max === undefined &&
      this.#ctx.tokens.min === undefined && !this.#mustRewrite(call.raw) &&
      !mayNeedHygiene(
        call.raw,
        this.signatureFamily,
        this.#ctx.signatures,
        this.#ctx.mixedFamilies,
      );
  }

  /** The upstream base URL. */
  get baseUrl(): string {
    return this.#baseUrl;
  }

  /** The upstream model from the provider's model map; the model itself when nothing matches. */
  mapModel(model: string): string {
    return mapModel(this.config.models, model) ?? model;
  }

  /** Always true: an Anthropic-wire upstream serves every endpoint. */
  supports(_endpoint: Endpoint): boolean {
    return true;
  }

  /** Sends one attempt, forwarding the client's bytes unchanged when nothing needs rewriting and translating OpenAI-door calls. */
  async send(attempt: Attempt): Promise<UpstreamResponse> {
    const { call } = attempt;
    // An OpenAI-door call is translated here, per attempt, so mixed chains work.
    const translated = call.protocol === "openai"
      ? fromOpenAIRequest(call.body as unknown as ChatRequest, {
        thinking: thinkingStyleFor(attempt.model),
      })
      : undefined;
    const url = upstreamUrl(this.#baseUrl, call.endpoint, translated ? "" : call.search);
    const auth = this.#options.auth ? await this.#options.auth(attempt.account) : undefined;
    const headers = buildHeaders(attempt, this.config, this.#ctx, auth);
    const body = !translated && this.#forwardAsIs(attempt)
      ? call.raw
      : buildBody(attempt, this.#ctx, this.#clean, translated);
    const timeout = call.stream || call.endpoint === "count_tokens"
      ? this.#ctx.timeouts.connectMs
      : this.#ctx.timeouts.requestMs;
    const up = await fetchUpstream(url, { method: "POST", headers, body }, {
      clientSignal: call.signal,
      headersTimeoutMs: timeout,
    });
    if (!translated) return up;
    return await adaptResponse(up, "anthropic", "openai", {
      model: call.model,
      inputTokens: 0,
      includeUsage: wantsUsage(call.body as unknown as ChatRequest),
      readMs: this.#ctx.timeouts.readMs,
    });
  }

  /** Checks the credential with `GET /v1/models?limit=1` (spends no tokens). */
  async verify(account: Account, signal?: AbortSignal): Promise<VerifyResult> {
    // GET /v1/models checks the key without spending tokens.
    const headers = new Headers({ "anthropic-version": "2023-06-01" });
    for (const [k, v] of Object.entries(this.config.headers)) headers.set(k, v);
    for (const [k, v] of authHeaderList(this.config.authHeader, account.spec.credential)) {
      headers.set(k, v);
    }
    const base = this.#baseUrl.replace(/\/+$/, "").replace(/\/v1$/, "");
    return await verifyByGet(
      `${base}/v1/models?limit=1`,
      headers,
      signal ?? AbortSignal.timeout(this.#ctx.timeouts.connectMs),
    );
  }

  /** `modelList` from config, else the distinct targets of the model map. */
  models(): string[] {
    return this.config.modelList.length
      ? this.config.modelList
      : [...new Set(Object.values(this.config.models))];
  }
}
