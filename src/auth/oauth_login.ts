/**
 * What `ccgate login` and the gateway's "add account" page share: endpoint overrides, name and
 * provider rules, the default account name, and "exchange the code, then store the tokens".
 * Nothing here prints or logs a token.
 * @module
 */
import { shortDuration } from "../observability/table.ts";
import { PRESETS } from "../providers/anthropic_compatible/presets.ts";
import { OPENAI_PRESETS } from "../providers/openai_compatible/presets.ts";
import type { KvTarget } from "../store/kv.ts";
import { defaultKeyFile } from "./oauth_store.ts";
import type { OAuthRecord, OAuthStore } from "./oauth_store.ts";
import { exchangeCode, type TokenSet } from "./token_client.ts";

/** The provider subscription accounts go to when none is named. */
export const DEFAULT_OAUTH_PROVIDER = "claude";

/** The account-name rule of the config schema and the importer (so every path agrees). */
export const ACCOUNT_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]*$/;

/** Longest account name accepted (longer ones look like pasted tokens). */
const MAX_NAME = 64;

/** Anything with an environment-style `get` (`Deno.env` or a test double). */
export interface EnvGet {
  /** The variable's value, or undefined. */
  get(name: string): string | undefined;
}

/** OAuth endpoint overrides (tests and self-hosting); undefined means Claude's own. */
export interface OAuthEndpoints {
  /** `CCGATE_OAUTH_TOKEN_URL`. */
  tokenUrl?: string;
  /** `CCGATE_OAUTH_AUTHORIZE_URL`. */
  authorizeUrl?: string;
}

/** Reads `CCGATE_OAUTH_TOKEN_URL` and `CCGATE_OAUTH_AUTHORIZE_URL`. */
export function oauthEndpointsFromEnv(env: EnvGet = Deno.env): OAuthEndpoints {
  const out: OAuthEndpoints = {};
  const token = env.get("CCGATE_OAUTH_TOKEN_URL")?.trim();
  const authorize = env.get("CCGATE_OAUTH_AUTHORIZE_URL")?.trim();
  if (token) out.tokenUrl = token;
  if (authorize) out.authorizeUrl = authorize;
  return out;
}

/** Why `name` cannot be an account name, or undefined when it can. Never echoes a token. */
export function accountNameProblem(name: string): string | undefined {
  if (/^sk-ant-/i.test(name) || name.length > MAX_NAME) {
    return "the account name looks like a token, not a name";
  }
  if (!ACCOUNT_NAME.test(name)) {
    return `account name "${name}": use letters, digits, '.', '_', '@' and '-'`;
  }
  return undefined;
}

/**
 * Why subscription accounts cannot go to `provider`, or undefined when they can: a configured
 * provider must be of type `claude-oauth`; an unconfigured name becomes an implicit one,
 * except the names that already mean an implicit API-key provider (anthropic, the presets).
 */
export function oauthProviderProblem(
  providers: readonly { name: string; type: string }[],
  provider: string,
): string | undefined {
  if (!ACCOUNT_NAME.test(provider) || provider.length > MAX_NAME) {
    return `provider name "${provider.slice(0, MAX_NAME)}" is not valid`;
  }
  const configured = providers.find((p) => p.name === provider);
  if (configured && configured.type !== "claude-oauth") {
    return `provider "${provider}" is of type ${configured.type}; subscription accounts need a provider of type claude-oauth`;
  }
  if (
    !configured && (provider === "anthropic" || provider in PRESETS || provider in OPENAI_PRESETS)
  ) {
    return `provider "${provider}" holds API-key accounts; use "${DEFAULT_OAUTH_PROVIDER}" (the default) or a claude-oauth provider`;
  }
  return undefined;
}

/**
 * The key file that seals a KV's OAuth tokens: beside a local KV file, else (default KV, or a
 * remote one without CCGATE_SECRET) in the data directory. The gateway and the CLI must agree,
 * or one cannot open what the other sealed.
 */
