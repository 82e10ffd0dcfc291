/**
 * The gateway's "add a subscription account" page: the `ccgate login claude` flow in a browser.
 * `GET /accounts/add` serves a self-contained page; `POST /accounts/oauth/start` makes a PKCE
 * login attempt (verifier kept in memory, keyed by state); `POST /accounts/oauth/complete`
 * exchanges the pasted `code#state` and stores the tokens sealed. Admin auth is applied by
 * the caller (app.ts). No response or log line carries a token.
 * @module
 */
import { Hono } from "hono";
import {
  accountNameProblem,
  DEFAULT_OAUTH_PROVIDER,
  exchangeAndSave,
  oauthProviderProblem,
} from "../auth/oauth_login.ts";
import type { OAuthStore } from "../auth/oauth_store.ts";
import { authorizeUrl, base64url, createPkce, parsePastedCode } from "../auth/pkce.ts";
import { OAuthError } from "../auth/token_client.ts";
import { logger } from "../observability/log.ts";
import { ADD_ACCOUNT_PAGE } from "./oauth_page_html.ts";

/** How long a started login waits for its code (Claude's codes expire sooner anyway). */
export const PENDING_TTL_MS = 10 * 60_000;
/** Most login attempts kept at once; the oldest is dropped first (bounds memory). */
export const MAX_PENDING = 100;

/** What {@link oauthRoutes} needs. */
export interface OAuthRoutesDeps {
  /** The gateway's sealed store; undefined when it runs without one (then 503). */
  store: () => OAuthStore | undefined;
  /** Token endpoint override (`CCGATE_OAUTH_TOKEN_URL`). */
  tokenUrl?: string;
  /** Authorize endpoint override (`CCGATE_OAUTH_AUTHORIZE_URL`). */
  authorizeUrl?: string;
  /** Why a provider cannot take subscription accounts (default: only "claude" can). */
  checkProvider?: (provider: string) => string | undefined;
  /** Clock (tests). */
  now?: () => number;
}

interface Pending {
  verifier: string;
  createdAt: number;
  name?: string;
  provider?: string;
}

