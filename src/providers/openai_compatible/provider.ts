/**
 * Provider `openai-compatible`: upstreams that speak OpenAI Chat Completions (OpenAI, Azure,
 * OpenRouter, Ollama, DeepSeek, Kimi, GLM, MiniMax, Gemini's OpenAI endpoint, ModelScope).
 * Anthropic calls are translated both ways; OpenAI calls pass through with the model mapped.
 * `count_tokens` is answered locally with an estimate.
 * @module
 */
import type { ProviderConfig } from "../../config/schema.ts";
import type { Account } from "../../pool/account.ts";
import type { Pool } from "../../pool/pool.ts";
import type { Endpoint } from "../../routing/call.ts";
import { adaptResponse } from "../../translate/adapt_response.ts";
import { fetchUpstream, type UpstreamResponse } from "../../upstream/fetch_upstream.ts";
import type { Attempt, Provider, ProviderContext, VerifyResult } from "../provider.ts";
import { mapModel } from "../shared/model_map.ts";
import { authHeaderList } from "../shared/auth.ts";
import { foldSystemMessages } from "../shared/system_messages.ts";
import { verifyByGet } from "../shared/verify.ts";
import { type OpenAISettings, openAISettings, tokenFieldFor } from "./presets.ts";

/** The request translation and the token estimate, imported on first use (idle memory). */
function importTranslation() {
  return Promise.all([
    import("../../translate/estimate_tokens.ts"),
    import("../../translate/to_openai_request.ts"),
  ]);
}
let translation: ReturnType<typeof importTranslation> | undefined;

/** An OpenAI Chat Completions upstream. */
export class OpenAICompatibleProvider implements Provider {
  /** Name from config. */
  readonly name: string;
  /** Config with any preset applied. */
  readonly config: ProviderConfig;
  /** Its pool of accounts. */
  readonly pool: Pool;
  /** Resolved quirks. */
  readonly settings: OpenAISettings;
  readonly #ctx: ProviderContext;

  /** Builds the provider. */
  constructor(config: ProviderConfig, pool: Pool, ctx: ProviderContext) {
    this.name = config.name;
    this.config = config;
    this.pool = pool;
    this.#ctx = ctx;
    this.settings = openAISettings(config);
  }

  /** The upstream model from the provider's model map; the model itself when nothing matches. */
  mapModel(model: string): string {
    return mapModel(this.config.models, model) ?? model;
  }

  /** Always true; `count_tokens` is answered locally with an estimate. */
  supports(_endpoint: Endpoint): boolean {
    return true;
  }

  #url(path: string): string {
    const query = this.settings.apiVersion
      ? `?api-version=${encodeURIComponent(this.settings.apiVersion)}`
      : "";
    return `${this.settings.baseUrl}${path}${query}`;
  }

  #headers(account: Account): Headers {
    const headers = new Headers({
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
    });
    for (const [k, v] of Object.entries(this.#ctx.customHeaders)) headers.set(k, v);
    for (const [k, v] of Object.entries(this.config.headers)) headers.set(k, v);
    for (const [k, v] of authHeaderList(this.settings.authHeader, account.spec.credential)) {
      headers.set(k, v);
    }
    return headers;
  }

  #clampTokens(body: Record<string, unknown>): void {
    const { max, min } = this.#ctx.tokens;
    for (const field of ["max_tokens", "max_completion_tokens"]) {
      const v = body[field];
      if (typeof v === "number") body[field] = Math.max(Math.min(v, max ?? Infinity), min ?? 0);
    }
  }

  /** Sends one attempt as a Chat Completions request and adapts the answer to the client's protocol. */
  async send(attempt: Attempt): Promise<UpstreamResponse> {
    const { call, account, model } = attempt;
    const [{ estimateTokens }, { toOpenAIRequest, shortenToolNames }] =
      await (translation ??= importTranslation());
    if (call.endpoint === "count_tokens") {
      // No OpenAI equivalent: answer locally rather than 404 (Claude Code sizes its context by it).
      const body = JSON.stringify({ input_tokens: estimateTokens(call.body) });
      const response = new Response(body, { headers: { "content-type": "application/json" } });
      return { response, abort() {}, release() {}, signal: new AbortController().signal };
    }
    let payload: Record<string, unknown>;
    let toolNames: ReadonlyMap<string, string> | undefined;
    if (call.protocol === "anthropic") {
      // A copy: the call's body is shared by every attempt of the chain.
      const folded = this.settings.systemMessages === "to-user"
        ? foldSystemMessages(call.body.messages)
        : undefined;
      const request = toOpenAIRequest(folded ? { ...call.body, messages: folded } : call.body, {
        model,
        maxTokensField: tokenFieldFor(this.settings.maxTokensField, model),
        reasoning: this.settings.reasoning,
        replayReasoning: this.settings.replayReasoning,
        systemRole: this.settings.systemRole,
        schemaDialect: this.settings.schemaDialect,
        includeUsage: true,
      });
      toolNames = shortenToolNames(request);
      payload = request as Record<string, unknown>;
    } else {
      payload = { ...call.body, model };
      const field = tokenFieldFor(this.settings.maxTokensField, model);
      const other = field === "max_tokens" ? "max_completion_tokens" : "max_tokens";
      if (payload[other] !== undefined && payload[field] === undefined) {
        payload[field] = payload[other];
        delete payload[other];
      }
    }
    this.#clampTokens(payload);
    Object.assign(payload, this.settings.extraBody);
    const timeout = call.stream ? this.#ctx.timeouts.connectMs : this.#ctx.timeouts.requestMs;
    const up = await fetchUpstream(this.#url("/chat/completions"), {
      method: "POST",
      headers: this.#headers(account),
      body: JSON.stringify(payload),
    }, { clientSignal: call.signal, headersTimeoutMs: timeout });
    return await adaptResponse(up, "openai", call.protocol, {
      model: call.model,
      inputTokens: call.protocol === "anthropic" ? estimateTokens(call.body) : 0,
      includeUsage: true,
      readMs: this.#ctx.timeouts.readMs,
      toolNames,
    });
  }

  /** Checks the credential with `GET /models` (spends no tokens). */
  verify(account: Account, signal?: AbortSignal): Promise<VerifyResult> {
    return verifyByGet(
      this.#url("/models"),
      this.#headers(account),
      signal ?? AbortSignal.timeout(this.#ctx.timeouts.connectMs),
    );
  }

  /** `modelList` from the resolved settings, else the distinct targets of the model map. */
  models(): string[] {
    return this.settings.modelList.length
      ? this.settings.modelList
      : [...new Set(Object.values(this.config.models))];
  }
}
