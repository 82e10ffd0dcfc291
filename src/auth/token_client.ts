/**
 * Client for Claude's OAuth token endpoint: code exchange and refresh. Stateless: it does not
 * serialise refreshes or persist anything — the caller must do both, because refresh tokens are
 * single-use (a second refresh with the same token gets `invalid_grant`). Error messages are
 * scrubbed so no token ever reaches a log.
 * @module
 */
import { parseRetryAfter } from "../pool/rate_limit_reset.ts";
import { CLAUDE_CLIENT_ID, CLAUDE_REDIRECT_URI, CLAUDE_TOKEN_URL } from "./pkce.ts";

/**
 * The User-Agent sent to the token endpoint. It sits behind Cloudflare, and a non-`claude-cli`
 * UA has been answered with a WAF 429; this is the version seen in our own Claude Code capture.
 */
export const CLAUDE_CLI_USER_AGENT = "claude-cli/2.1.328 (external, cli)";

/** Lower bound for `retryAfterMs`: hammering a WAF-protected endpoint faster only extends a ban. */
export const OAUTH_RETRY_MIN_MS = 5_000;
/** Upper bound for `retryAfterMs`, so a silly header cannot park an account for hours. */
export const OAUTH_RETRY_MAX_MS = 5 * 60_000;
/** `retryAfterMs` for a 429 that names no delay. */
export const OAUTH_RETRY_DEFAULT_MS = 60_000;
/** Whole-request timeout when the caller sets none. */
export const OAUTH_TIMEOUT_MS = 30_000;
/** Lifetime assumed when a 2xx answer lacks a usable `expires_in` (tokens are kept, not lost). */
export const DEFAULT_EXPIRES_IN_S = 3600;

/** What a successful exchange or refresh yields. */
export interface TokenSet {
  /** `sk-ant-oat01-…`, sent as `Authorization: Bearer`. */
  accessToken: string;
  /** `sk-ant-ort01-…`; single-use. Undefined only if a code exchange returned none. */
  refreshToken?: string;
  /** Epoch ms at which the access token expires (request start + `expires_in`). */
  expiresAt: number;
  /** Granted scopes, from the space-separated `scope`. */
  scopes?: string[];
  /** `account.email_address`. */
  email?: string;
  /** `account.uuid`. */
  accountUuid?: string;
  /** `organization.uuid`. */
  organizationUuid?: string;
  /** `organization.name`. */
  organizationName?: string;
  /** `subscription_type` when the endpoint sends it (e.g. "pro", "max"). */
  subscriptionType?: string;
}

/** How a token request failed; decides whether to retry, back off or ask the user to log in. */
export type OAuthErrorKind =
  | "invalid_grant"
  | "rate_limited"
  | "server"
  | "network"
  | "bad_response"
  | "client";

/** A failed token request. `message` never contains a token, code or verifier. */
export class OAuthError extends Error {
  /** See {@link OAuthErrorKind}. `invalid_grant` means: this credential is dead, log in again. */
  readonly kind: OAuthErrorKind;
  /** HTTP status, undefined when no response arrived. */
  readonly status?: number;
  /** How long to wait before the next attempt, clamped to 5 s–5 min; set on 429 always. */
  readonly retryAfterMs?: number;
  /** The upstream OAuth error code (e.g. "invalid_grant", "invalid_request"), if any. */
  readonly code?: string;

  /** Builds an error; `message` must already be scrubbed. */
  constructor(
    kind: OAuthErrorKind,
    message: string,
    extra: { status?: number; retryAfterMs?: number; code?: string } = {},
  ) {
    super(message);
    this.name = "OAuthError";
    this.kind = kind;
    this.status = extra.status;
    this.retryAfterMs = extra.retryAfterMs;
    this.code = extra.code;
  }

  /** True for the kinds worth retrying later with the same credential. */
  get retryable(): boolean {
    return this.kind === "rate_limited" || this.kind === "server" || this.kind === "network";
  }
}

/** Options shared by both calls. */
export interface TokenRequestOptions {
  /** Defaults to {@link CLAUDE_TOKEN_URL}; tests point it at a fake server. */
  tokenUrl?: string;
  /** Defaults to {@link CLAUDE_CLIENT_ID}. */
  clientId?: string;
  /** Injectable fetch (defaults to the global one). */
  fetch?: typeof fetch;
  /** Cancels the request; the signal's reason is rethrown as is. */
  signal?: AbortSignal;
  /** Defaults to {@link OAUTH_TIMEOUT_MS}; a timeout is a `network` error. */
  timeoutMs?: number;
  /** Defaults to {@link CLAUDE_CLI_USER_AGENT}. */
  userAgent?: string;
}