/** A JSON error `{error:{type,message}}`. */
function jsonError(status: number, type: string, message: string): Response {
  return new Response(JSON.stringify({ error: { type, message } }), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The password of an `Authorization: Basic` header. Browsers cannot attach `x-api-key` to a
 * page visit, so the account pages also take the admin key as the Basic password.
 */
export function basicPassword(headers: Headers): string | undefined {
  const m = headers.get("authorization")?.match(/^Basic\s+([A-Za-z0-9+/=]+)\s*$/i);
  if (!m) return undefined;
  try {
    const bytes = Uint8Array.from(atob(m[1]), (c) => c.charCodeAt(0));
    const text = new TextDecoder().decode(bytes);
    const colon = text.indexOf(":");
    return colon >= 0 ? text.slice(colon + 1) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Rejects a cross-site POST: when the browser names an Origin, it must be this host. (The
 * JSON content type already forces a CORS preflight; this also covers permissive CORS.)
 */
function crossSite(req: Request): boolean {
  const origin = req.headers.get("origin");
  if (!origin || origin === "null") return origin === "null";
  const host = req.headers.get("x-forwarded-host") ?? req.headers.get("host");
  try {
    return new URL(origin).host !== host;
  } catch {
    return true;
  }
}

/** Reads a small JSON object body; undefined when the body is not one. */
async function jsonBody(req: Request): Promise<Record<string, unknown> | undefined> {
  const text = await req.text();
  if (!text.trim()) return {};
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The HTTP status for a failed token exchange. */
function exchangeStatus(error: OAuthError): number {
  if (error.kind === "invalid_grant" || error.kind === "client") return 400;
  if (error.kind === "rate_limited") return 429;
  return 502;
}

/** The routes (mount with `app.route("/", oauthRoutes(...))`). */
export function oauthRoutes(deps: OAuthRoutesDeps): Hono {
  const app = new Hono();
  const now = deps.now ?? Date.now;
  const pending = new Map<string, Pending>();
  const checkProvider = deps.checkProvider ?? ((p: string) => oauthProviderProblem([], p));

  /** Drops expired attempts, then the oldest while over the limit (a Map keeps insert order). */
  const prune = (room = 0) => {
    const t = now();
    for (const [state, p] of pending) if (t - p.createdAt > PENDING_TTL_MS) pending.delete(state);
    while (pending.size > MAX_PENDING - room) pending.delete(pending.keys().next().value!);
  };

  /** Validates the optional name and provider of a request body. */
  const target = (body: Record<string, unknown>) => {
    const str = (v: unknown) => (typeof v === "string" && v.trim() ? v.trim() : undefined);
    const name = str(body.name);
    const provider = str(body.provider);
    const problem = (name && accountNameProblem(name)) || (provider && checkProvider(provider));
    return { name, provider, problem: problem || undefined };
  };

  app.use("/accounts/*", async (c, next) => {
    c.header("cache-control", "no-store");
    c.header("referrer-policy", "no-referrer");
    c.header("x-content-type-options", "nosniff");
    if (c.req.method === "POST") {
      if (crossSite(c.req.raw)) {
        return jsonError(403, "permission_error", "cross-site request refused");
      }
      if (!/^application\/json\b/i.test(c.req.header("content-type") ?? "")) {
        return jsonError(415, "invalid_request_error", "send a JSON body (application/json)");
      }
    }
    await next();
  });

  app.get("/accounts/add", (c) => {
    // A per-response nonce lets the page's inline script and style run under a strict CSP.
    const nonce = base64url(crypto.getRandomValues(new Uint8Array(16)));
    c.header(
      "content-security-policy",
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; ` +
        "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    c.header("x-frame-options", "DENY");
    return c.html(
      ADD_ACCOUNT_PAGE
        .replaceAll("{{nonce}}", escapeHtml(nonce))
        .replaceAll("{{provider}}", escapeHtml(DEFAULT_OAUTH_PROVIDER)),
    );
  });

  app.post("/accounts/oauth/start", async (c) => {
    const body = await jsonBody(c.req.raw);
    if (!body) return jsonError(400, "invalid_request_error", "the body must be a JSON object");
    const { name, provider, problem } = target(body);
    if (problem) return jsonError(400, "invalid_request_error", problem);
    const pkce = await createPkce();
    prune(1);
    pending.set(pkce.state, { verifier: pkce.verifier, createdAt: now(), name, provider });
    const url = authorizeUrl({
      authorizeUrl: deps.authorizeUrl,
      challenge: pkce.challenge,
      state: pkce.state,
    });
    return c.json({
      url,
      state: pkce.state,
      expiresAt: new Date(now() + PENDING_TTL_MS).toISOString(),
    });
  });

  app.post("/accounts/oauth/complete", async (c) => {
    const body = await jsonBody(c.req.raw);
    if (!body) return jsonError(400, "invalid_request_error", "the body must be a JSON object");
    if (typeof body.code !== "string") {
      return jsonError(400, "invalid_request_error", "code: paste the code#state the page shows");
    }
    let pasted;
    try {
      pasted = parsePastedCode(body.code);
    } catch (error) {
      return jsonError(400, "invalid_request_error", (error as Error).message);
    }
    // A bare code is fine when the page tells us which attempt it belongs to.
    const state = pasted.state ?? (typeof body.state === "string" ? body.state : undefined);
    if (!state) {
      return jsonError(400, "invalid_request_error", "paste the whole code#state the page shows");
    }
    prune();
    const attempt = pending.get(state);
    if (!attempt) {
      return jsonError(
        400,
        "invalid_state",
        "unknown or expired login attempt (state mismatch): open a new sign-in link and try again",
      );
    }
    const { name: bodyName, provider: bodyProvider, problem } = target(body);
    if (problem) return jsonError(400, "invalid_request_error", problem);
    const store = deps.store();
    if (!store) {
      return jsonError(503, "api_error", "this gateway has no account store (it runs without KV)");
    }
    const provider = bodyProvider ?? attempt.provider ?? DEFAULT_OAUTH_PROVIDER;
    const name = bodyName ?? attempt.name;

    // One use per attempt: a second submit of the same code must not race the first.
    pending.delete(state);
    try {
      const { record, replaced } = await exchangeAndSave({
        store,
        provider,
        name,
        code: pasted.code,
        verifier: attempt.verifier,
        state,
        tokenUrl: deps.tokenUrl,
        signal: c.req.raw.signal,
      });
      logger.info("subscription account added", {
        account: `${record.provider}/${record.name}`,
        via: "web",
        replaced,
      });
      return c.json({
        ok: true,
        replaced,
        account: {
          provider: record.provider,
          name: record.name,
          email: record.email ?? null,
          subscriptionType: record.subscriptionType ?? null,
          expiresAt: new Date(record.expiresAt).toISOString(),
        },
      });
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      // The code is still good after a network or server failure: let the user submit again.
      if (error.retryable) pending.set(state, attempt);
      logger.warn("subscription login failed", { via: "web", error: error.message });
      return jsonError(exchangeStatus(error), "oauth_error", error.message);
    }
  });

  return app;
}