export function oauthKeyFileFor(kv: KvTarget): string {
  if (kv.path && kv.path !== ":memory:" && !kv.url) {
    const slash = kv.path.lastIndexOf("/");
    return `${slash >= 0 ? kv.path.slice(0, slash) : "."}/secret.key`;
  }
  return defaultKeyFile();
}

/**
 * The name for a new login when the user gave none: the e-mail's local part (re-logging the
 * same e-mail reuses its name, so the account is replaced rather than duplicated; another
 * e-mail with the same local part gets `-2`, `-3`, …), else `<provider>-N`, the first free N.
 */
export async function defaultAccountName(
  store: OAuthStore,
  provider: string,
  email: string | undefined,
): Promise<string> {
  const taken = new Map<string, OAuthRecord>();
  for (const e of await store.records()) {
    if (e.value.provider === provider) taken.set(e.value.name, e.value);
  }
  const local = (email?.split("@")[0] ?? "")
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "")
    .slice(0, MAX_NAME - 4);
  if (local && !accountNameProblem(local)) {
    for (let i = 1;; i++) {
      const name = i === 1 ? local : `${local}-${i}`;
      const existing = taken.get(name);
      if (!existing || (email && existing.email === email)) return name;
    }
  }
  for (let i = 1;; i++) {
    if (!taken.has(`${provider}-${i}`)) return `${provider}-${i}`;
  }
}

/** The outcome of a completed login. */
export interface LoginResult {
  /** The stored record (tokens sealed). */
  record: OAuthRecord;
  /** True when an account of that name existed and was replaced. */
  replaced: boolean;
}

/** Inputs of {@link exchangeAndSave}. */
export interface ExchangeAndSaveOptions {
  /** Where the account goes. */
  store: OAuthStore;
  /** Provider name (already checked with {@link oauthProviderProblem}). */
  provider: string;
  /** Account name (already checked); undefined picks {@link defaultAccountName}. */
  name?: string;
  /** The authorization code. */
  code: string;
  /** This login attempt's PKCE verifier. */
  verifier: string;
  /** This login attempt's state (Claude's token endpoint wants it in the body). */
  state: string;
  /** Token endpoint override. */
  tokenUrl?: string;
  /** Cancels the exchange. */
  signal?: AbortSignal;
}

/**
 * Trades the code for tokens and stores them sealed with source "login". An existing account
 * of the same name is replaced: logging in again is how a dead refresh token is fixed.
 * Throws `OAuthError` (messages carry no secrets).
 */
export async function exchangeAndSave(options: ExchangeAndSaveOptions): Promise<LoginResult> {
  const tokens: TokenSet = await exchangeCode({
    code: options.code,
    verifier: options.verifier,
    state: options.state,
    tokenUrl: options.tokenUrl,
    signal: options.signal,
  });
  const { store, provider } = options;
  const name = options.name ?? await defaultAccountName(store, provider, tokens.email);
  const replaced = (await store.records()).some((e) =>
    e.value.provider === provider && e.value.name === name
  );
  const record = await store.save(provider, name, tokens, { source: "login" });
  return { record, replaced };
}

/** `claude/work (me@example.com, max)` — no secrets. */
export function describeAccount(record: OAuthRecord): string {
  const details = [record.email, record.subscriptionType].filter(Boolean);
  return `${record.provider}/${record.name}${details.length ? ` (${details.join(", ")})` : ""}`;
}

/** `expires 2026-05-01 12:00Z (in 7h59m)` or `expired 2h05m ago`. */
export function describeExpiry(expiresAt: number, now = Date.now()): string {
  const at = new Date(expiresAt).toISOString().slice(0, 16).replace("T", " ") + "Z";
  const seconds = (expiresAt - now) / 1000;
  return seconds > 0
    ? `expires ${at} (in ${shortDuration(seconds)})`
    : `expired ${shortDuration(-seconds)} ago`;
}