/** Options for {@link exchangeCode}. */
export interface ExchangeCodeOptions extends TokenRequestOptions {
  /** Must equal the one in the authorize URL. Defaults to {@link CLAUDE_REDIRECT_URI}. */
  redirectUri?: string;
  /** The authorization code (from `parsePastedCode`). */
  code: string;
  /** The PKCE verifier of this login attempt. */
  verifier: string;
  /** The state of this login attempt (Claude's endpoint requires it in the body). */
  state: string;
}

/** Options for {@link refreshTokens}. */
export interface RefreshTokensOptions extends TokenRequestOptions {
  /** The current refresh token; it is consumed by a successful call. */
  refreshToken: string;
  /** Sent as space-separated `scope` when given (Claude Code sends it; optional). */
  scopes?: readonly string[];
}

/** Trades an authorization code for tokens. Throws {@link OAuthError}. */
export function exchangeCode(options: ExchangeCodeOptions): Promise<TokenSet> {
  const body = {
    grant_type: "authorization_code",
    code: options.code,
    redirect_uri: options.redirectUri ?? CLAUDE_REDIRECT_URI,
    client_id: options.clientId ?? CLAUDE_CLIENT_ID,
    code_verifier: options.verifier,
    state: options.state,
  };
  return tokenRequest("code exchange", options, body, [
    options.code,
    options.verifier,
    options.state,
  ]);
}

/**
 * Trades a refresh token for a new token set. The answer's refresh token replaces the old one,
 * which is dead from now on — persist it before anything else; when the answer has none the
 * old one is kept. Throws {@link OAuthError}.
 */
export async function refreshTokens(
  options: RefreshTokensOptions,
): Promise<TokenSet & { refreshToken: string }> {
  const body: Record<string, string> = {
    grant_type: "refresh_token",
    refresh_token: options.refreshToken,
    client_id: options.clientId ?? CLAUDE_CLIENT_ID,
  };
  if (options.scopes?.length) body.scope = options.scopes.join(" ");
  const set = await tokenRequest("token refresh", options, body, [options.refreshToken]);
  return { ...set, refreshToken: set.refreshToken ?? options.refreshToken };
}

async function tokenRequest(
  what: string,
  options: TokenRequestOptions,
  body: Record<string, string>,
  secrets: string[],
): Promise<TokenSet> {
  const url = options.tokenUrl ?? CLAUDE_TOKEN_URL;
  const started = Date.now();
  // A local controller + timer rather than AbortSignal.timeout, so no timer outlives the call.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs ?? OAUTH_TIMEOUT_MS);
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) onAbort();

  const fail = (error: unknown): never => {
    if (options.signal?.aborted) throw options.signal.reason;
    if (error instanceof OAuthError) throw error;
    const reason = timedOut
      ? `timed out after ${Math.round((options.timeoutMs ?? OAUTH_TIMEOUT_MS) / 1000)}s`
      : scrubSecrets(error instanceof Error ? error.message : String(error), secrets);
    throw new OAuthError("network", `OAuth ${what} failed: ${hostOf(url)}: ${reason}`);
  };

  try {
    const response = await (options.fetch ?? fetch)(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "accept": "application/json, text/plain, */*",
        "user-agent": options.userAgent ?? CLAUDE_CLI_USER_AGENT,
      },
      body: JSON.stringify(body),
      signal: controller.signal,
    });
    const text = await response.text();
    if (!response.ok) throw errorFor(what, response, text, secrets);
    return parseTokenResponse(what, text, started, secrets);
  } catch (error) {
    return fail(error);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
}

/** Reads a 2xx answer. Lenient on everything but the access token: the old refresh token may already be spent. */
function parseTokenResponse(
  what: string,
  text: string,
  started: number,
  secrets: string[],
): TokenSet {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text);
  } catch {
    throw new OAuthError("bad_response", `OAuth ${what}: the token endpoint answered non-JSON`);
  }
  const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);
  const accessToken = str(json?.access_token);
  if (!accessToken) {
    const keys = json && typeof json === "object" ? Object.keys(json).join(", ") : typeof json;
    throw new OAuthError(
      "bad_response",
      `OAuth ${what}: answer has no access_token (fields: ${scrubSecrets(keys, secrets)})`,
    );
  }
  const expiresIn = Number(json.expires_in);
  const lifetime = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : DEFAULT_EXPIRES_IN_S;
  const account = (json.account ?? {}) as Record<string, unknown>;
  const org = (json.organization ?? {}) as Record<string, unknown>;
  const scope = str(json.scope);
  const set: TokenSet = { accessToken, expiresAt: started + lifetime * 1000 };
  const optional: Partial<TokenSet> = {
    refreshToken: str(json.refresh_token),
    scopes: scope ? scope.split(/\s+/).filter(Boolean) : undefined,
    email: str(account.email_address) ?? str(account.email),
    accountUuid: str(account.uuid),
    organizationUuid: str(org.uuid),
    organizationName: str(org.name),
    subscriptionType: str(json.subscription_type) ?? str(account.subscription_type),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) (set as unknown as Record<string, unknown>)[key] = value;
  }
  return set;
}

