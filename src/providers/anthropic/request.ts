/**
 * Builds the upstream request for an Anthropic-format upstream. The client's body bytes are
 * forwarded as they are unless something must change (model mapping, a token clamp,
 * per-provider cleaning); only then is the body re-serialised.
 * @module
 */
import type { ProviderConfig } from "../../config/schema.ts";
import type { Attempt, ProviderContext } from "../provider.ts";
import { authHeaderList } from "../shared/auth.ts";
import { isDroppedRequestHeader, strippedBetas } from "../shared/headers.ts";

/** Per-attempt credential override (OAuth access tokens change; API keys do not). */
export interface RequestAuth {
  /** The credential. */
  credential: string;
  /** How to send it. */
  style?: ProviderConfig["authHeader"];
  /** Betas the upstream requires, added to whatever the client sent. */
  addBetas?: readonly string[];
}

/** Rewrites a body copy for one upstream; returns true when it changed anything. */
export type BodyCleaner = (body: Record<string, unknown>) => boolean;

/** The upstream URL for an endpoint: base URL + Anthropic path + the client's query. */
export function upstreamUrl(
  baseUrl: string,
  endpoint: "messages" | "count_tokens",
  search: string,
): string {
  const base = baseUrl.replace(/\/+$/, "");
  const path = endpoint === "messages" ? "/v1/messages" : "/v1/messages/count_tokens";
  // Base URLs written with /v1 (a common mistake) must not become /v1/v1/messages.
  return (base.endsWith("/v1") ? base.slice(0, -3) : base) + path + search;
}

/**
 * Upstream request headers for one attempt, built in one pass as a list: the client's
 * forwardable headers, then custom and provider headers (which win), betas stripped as the
 * provider needs, and the account's credential.
 */
export function buildHeaders(
  attempt: Attempt,
  config: ProviderConfig,
  ctx: ProviderContext,
  auth?: RequestAuth,
): [string, string][] {
  const overrides = { ...ctx.customHeaders, ...config.headers };
  const out: [string, string][] = [];
  let version = false;
  let betas: string | undefined;
  for (const [name, value] of attempt.call.headers) {
    if (isDroppedRequestHeader(name) || name === "content-type" || name in overrides) continue;
    if (name === "anthropic-beta") {
      const kept = strippedBetas(value, config.stripBetas);
      betas = kept;
      continue;
    }
    if (name === "anthropic-version") version = true;
    out.push([name, value]);
  }
  if (auth?.addBetas?.length) {
    const have = new Set((betas ?? "").split(",").map((b) => b.trim()).filter(Boolean));
    const missing = auth.addBetas.filter((b) => !have.has(b));
    if (missing.length) betas = betas ? `${betas},${missing.join(",")}` : missing.join(",");
  }
  if (betas !== undefined) out.push(["anthropic-beta", betas]);
  if (!version) out.push(["anthropic-version", "2023-06-01"]);
  out.push(["content-type", "application/json"]);
  for (const name in overrides) out.push([name.toLowerCase(), overrides[name]]);
  out.push(
    ...authHeaderList(
      auth?.style ?? config.authHeader,
      auth?.credential ?? attempt.account.spec.credential,
    ),
  );
  return out;
}

/**
 * The upstream body: the original bytes, or a rewritten copy when something must change.
 * `translated` is a body built from another protocol; it is always serialised.
 */
export function buildBody(
  attempt: Attempt,
  ctx: ProviderContext,
  clean?: BodyCleaner,
  translated?: Record<string, unknown>,
): Uint8Array<ArrayBuffer> | string {
  const { call, model } = attempt;
  const source = translated ?? call.body;
  let copy: Record<string, unknown> | undefined = translated ? { ...translated } : undefined;
  const edit = () => (copy ??= { ...source });
  if (source.model !== model) edit().model = model;
  const maxTokens = source.max_tokens;
  if (typeof maxTokens === "number" && call.endpoint === "messages") {
    const clamped = Math.max(Math.min(maxTokens, ctx.tokens.max ?? Infinity), ctx.tokens.min ?? 0);
    if (clamped !== maxTokens) edit().max_tokens = clamped;
  }
  if (clean) {
    const candidate = copy ?? { ...source };
    if (clean(candidate)) copy = candidate;
  }
  return copy ? JSON.stringify(copy) : call.raw;
}
