/**
 * A fake Claude OAuth token endpoint (Deno.serve on 127.0.0.1, port 0) that checks code
 * exchanges the way the real one must: a JSON body with Claude Code's client id and redirect,
 * a known state, and a PKCE verifier matching the challenge of the authorize URL the test
 * registered; refreshes must present a live refresh token, which is then spent (single-use).
 * It answers in the real shape with fresh `sk-ant-oat01-…`/`sk-ant-ort01-…` tokens.
 * @module
 */
import assert from "node:assert/strict";
import { challengeFor, CLAUDE_CLIENT_ID, CLAUDE_REDIRECT_URI } from "../../src/auth/pkce.ts";

/** A running fake. */
export interface FakeOAuth {
  /** The token URL (set CCGATE_OAUTH_TOKEN_URL to it). */
  tokenUrl: string;
  /** E-mail of the account the next exchange returns. */
  email: string;
  /** `subscription_type` of the next answer (omitted when undefined). */
  subscriptionType?: string;
  /** Codes answered with 400 invalid_grant. */
  badCodes: Set<string>;
  /** Every token this fake issued (tests check none leaks). */
  issued: string[];
  /** Exchanges that passed every check. */
  exchanges: number;
  /** Refreshes that passed every check. */
  refreshes: number;
  /** Every refresh request, rejected ones included (to prove there is no retry loop). */
  refreshCalls: number;
  /** Delay before answering a refresh (ms), to widen race windows. */
  delayMs: number;
  /** Refresh tokens that may still be used once (clear it to revoke them all). */
  live: Set<string>;
  /** The access token of the latest answer. */
  lastAccess?: string;
  /** A fresh refresh token the fake will accept once (for accounts seeded directly). */
  mintRefreshToken(): string;
  /** Requests rejected (with the reason). */
  rejected: string[];
  /** Records the state → challenge of an authorize URL the code under test printed. */
  register(authorizeUrl: string): string;
  /** Issues a token pair as if from an earlier login (for imports). */
  mint(): { accessToken: string; refreshToken: string; expiresAt: number };
  /** Stops the server (idempotent: later calls return the first one's promise). */
  close(): Promise<void>;
  /** Stops the server at the end of an `await using` scope. */
  [Symbol.asyncDispose](): Promise<void>;
}

const random = (n: number) =>
  Array.from(
    crypto.getRandomValues(new Uint8Array(n)),
    (b) => "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789-_"[b % 61],
  ).join("");

/** Starts the fake. */
export function startFakeOAuth(): FakeOAuth {
  const challenges = new Map<string, string>();
  let closing: Promise<void> | undefined;
  const close = () => closing ??= server.shutdown();
  const fake: FakeOAuth = {
    tokenUrl: "",
    email: "user@example.com",
    badCodes: new Set(),
    issued: [],
    exchanges: 0,
    refreshes: 0,
    refreshCalls: 0,
    delayMs: 0,
    live: new Set<string>(),
    rejected: [],
    register(url) {
      const params = new URL(url).searchParams;
      const state = params.get("state")!;
      challenges.set(state, params.get("code_challenge")!);
      return state;
    },
    mintRefreshToken() {
      const refresh = `sk-ant-ort01-${random(86)}-${random(8)}AA`;
      fake.issued.push(refresh);
      fake.live.add(refresh);
      return refresh;
    },
    mint() {
      const { access, refresh } = issue();
      return { accessToken: access, refreshToken: refresh, expiresAt: Date.now() + 3600_000 };
    },
    close,
    [Symbol.asyncDispose]: close,
  };
  const issue = () => {
    const access = `sk-ant-oat01-${random(86)}-${random(8)}AA`;
    const refresh = `sk-ant-ort01-${random(86)}-${random(8)}AA`;
    fake.issued.push(access, refresh);
    fake.live.add(refresh);
    fake.lastAccess = access;
    return { access, refresh };
  };
  const reject = (reason: string, status = 400, error = "invalid_request") => {
    fake.rejected.push(reason);
    return Response.json({ error, error_description: reason }, { status });
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    if (req.method !== "POST" || new URL(req.url).pathname !== "/v1/oauth/token") {
      return reject("wrong method or path", 404);
    }
    if (!req.headers.get("content-type")?.startsWith("application/json")) {
      return reject("body must be JSON");
    }
    let body: Record<string, string>;
    try {
      body = await req.json();
    } catch {
      return reject("invalid JSON");
    }
    if (body.client_id !== CLAUDE_CLIENT_ID) return reject("wrong client_id");
    if (body.grant_type === "refresh_token") {
      fake.refreshCalls++;
      if (fake.delayMs) await new Promise((r) => setTimeout(r, fake.delayMs));
      if (!fake.live.delete(body.refresh_token)) {
        return reject("Refresh token not found or invalid", 400, "invalid_grant");
      }
      fake.refreshes++;
      return Response.json(answer(issue()));
    }
    if (body.grant_type !== "authorization_code") return reject("unsupported grant_type");
    if (body.redirect_uri !== CLAUDE_REDIRECT_URI) return reject("wrong redirect_uri");
    const challenge = challenges.get(body.state);
    if (!challenge) return reject("unknown state");
    if (!body.code_verifier || await challengeFor(body.code_verifier) !== challenge) {
      return reject("code_verifier does not match the challenge", 400, "invalid_grant");
    }
    if (!body.code || fake.badCodes.has(body.code)) {
      return reject("Invalid authorization code", 400, "invalid_grant");
    }
    challenges.delete(body.state); // codes are single-use
    fake.exchanges++;
    return Response.json(answer(issue()));
  });
  const answer = ({ access, refresh }: { access: string; refresh: string }) => ({
    token_type: "Bearer",
    access_token: access,
    refresh_token: refresh,
    expires_in: 28800,
    scope: "user:inference user:profile user:sessions:claude_code",
    organization: { uuid: crypto.randomUUID(), name: "Example Org" },
    account: { uuid: crypto.randomUUID(), email_address: fake.email },
    ...(fake.subscriptionType ? { subscription_type: fake.subscriptionType } : {}),
  });
  fake.tokenUrl = `http://127.0.0.1:${server.addr.port}/v1/oauth/token`;
  return fake;
}

/** Asserts no token (issued by `fake`, or listed) appears in any of `texts`. */
export function assertNoTokens(fake: FakeOAuth | string[], ...texts: string[]): void {
  const tokens = Array.isArray(fake) ? fake : fake.issued;
  for (const token of tokens) {
    for (const text of texts) assert.ok(!text.includes(token), "a token leaked into output");
  }
  assert.ok(!texts.some((t) => /sk-ant-o[ar]t01-[A-Za-z0-9_-]{8}/.test(t)), "token-like text");
}