const INVALID_GRANT_TEXT =
  /(invalid|expired|revoked|not found)[^.]{0,40}(refresh[ _]?token|grant)|(refresh[ _]?token|grant)[^.]{0,40}(invalid|expired|revoked|not found)/i;

/** Classifies a non-2xx answer. */
function errorFor(what: string, response: Response, text: string, secrets: string[]): OAuthError {
  const status = response.status;
  const { code, detail } = describeBody(text, secrets);
  const retryAfterMs = retryAfterFrom(response.headers, status === 429);
  const suffix = `${code ? ` ${code}` : ""}${detail ? `: ${detail}` : ""}`;
  const message = `OAuth ${what} failed: HTTP ${status}${suffix}`;
  const extra = { status, retryAfterMs, code };
  if (
    (status === 400 || status === 401) &&
    (code === "invalid_grant" || INVALID_GRANT_TEXT.test(detail))
  ) {
    return new OAuthError("invalid_grant", `${message} (log in again)`, extra);
  }
  if (status === 429) return new OAuthError("rate_limited", message, extra);
  if (status >= 500) return new OAuthError("server", message, extra);
  return new OAuthError("client", message, extra);
}

/** The OAuth error code and a short scrubbed description from an error body. */
function describeBody(text: string, secrets: string[]): { code?: string; detail: string } {
  let code: string | undefined;
  let detail = "";
  try {
    const json = JSON.parse(text);
    const err = json?.error;
    if (typeof err === "string") {
      code = err;
      detail = typeof json.error_description === "string" ? json.error_description : "";
    } else if (err && typeof err === "object") {
      // Anthropic's API shape: {type:"error", error:{type, message}}.
      code = typeof err.type === "string" ? err.type : undefined;
      detail = typeof err.message === "string" ? err.message : "";
    } else if (typeof json?.message === "string") {
      detail = json.message;
    }
  } catch {
    detail = /^\s*</.test(text) ? "(HTML page, likely the Cloudflare WAF)" : text;
  }
  code = code ? scrubSecrets(code, secrets).slice(0, 60) : undefined;
  return { code, detail: scrubSecrets(detail.replace(/\s+/g, " ").trim(), secrets).slice(0, 200) };
}

/** `retry-after-ms` or `retry-after`, clamped; a 429 without either gets the default. */
function retryAfterFrom(headers: Headers, isRateLimit: boolean): number | undefined {
  const now = Date.now();
  let ms: number | undefined;
  const rawMs = headers.get("retry-after-ms")?.trim();
  if (rawMs && /^\d+(\.\d+)?$/.test(rawMs)) ms = Number(rawMs);
  else {
    const at = parseRetryAfter(headers.get("retry-after"), now);
    if (at !== undefined) ms = at - now;
  }
  if (ms === undefined) return isRateLimit ? OAUTH_RETRY_DEFAULT_MS : undefined;
  return Math.min(Math.max(Math.round(ms), OAUTH_RETRY_MIN_MS), OAUTH_RETRY_MAX_MS);
}

/**
 * Removes anything token-like from text meant for logs: the given secrets verbatim, any
 * `sk-ant-…` string, values of token-ish JSON fields, and long opaque runs (32+ URL-safe
 * characters) that could be a token without the usual prefix.
 */
export function scrubSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join("[redacted]");
  }
  return out
    .replace(
      /"(access_token|refresh_token|id_token|code|code_verifier|accessToken|refreshToken)"\s*:\s*"[^"]*"/g,
      '"$1":"[redacted]"',
    )
    .replace(/sk-ant-[A-Za-z0-9_-]*/g, "sk-ant-[redacted]")
    .replace(/[A-Za-z0-9_\-+=.~]{32,}/g, "[redacted]");
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "token endpoint";
  }
}
