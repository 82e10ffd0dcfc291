import assert from "node:assert/strict";
import {
  authorizeUrl,
  base64url,
  challengeFor,
  CLAUDE_AUTHORIZE_URL,
  CLAUDE_CLIENT_ID,
  CLAUDE_REDIRECT_URI,
  CLAUDE_SCOPES,
  CLAUDE_TOKEN_URL,
  createPkce,
  fromBase64url,
  parsePastedCode,
} from "../../src/auth/pkce.ts";
import {
  CLAUDE_CLI_USER_AGENT,
  exchangeCode,
  OAuthError,
  refreshTokens,
  scrubSecrets,
} from "../../src/auth/token_client.ts";
import {
  defaultClaudeCredentialsPath,
  ImportError,
  normaliseExpiresAt,
  parseCredentialsFile,
  readCredentialsFile,
} from "../../src/auth/credentials_import.ts";
import { isSealed, SecretBox, SecretBoxError } from "../../src/auth/secret_box.ts";
import {
  parseUnifiedQuota,
  quotaPressure,
  rejectedUntil,
  windowForClaim,
} from "../../src/auth/unified_quota.ts";

// Realistic-looking (fake) credentials: the tests check none of them ever reaches a message.
const tail = (seed: string) => `${seed}${"Ab3_x-Yz9Q".repeat(9)}${seed}`.slice(0, 95);
const ACCESS = `sk-ant-oat01-${tail("acc1")}`;
const ACCESS_2 = `sk-ant-oat01-${tail("acc2")}`;
const REFRESH = `sk-ant-ort01-${tail("ref1")}`;
const REFRESH_2 = `sk-ant-ort01-${tail("ref2")}`;
const SECRETS = [ACCESS, ACCESS_2, REFRESH, REFRESH_2];

function assertNoSecrets(text: string) {
  for (const s of SECRETS) assert.ok(!text.includes(s), `leaked a token: ${text}`);
  assert.ok(!/sk-ant-o[ar]t01-[A-Za-z0-9]/.test(text), `leaked a token prefix+body: ${text}`);
}

// ---------------------------------------------------------------- PKCE and authorize URL

// The RFC's value (…WbuGJSstw-cM); also what `openssl dgst -sha256 -binary | base64url` gives.
Deno.test("pkce: challengeFor matches RFC 7636 appendix B", async () => {
  assert.equal(
    await challengeFor("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
  );
});

Deno.test("pkce: base64url is unpadded and URL-safe, and round-trips", () => {
  assert.equal(base64url(new Uint8Array([0xfb, 0xff])), "-_8");
  assert.equal(base64url(new Uint8Array([])), "");
  const bytes = crypto.getRandomValues(new Uint8Array(33));
  assert.deepEqual(fromBase64url(base64url(bytes)), bytes);
  assert.throws(() => fromBase64url("not base64!"));
});

Deno.test("pkce: createPkce gives a 43-char verifier, its S256 challenge and a random state", async () => {
  const a = await createPkce();
  const b = await createPkce();
  for (const value of [a.verifier, a.challenge, a.state]) {
    assert.match(value, /^[A-Za-z0-9_-]{43}$/);
  }
  assert.equal(a.challenge, await challengeFor(a.verifier));
  assert.notEqual(a.verifier, b.verifier);
  assert.notEqual(a.state, b.state);
  assert.notEqual(a.verifier, a.state);
});

Deno.test("pkce: the constants are Claude Code's", () => {
  assert.equal(CLAUDE_AUTHORIZE_URL, "https://claude.ai/oauth/authorize");
  assert.equal(CLAUDE_TOKEN_URL, "https://platform.claude.com/v1/oauth/token");
  assert.equal(CLAUDE_CLIENT_ID, "9d1c250a-e61b-44d9-88ed-5944d1962f5e");
  assert.equal(CLAUDE_REDIRECT_URI, "https://platform.claude.com/oauth/code/callback");
  assert.ok(CLAUDE_SCOPES.includes("user:inference"));
  assert.ok(CLAUDE_SCOPES.includes("user:profile"));
  assert.match(CLAUDE_CLI_USER_AGENT, /^claude-cli\/\d+\.\d+\.\d+ \(external, cli\)$/);
});

Deno.test("authorizeUrl: default parameters", () => {
  const url = new URL(authorizeUrl({ challenge: "CH", state: "ST" }));
  assert.equal(`${url.origin}${url.pathname}`, CLAUDE_AUTHORIZE_URL);
  assert.deepEqual([...url.searchParams.keys()], [
    "code",
    "client_id",
    "response_type",
    "redirect_uri",
    "scope",
    "code_challenge",
    "code_challenge_method",
    "state",
  ]);
  const p = url.searchParams;
  assert.equal(p.get("code"), "true");
  assert.equal(p.get("client_id"), CLAUDE_CLIENT_ID);
  assert.equal(p.get("response_type"), "code");
  assert.equal(p.get("redirect_uri"), CLAUDE_REDIRECT_URI);
  assert.equal(p.get("scope"), CLAUDE_SCOPES.join(" "));
  assert.equal(p.get("code_challenge"), "CH");
  assert.equal(p.get("code_challenge_method"), "S256");
  assert.equal(p.get("state"), "ST");
});

Deno.test("authorizeUrl: overrides", () => {
  const url = new URL(authorizeUrl({
    authorizeUrl: "http://127.0.0.1:9/auth",
    clientId: "cid",
    redirectUri: "http://localhost:54545/callback",
    scopes: ["user:inference"],
    challenge: "c",
    state: "s",
  }));
  assert.equal(url.host, "127.0.0.1:9");
  assert.equal(url.searchParams.get("client_id"), "cid");
  assert.equal(url.searchParams.get("redirect_uri"), "http://localhost:54545/callback");
  assert.equal(url.searchParams.get("scope"), "user:inference");
});

Deno.test("parsePastedCode: code#state and its messy variants", () => {
  const want = { code: "AbC-123_x", state: "St4te_-x" };
  assert.deepEqual(parsePastedCode("AbC-123_x#St4te_-x"), want);
  assert.deepEqual(parsePastedCode("  AbC-123_x#St4te_-x \n"), want);
  assert.deepEqual(parsePastedCode('"AbC-123_x#St4te_-x"'), want);
  assert.deepEqual(parsePastedCode("AbC-123_x#St4te_-x&foo=bar"), want);
  assert.deepEqual(parsePastedCode("AbC-12\n3_x#St4te\n_-x"), want); // wrapped by the terminal
  assert.deepEqual(parsePastedCode("AbC-123_x"), { code: "AbC-123_x" });
  assert.deepEqual(parsePastedCode("AbC-123_x&x=1"), { code: "AbC-123_x" });
  assert.deepEqual(parsePastedCode("AbC-123_x#"), { code: "AbC-123_x" });
});

Deno.test("parsePastedCode: a callback URL or query string", () => {
  const want = { code: "AbC-123_x", state: "St4te_-x" };
  assert.deepEqual(
    parsePastedCode(`${CLAUDE_REDIRECT_URI}?code=AbC-123_x&state=St4te_-x`),
    want,
  );
  assert.deepEqual(
    parsePastedCode("http://localhost:54545/callback?state=St4te_-x&code=AbC-123_x&x=y"),
    want,
  );
  assert.deepEqual(parsePastedCode(`${CLAUDE_REDIRECT_URI}?code=AbC-123_x#St4te_-x`), want);
  assert.deepEqual(parsePastedCode("code=AbC-123_x&state=St4te_-x"), want);
  assert.deepEqual(parsePastedCode(`${CLAUDE_REDIRECT_URI}?code=AbC-123_x`), { code: "AbC-123_x" });
});

Deno.test("parsePastedCode: nothing usable is an error that does not echo the input", () => {
  assert.throws(() => parsePastedCode("   "), /no authorization code/);
  assert.throws(() => parsePastedCode("#onlystate"), /no authorization code/);
  assert.throws(() => parsePastedCode(`${CLAUDE_REDIRECT_URI}?state=xyz`), /no code parameter/);
  const login = authorizeUrl({ challenge: "c", state: "SECRETSTATE" });
  assert.throws(() => parsePastedCode(login), (e: Error) => {
    assert.match(e.message, /login URL/);
    assert.ok(!e.message.includes("SECRETSTATE"));
    return true;
  });
});

// ---------------------------------------------------------------- token client

type Handler = (body: Record<string, unknown>, req: Request) => Response | Promise<Response>;

/** A fake token endpoint on 127.0.0.1:0 that records what it received. */
async function withTokenServer(
  handler: Handler,
  fn: (url: string, seen: { body: Record<string, unknown>; headers: Headers }[]) => Promise<void>,
) {
  const seen: { body: Record<string, unknown>; headers: Headers }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const body = await req.json().catch(() => ({}));
    seen.push({ body, headers: req.headers });
    return await handler(body, req);
  });
  try {
    await fn(`http://127.0.0.1:${server.addr.port}/v1/oauth/token`, seen);
  } finally {
    await server.shutdown();
  }
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });

/** Answers like the real endpoint: a full token set. */
const realAnswer = (access: string, refresh?: string) =>
  json(200, {
    token_type: "Bearer",
    access_token: access,
    ...(refresh ? { refresh_token: refresh } : {}),
    expires_in: 28800,
    scope: "user:inference user:profile user:sessions:claude_code",
    organization: { uuid: "0b3d6f4e-1111-4222-8333-944455556666", name: "Jane's Organization" },
    account: { uuid: "7c9e6679-7425-40de-944b-e07fc1f90ae7", email_address: "jane@example.com" },
  });

async function rejectsOAuth(promise: Promise<unknown>): Promise<OAuthError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof OAuthError, `expected OAuthError, got ${error}`);
    assertNoSecrets(error.message);
    assertNoSecrets(String(error.stack));
    return error;
  }
  throw new Error("expected a rejection");
}

Deno.test("exchangeCode: sends Claude's JSON body and reads the token set", async () => {
  await withTokenServer(() => realAnswer(ACCESS, REFRESH), async (tokenUrl, seen) => {
    const before = Date.now();
    const set = await exchangeCode({
      tokenUrl,
      code: "the-code",
      verifier: "the-verifier",
      state: "the-state",
    });
    assert.deepEqual(seen[0].body, {
      grant_type: "authorization_code",
      code: "the-code",
      redirect_uri: CLAUDE_REDIRECT_URI,
      client_id: CLAUDE_CLIENT_ID,
      code_verifier: "the-verifier",
      state: "the-state",
    });
    const headers = seen[0].headers;
    assert.equal(headers.get("content-type"), "application/json");
    assert.equal(headers.get("accept"), "application/json, text/plain, */*");
    assert.equal(headers.get("user-agent"), CLAUDE_CLI_USER_AGENT);

    assert.equal(set.accessToken, ACCESS);
    assert.equal(set.refreshToken, REFRESH);
    assert.ok(set.expiresAt >= before + 28800_000 && set.expiresAt <= Date.now() + 28800_000);
    assert.deepEqual(set.scopes, ["user:inference", "user:profile", "user:sessions:claude_code"]);
    assert.equal(set.email, "jane@example.com");
    assert.equal(set.accountUuid, "7c9e6679-7425-40de-944b-e07fc1f90ae7");
    assert.equal(set.organizationUuid, "0b3d6f4e-1111-4222-8333-944455556666");
    assert.equal(set.organizationName, "Jane's Organization");
    assert.equal(set.subscriptionType, undefined);
  });
});

Deno.test("exchangeCode: client id and redirect overrides, subscription_type read", async () => {
  await withTokenServer(
    () => json(200, { access_token: ACCESS, expires_in: 60, subscription_type: "max" }),
    async (tokenUrl, seen) => {
      const set = await exchangeCode({
        tokenUrl,
        clientId: "cid",
        redirectUri: "http://localhost:54545/callback",
        code: "c",
        verifier: "v",
        state: "s",
      });
      assert.equal(seen[0].body.client_id, "cid");
      assert.equal(seen[0].body.redirect_uri, "http://localhost:54545/callback");
      assert.equal(set.subscriptionType, "max");
      assert.equal(set.refreshToken, undefined);
    },
  );
});

Deno.test("refreshTokens: body shape, rotation, optional scope", async () => {
  await withTokenServer(() => realAnswer(ACCESS_2, REFRESH_2), async (tokenUrl, seen) => {
    const set = await refreshTokens({ tokenUrl, refreshToken: REFRESH });
    assert.deepEqual(seen[0].body, {
      grant_type: "refresh_token",
      refresh_token: REFRESH,
      client_id: CLAUDE_CLIENT_ID,
    });
    assert.equal(seen[0].headers.get("content-type"), "application/json");
    assert.equal(seen[0].headers.get("user-agent"), CLAUDE_CLI_USER_AGENT);
    assert.equal(set.accessToken, ACCESS_2);
    assert.equal(set.refreshToken, REFRESH_2);

    await refreshTokens({ tokenUrl, refreshToken: REFRESH_2, scopes: ["user:inference", "x"] });
    assert.equal(seen[1].body.scope, "user:inference x");
  });
});

Deno.test("refreshTokens: keeps the old refresh token when the answer has none", async () => {
  await withTokenServer(() => realAnswer(ACCESS_2), async (tokenUrl) => {
    const set = await refreshTokens({ tokenUrl, refreshToken: REFRESH });
    assert.equal(set.accessToken, ACCESS_2);
    assert.equal(set.refreshToken, REFRESH);
  });
});

Deno.test("refreshTokens: invalid_grant (400 or 401, by code or description)", async () => {
  const answers = [
    json(400, { error: "invalid_grant", error_description: "Refresh token not found or invalid" }),
    json(401, {
      error: "invalid_request",
      error_description: "The refresh token has been revoked",
    }),
    json(400, { error: "invalid_grant", error_description: `bad token ${REFRESH}` }),
  ];
  let i = 0;
  await withTokenServer(() => answers[i++], async (tokenUrl) => {
    for (const status of [400, 401, 400]) {
      const error = await rejectsOAuth(refreshTokens({ tokenUrl, refreshToken: REFRESH }));
      assert.equal(error.kind, "invalid_grant");
      assert.equal(error.status, status);
      assert.equal(error.retryable, false);
      assert.match(error.message, /log in again/);
    }
  });
});

Deno.test("exchangeCode: an invalid code is invalid_grant without echoing code or verifier", async () => {
  await withTokenServer(
    (body) =>
      json(400, {
        error: "invalid_grant",
        error_description: `Invalid code ${body.code} for verifier ${body.code_verifier}`,
      }),
    async (tokenUrl) => {
      const error = await rejectsOAuth(
        exchangeCode({ tokenUrl, code: "CODE-abc-123", verifier: "VERIFIER-xyz", state: "s" }),
      );
      assert.equal(error.kind, "invalid_grant");
      assert.equal(error.code, "invalid_grant");
      assert.ok(!error.message.includes("CODE-abc-123"));
      assert.ok(!error.message.includes("VERIFIER-xyz"));
    },
  );
});

Deno.test("refreshTokens: 429 is rate_limited with Retry-After clamped to 5 s–5 min", async () => {
  const cases: [Record<string, string>, number][] = [
    [{ "retry-after": "1" }, 5_000],
    [{ "retry-after": "42" }, 42_000],
    [{ "retry-after": "3600" }, 300_000],
    [{ "retry-after-ms": "12500" }, 12_500],
    [{ "retry-after-ms": "10", "retry-after": "100" }, 5_000],
    [{}, 60_000],
  ];
  let i = 0;
  await withTokenServer(
    () =>
      json(429, { error: { type: "rate_limit_error", message: "Rate limited" } }, cases[i++][0]),
    async (tokenUrl) => {
      for (const [, want] of cases) {
        const error = await rejectsOAuth(refreshTokens({ tokenUrl, refreshToken: REFRESH }));
        assert.equal(error.kind, "rate_limited");
        assert.equal(error.status, 429);
        assert.equal(error.retryAfterMs, want);
        assert.equal(error.retryable, true);
      }
    },
  );
});

Deno.test("refreshTokens: 5xx is server, other 4xx client, HTML pages summarised", async () => {
  const answers = [
    () => json(500, { error: "server_error", error_description: `oops ${REFRESH} ${ACCESS_2}` }),
    () =>
      new Response(`upstream said ${REFRESH_2} and {"access_token":"${ACCESS}"}`, { status: 502 }),
    () => json(400, { error: "invalid_request", error_description: "client_id is wrong" }),
    () =>
      new Response("<!DOCTYPE html><html>Attention Required! | Cloudflare</html>", { status: 403 }),
    () => json(503, { error: "unavailable" }, { "retry-after": "20" }),
  ];
  let i = 0;
  await withTokenServer(() => answers[i++](), async (tokenUrl) => {
    const e1 = await rejectsOAuth(refreshTokens({ tokenUrl, refreshToken: REFRESH }));
    assert.equal(e1.kind, "server");
    assert.equal(e1.status, 500);
    assert.equal(e1.retryAfterMs, undefined);
    assert.match(e1.message, /HTTP 500 server_error: oops/);
    const e2 = await rejectsOAuth(refreshTokens({ tokenUrl, refreshToken: REFRESH }));
    assert.equal(e2.kind, "server");
    assert.match(e2.message, /upstream said/);
    const e3 = await rejectsOAuth(refreshTokens({ tokenUrl, refreshToken: REFRESH }));
    assert.equal(e3.kind, "client");
    assert.equal(e3.code, "invalid_request");
    assert.match(e3.message, /client_id is wrong/);
    const e4 = await rejectsOAuth(refreshTokens({ tokenUrl, refreshToken: REFRESH }));
    assert.equal(e4.kind, "client");
    assert.match(e4.message, /HTTP 403.*Cloudflare/);
    const e5 = await rejectsOAuth(refreshTokens({ tokenUrl, refreshToken: REFRESH }));
    assert.equal(e5.kind, "server");
    assert.equal(e5.retryAfterMs, 20_000);
  });
});

Deno.test("refreshTokens: a 200 that is not a token set is bad_response", async () => {
  const answers = [
    () => new Response("<html>maintenance</html>", { status: 200 }),
    () => json(200, { refresh_token: REFRESH_2, expires_in: 28800 }),
  ];
  let i = 0;
  await withTokenServer(() => answers[i++](), async (tokenUrl) => {
    const e1 = await rejectsOAuth(refreshTokens({ tokenUrl, refreshToken: REFRESH }));
    assert.equal(e1.kind, "bad_response");
    const e2 = await rejectsOAuth(refreshTokens({ tokenUrl, refreshToken: REFRESH }));
    assert.equal(e2.kind, "bad_response");
    assert.match(e2.message, /no access_token \(fields: refresh_token, expires_in\)/);
  });
});

Deno.test("refreshTokens: a missing expires_in still yields the tokens (1 h assumed)", async () => {
  await withTokenServer(
    () => json(200, { access_token: ACCESS_2, refresh_token: REFRESH_2 }),
    async (tokenUrl) => {
      const before = Date.now();
      const set = await refreshTokens({ tokenUrl, refreshToken: REFRESH });
      assert.equal(set.refreshToken, REFRESH_2);
      assert.ok(set.expiresAt >= before + 3600_000 && set.expiresAt <= Date.now() + 3600_000);
    },
  );
});

Deno.test("token client: unreachable endpoint and timeout are network errors", async () => {
  // A port that was just free: nothing listens there.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const e1 = await rejectsOAuth(
    refreshTokens({ tokenUrl: `http://127.0.0.1:${port}/t`, refreshToken: REFRESH }),
  );
  assert.equal(e1.kind, "network");
  assert.equal(e1.status, undefined);
  assert.equal(e1.retryable, true);

  const hanging: typeof fetch = (_input, init) =>
    new Promise((_resolve, reject) => {
      init?.signal?.addEventListener("abort", () => reject(new DOMException("x", "AbortError")));
    });
  const e2 = await rejectsOAuth(
    refreshTokens({ fetch: hanging, timeoutMs: 30, refreshToken: REFRESH }),
  );
  assert.equal(e2.kind, "network");
  assert.match(e2.message, /timed out/);
});

Deno.test("token client: a caller abort rethrows the caller's reason", async () => {
  const hanging: typeof fetch = (_input, init) =>
    new Promise((_resolve, reject) => {
      init?.signal?.addEventListener("abort", () => reject(init.signal!.reason));
    });
  const controller = new AbortController();
  const reason = new Error("shutting down");
  const pending = refreshTokens({
    fetch: hanging,
    signal: controller.signal,
    refreshToken: REFRESH,
  });
  controller.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
});

Deno.test("scrubSecrets: removes given secrets, sk-ant tokens, token fields and opaque runs", () => {
  const text = `a ${ACCESS} b ${REFRESH} {"refresh_token": "zz"} code=${
    "q".repeat(40)
  } hunter2-secret`;
  const out = scrubSecrets(text, ["hunter2-secret"]);
  assertNoSecrets(out);
  assert.ok(!out.includes("hunter2-secret"));
  assert.ok(!out.includes("q".repeat(40)));
  assert.match(out, /"refresh_token":"\[redacted\]"/);
  assert.equal(
    scrubSecrets("Refresh token not found or invalid"),
    "Refresh token not found or invalid",
  );
});

// ---------------------------------------------------------------- credentials import

const CLAUDE_CREDENTIALS = JSON.stringify(
  {
    claudeAiOauth: {
      accessToken: ACCESS,
      refreshToken: REFRESH,
      expiresAt: 1767225600000,
      scopes: ["user:inference", "user:profile", "user:sessions:claude_code"],
      subscriptionType: "max",
      rateLimitTier: "default_claude_max_20x",
    },
    mcpOAuth: {},
  },
  null,
  2,
);

Deno.test("import: Claude Code .credentials.json", () => {
  const [account, ...rest] = parseCredentialsFile(CLAUDE_CREDENTIALS, ".credentials.json");
  assert.equal(rest.length, 0);
  assert.deepEqual(account, {
    name: "claude",
    accessToken: ACCESS,
    refreshToken: REFRESH,
    expiresAt: 1767225600000,
    scopes: ["user:inference", "user:profile", "user:sessions:claude_code"],
    subscriptionType: "max",
  });
  const named = parseCredentialsFile(CLAUDE_CREDENTIALS, ".credentials.json", { name: "work" });
  assert.equal(named[0].name, "work");
});

Deno.test("import: accounts.json with ms, seconds and ISO expiries", () => {
  const text = JSON.stringify({
    version: 1,
    accounts: {
      work: { accessToken: ACCESS, refreshToken: REFRESH, expiresAt: 1767225600000 },
      "me@example.com": { accessToken: ACCESS_2, refreshToken: REFRESH_2, expiresAt: 1767225600 },
      home: { accessToken: ACCESS, refreshToken: REFRESH_2, expiresAt: "2026-01-01T00:00:00Z" },
      legacy: { accessToken: ACCESS_2, expiresAt: "1767225600" },
    },
  });
  const accounts = parseCredentialsFile(text, "accounts.json");
  assert.deepEqual(accounts.map((a) => a.name), ["work", "me@example.com", "home", "legacy"]);
  for (const a of accounts) assert.equal(a.expiresAt, 1767225600000);
  assert.equal(accounts[0].refreshToken, REFRESH);
  assert.equal(accounts[1].accessToken, ACCESS_2);
  assert.equal(accounts[3].refreshToken, undefined);
});

Deno.test("import: accounts.json as an array of named entries", () => {
  const text = JSON.stringify({
    version: 2,
    accounts: [{ name: "a", accessToken: ACCESS, refreshToken: REFRESH, expiresAt: 1767225600 }],
  });
  assert.deepEqual(parseCredentialsFile(text, "accounts.json"), [
    { name: "a", accessToken: ACCESS, refreshToken: REFRESH, expiresAt: 1767225600000 },
  ]);
});

function assertImportError(text: string, file: string, pattern: RegExp) {
  assert.throws(() => parseCredentialsFile(text, file), (e: unknown) => {
    assert.ok(e instanceof ImportError, `expected ImportError, got ${e}`);
    assert.equal(e.fileName, file);
    assert.ok(e.message.startsWith(`${file}: `), e.message);
    assert.match(e.message, pattern);
    assertNoSecrets(e.message);
    return true;
  });
}

Deno.test("import: bad JSON names the file and never quotes the text", () => {
  // A missing comma right after a token: the engine's own message would quote it.
  const broken = `{"claudeAiOauth": {"accessToken": "${ACCESS}" "refreshToken": "${REFRESH}"}}`;
  assertImportError(broken, "/home/jane/.claude/.credentials.json", /not valid JSON/);
  assertImportError(`${ACCESS}`, "accounts.json", /not valid JSON/);
  assertImportError("[]", "accounts.json", /JSON object/);
});

Deno.test("import: missing or wrong fields name the field", () => {
  const cc = (o: Record<string, unknown>) => JSON.stringify({ claudeAiOauth: o });
  assertImportError(
    cc({ refreshToken: REFRESH, expiresAt: 1 }),
    "c.json",
    /claudeAiOauth\.accessToken: missing/,
  );
  assertImportError(cc({ accessToken: ACCESS }), "c.json", /claudeAiOauth\.expiresAt: missing/);
  assertImportError(
    cc({ accessToken: ACCESS, expiresAt: "soon" }),
    "c.json",
    /expiresAt: expected/,
  );
  assertImportError(
    cc({ accessToken: ACCESS, expiresAt: 1, refreshToken: 5 }),
    "c.json",
    /refreshToken/,
  );
  assertImportError(JSON.stringify({ claudeAiOauth: "x" }), "c.json", /expected an object/);
  assertImportError(JSON.stringify({ mcpOAuth: {} }), "c.json", /only MCP credentials/);
  assertImportError(JSON.stringify({ hello: 1 }), "c.json", /unrecognised format/);

  const acc = (accounts: unknown) => JSON.stringify({ version: 1, accounts });
  assertImportError(acc({}), "a.json", /empty/);
  assertImportError(acc(5), "a.json", /must be an object/);
  assertImportError(
    acc({ w: { refreshToken: REFRESH, expiresAt: 1 } }),
    "a.json",
    /accounts\.w\.accessToken/,
  );
  assertImportError(
    acc({ "bad name": { accessToken: ACCESS, expiresAt: 1 } }),
    "a.json",
    /may use letters/,
  );
  assertImportError(
    acc({ [ACCESS]: { accessToken: ACCESS, expiresAt: 1 } }),
    "a.json",
    /looks like a token/,
  );
  assertImportError(acc([{ accessToken: ACCESS, expiresAt: 1 }]), "a.json", /accounts\[0\]\.name/);
  assertImportError(
    acc([{ name: "x", accessToken: ACCESS, expiresAt: 1 }, {
      name: "x",
      accessToken: ACCESS,
      expiresAt: 1,
    }]),
    "a.json",
    /duplicate/,
  );
});

Deno.test("import: normaliseExpiresAt", () => {
  assert.equal(normaliseExpiresAt(1767225600000), 1767225600000);
  assert.equal(normaliseExpiresAt(1767225600), 1767225600000);
  assert.equal(normaliseExpiresAt("1767225600000"), 1767225600000);
  assert.equal(normaliseExpiresAt("2026-01-01T01:00:00+01:00"), 1767225600000);
  assert.equal(normaliseExpiresAt("soon"), undefined);
  assert.equal(normaliseExpiresAt(0), undefined);
  assert.equal(normaliseExpiresAt(null), undefined);
});

Deno.test("import: defaultClaudeCredentialsPath honours CLAUDE_CONFIG_DIR, HOME, USERPROFILE", () => {
  const env = (vars: Record<string, string>) => ({ get: (k: string) => vars[k] });
  assert.equal(
    defaultClaudeCredentialsPath(env({ CLAUDE_CONFIG_DIR: "/cfg/", HOME: "/home/j" })),
    "/cfg/.credentials.json",
  );
  assert.equal(
    defaultClaudeCredentialsPath(env({ HOME: "/home/j" })),
    "/home/j/.claude/.credentials.json",
  );
  assert.equal(
    defaultClaudeCredentialsPath(env({ USERPROFILE: "C:\\Users\\j" })),
    "C:\\Users\\j/.claude/.credentials.json",
  );
  assert.equal(defaultClaudeCredentialsPath(env({})), undefined);
});

Deno.test("import: readCredentialsFile reads a file and reports a missing one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/.credentials.json`;
    await Deno.writeTextFile(path, CLAUDE_CREDENTIALS);
    const [account] = await readCredentialsFile(path, { name: "laptop" });
    assert.equal(account.name, "laptop");
    assert.equal(account.refreshToken, REFRESH);
    await assert.rejects(readCredentialsFile(`${dir}/nope.json`), (e: unknown) => {
      assert.ok(e instanceof ImportError);
      assert.match(e.message, /nope\.json: file not found/);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------- SecretBox

Deno.test("SecretBox: round trip, fresh IV per seal, format", async () => {
  const box = await SecretBox.fromKey(crypto.getRandomValues(new Uint8Array(32)));
  const a = await box.seal(REFRESH);
  const b = await box.seal(REFRESH);
  assert.notEqual(a, b);
  assert.match(a, /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
  assert.ok(isSealed(a) && SecretBox.isSealed(b));
  assert.ok(!a.includes(REFRESH));
  assert.equal(await box.open(a), REFRESH);
  assert.equal(await box.open(b), REFRESH);
  assert.equal(await box.open(await box.seal("")), "");
  assert.equal(await box.open(await box.seal("ünïcødé ✓")), "ünïcødé ✓");
  assert.ok(!isSealed(REFRESH) && !isSealed(undefined) && !isSealed("v1.abc.def"));
});

async function assertBoxError(promise: Promise<unknown>, pattern: RegExp, sealed?: string) {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof SecretBoxError, `expected SecretBoxError, got ${e}`);
    assert.match(e.message, pattern);
    if (sealed) assert.ok(!e.message.includes(sealed.split(".")[2]));
    return true;
  });
}

Deno.test("SecretBox: wrong key and tampering are SecretBoxErrors", async () => {
  const box = await SecretBox.fromKey(crypto.getRandomValues(new Uint8Array(32)));
  const other = await SecretBox.fromKey(crypto.getRandomValues(new Uint8Array(32)));
  const sealed = await box.seal(ACCESS);
  await assertBoxError(other.open(sealed), /wrong key .* or the data was modified/, sealed);

  const [v, iv, ct] = sealed.split(".");
  const flip = (s: string, i: number) =>
    s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);
  await assertBoxError(box.open(`${v}.${iv}.${flip(ct, 5)}`), /data was modified/);
  await assertBoxError(box.open(`${v}.${flip(iv, 0)}.${ct}`), /data was modified/);
  await assertBoxError(box.open(`${v}.${iv}.${ct.slice(0, -4)}`), /data was modified/);
  await assertBoxError(box.open(`v2.${iv}.${ct}`), /not a sealed value/);
  await assertBoxError(box.open(ACCESS), /not a sealed value/);
  await assertBoxError(SecretBox.fromKey(new Uint8Array(16)), /32 bytes/);
});

Deno.test("SecretBox: key file created 0600 in a 0700 dir, then reused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const keyFile = `${dir}/data/ccgate/secret.key`;
    const first = await SecretBox.fromEnvOrFile({ keyFile });
    assert.equal(first.source, "new-key-file");
    assert.equal(first.warning, undefined);
    const info = await Deno.stat(keyFile);
    assert.equal(info.size, 32);
    if (Deno.build.os !== "windows") {
      assert.equal(info.mode! & 0o777, 0o600);
      assert.equal((await Deno.stat(`${dir}/data/ccgate`)).mode! & 0o777, 0o700);
    }
    const leftovers = [...Deno.readDirSync(`${dir}/data/ccgate`)].map((e) => e.name);
    assert.deepEqual(leftovers, ["secret.key"]);

    const sealed = await first.seal(REFRESH);
    const second = await SecretBox.fromEnvOrFile({ keyFile, secret: "" });
    assert.equal(second.source, "key-file");
    assert.equal(await second.open(sealed), REFRESH);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SecretBox: concurrent first use agrees on one key", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const keyFile = `${dir}/secret.key`;
    const boxes = await Promise.all(
      Array.from({ length: 4 }, () => SecretBox.fromEnvOrFile({ keyFile })),
    );
    const sealed = await boxes[0].seal("x");
    for (const box of boxes) assert.equal(await box.open(sealed), "x");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "SecretBox: a loose key file is chmod-ed to 0600 with a warning",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const keyFile = `${dir}/secret.key`;
      await Deno.writeFile(keyFile, crypto.getRandomValues(new Uint8Array(32)));
      await Deno.chmod(keyFile, 0o644);
      const box = await SecretBox.fromEnvOrFile({ keyFile });
      assert.equal(box.source, "key-file");
      assert.match(box.warning ?? "", /mode 0644.*changed to 0600/);
      assert.equal((await Deno.stat(keyFile)).mode! & 0o777, 0o600);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("SecretBox: a base64 text key file works; a wrong-size one is rejected", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const raw = crypto.getRandomValues(new Uint8Array(32));
    await Deno.writeTextFile(`${dir}/text.key`, `${btoa(String.fromCharCode(...raw))}\n`, {
      mode: 0o600,
    });
    const fromText = await SecretBox.fromEnvOrFile({ keyFile: `${dir}/text.key` });
    const fromRaw = await SecretBox.fromKey(raw);
    assert.equal(await fromText.open(await fromRaw.seal("same key")), "same key");

    await Deno.writeFile(`${dir}/short.key`, new Uint8Array(10), { mode: 0o600 });
    await assertBoxError(
      SecretBox.fromEnvOrFile({ keyFile: `${dir}/short.key` }),
      /short\.key is not a key .*10 bytes/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SecretBox: an uncreatable key file is a SecretBoxError", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/plain`, "not a directory");
    await assertBoxError(
      SecretBox.fromEnvOrFile({ keyFile: `${dir}/plain/sub/secret.key` }),
      /cannot (read|create) key file .*secret\.key/,
    );
    await Deno.mkdir(`${dir}/adir`);
    await assertBoxError(SecretBox.fromEnvOrFile({ keyFile: `${dir}/adir` }), /not a regular file/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SecretBox: CCGATE_SECRET derives the same key in every instance", async () => {
  const keyFile = "/nonexistent/never/created.key"; // the secret wins; the file is not touched
  const secret = "correct horse battery staple 42";
  const a = await SecretBox.fromEnvOrFile({ secret, keyFile });
  const b = await SecretBox.fromEnvOrFile({ secret, keyFile });
  assert.equal(a.source, "secret");
  assert.equal(a.warning, undefined);
  assert.equal(await b.open(await a.seal(ACCESS)), ACCESS);
  const c = await SecretBox.fromSecret("correct horse battery staple 43");
  await assertBoxError(c.open(await a.seal(ACCESS)), /wrong key/);
  assert.match((await SecretBox.fromSecret("short")).warning ?? "", /shorter than 16/);
  await assert.rejects(Deno.stat(keyFile));
});

// ---------------------------------------------------------------- unified quota

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const sec = (ms: number) => String(Math.floor(ms / 1000));
const RESET_5H = NOW + 2 * 3600_000;
const RESET_7D = NOW + 3 * 86400_000;

/** Headers as a subscription /v1/messages answer carries them. */
function unifiedHeaders(extra: Record<string, string>): Headers {
  return new Headers({
    "content-type": "application/json",
    "request-id": "req_011CUZ",
    "anthropic-organization-id": "0b3d6f4e-1111-4222-8333-944455556666",
    "anthropic-ratelimit-unified-status": "allowed",
    "anthropic-ratelimit-unified-reset": sec(RESET_5H),
    "anthropic-ratelimit-unified-representative-claim": "five_hour",
    "anthropic-ratelimit-unified-fallback-percentage": "0.5",
    "anthropic-ratelimit-unified-5h-status": "allowed",
    "anthropic-ratelimit-unified-5h-reset": sec(RESET_5H),
    "anthropic-ratelimit-unified-5h-utilization": "0.1",
    "anthropic-ratelimit-unified-7d-status": "allowed",
    "anthropic-ratelimit-unified-7d-reset": sec(RESET_7D),
    "anthropic-ratelimit-unified-7d-utilization": "0.04",
    "anthropic-ratelimit-unified-overage-status": "rejected",
    "anthropic-ratelimit-unified-overage-disabled-reason": "org_level_disabled",
    ...extra,
  });
}

Deno.test("unified quota: allowed at 10 %", () => {
  const q = parseUnifiedQuota(unifiedHeaders({}), NOW);
  assert.deepEqual(q, {
    status: "allowed",
    reset: RESET_5H,
    representativeClaim: "five_hour",
    fallbackPercentage: 0.5,
    windows: {
      "5h": { status: "allowed", reset: RESET_5H, utilization: 0.1 },
      "7d": { status: "allowed", reset: RESET_7D, utilization: 0.04 },
    },
    overage: { status: "rejected", disabledReason: "org_level_disabled" },
    updatedAt: NOW,
  });
  assert.deepEqual(quotaPressure(q, NOW), {
    maxUtilization: 0.1,
    binding: "5h",
    resetAt: RESET_5H,
  });
  assert.equal(rejectedUntil(q, NOW), undefined);
});

Deno.test("unified quota: 85 % on the 5h window (allowed_warning)", () => {
  const q = parseUnifiedQuota(
    unifiedHeaders({
      "anthropic-ratelimit-unified-status": "allowed_warning",
      "anthropic-ratelimit-unified-5h-status": "allowed_warning",
      "anthropic-ratelimit-unified-5h-utilization": "0.85",
    }),
    NOW,
  )!;
  assert.equal(q.status, "allowed_warning");
  assert.equal(q.windows["5h"].utilization, 0.85);
  assert.deepEqual(quotaPressure(q, NOW), {
    maxUtilization: 0.85,
    binding: "5h",
    resetAt: RESET_5H,
  });
  assert.equal(rejectedUntil(q, NOW), undefined);
});

Deno.test("unified quota: rejected with representative claim five_hour", () => {
  const q = parseUnifiedQuota(
    unifiedHeaders({
      "anthropic-ratelimit-unified-status": "rejected",
      "anthropic-ratelimit-unified-5h-status": "rejected",
      "anthropic-ratelimit-unified-5h-utilization": "1.02",
      "anthropic-ratelimit-unified-7d-utilization": "0.6",
      "anthropic-ratelimit-unified-reset": sec(RESET_5H),
    }),
    NOW,
  )!;
  assert.equal(q.windows["5h"].utilization, 1.02); // a fraction may exceed 1; not a percentage
  assert.equal(rejectedUntil(q, NOW), RESET_5H);
  assert.deepEqual(quotaPressure(q, NOW), {
    maxUtilization: 1.02,
    binding: "5h",
    resetAt: RESET_5H,
  });
  // Once the window has reset the snapshot is stale: not rejected any more.
  assert.equal(rejectedUntil(q, RESET_5H + 1), undefined);
});

Deno.test("unified quota: rejectedUntil falls back to rejected windows, then the overall reset", () => {
  const q = parseUnifiedQuota(
    unifiedHeaders({
      "anthropic-ratelimit-unified-status": "rejected",
      "anthropic-ratelimit-unified-representative-claim": "seven_day_opus",
      "anthropic-ratelimit-unified-5h-status": "rejected",
      "anthropic-ratelimit-unified-7d-status": "rejected",
      "anthropic-ratelimit-unified-reset": sec(NOW + 600_000),
    }),
    NOW,
  )!;
  assert.equal(rejectedUntil(q, NOW), RESET_7D); // no 7d_opus window: the latest rejected one
  const onlyTop = parseUnifiedQuota(
    new Headers({
      "anthropic-ratelimit-unified-status": "rejected",
      "anthropic-ratelimit-unified-reset": sec(NOW + 600_000),
    }),
    NOW,
  )!;
  assert.equal(rejectedUntil(onlyTop, NOW), NOW + 600_000);
  assert.deepEqual(quotaPressure(onlyTop, NOW), { maxUtilization: 1, resetAt: NOW + 600_000 });
  // A per-model window rejected while the account as a whole is allowed does not block it.
  const perModel = parseUnifiedQuota(
    unifiedHeaders({ "anthropic-ratelimit-unified-7d_oi-status": "rejected" }),
    NOW,
  );
  assert.equal(rejectedUntil(perModel, NOW), undefined);
});

Deno.test("unified quota: other windows are discovered generically", () => {
  const q = parseUnifiedQuota(
    unifiedHeaders({
      "anthropic-ratelimit-unified-7d_oi-status": "allowed",
      "anthropic-ratelimit-unified-7d_oi-utilization": "0.3",
      "anthropic-ratelimit-unified-7d_oi-reset": sec(RESET_7D),
      "anthropic-ratelimit-unified-7d-sonnet-status": "allowed_warning",
      "anthropic-ratelimit-unified-7d-sonnet-utilization": "0.91",
      "anthropic-ratelimit-unified-7d-sonnet-reset": sec(RESET_7D),
      "anthropic-ratelimit-unified-overage-in-use": "false",
    }),
    NOW,
  )!;
  assert.deepEqual(Object.keys(q.windows).sort(), ["5h", "7d", "7d-sonnet", "7d_oi"]);
  assert.deepEqual(q.windows["7d-sonnet"], {
    status: "allowed_warning",
    utilization: 0.91,
    reset: RESET_7D,
  });
  assert.deepEqual(quotaPressure(q, NOW), {
    maxUtilization: 0.91,
    binding: "7d-sonnet",
    resetAt: RESET_7D,
  });
  const names = Object.keys(q.windows);
  assert.equal(windowForClaim("five_hour", names), "5h");
  assert.equal(windowForClaim("seven_day", names), "7d");
  assert.equal(windowForClaim("seven_day_sonnet", names), "7d-sonnet");
  assert.equal(windowForClaim("7d_oi", names), "7d_oi");
  assert.equal(windowForClaim("seven_day_opus", names), undefined);
});

Deno.test("unified quota: stale windows are ignored by quotaPressure", () => {
  const q = parseUnifiedQuota(
    unifiedHeaders({
      "anthropic-ratelimit-unified-5h-utilization": "0.97",
      "anthropic-ratelimit-unified-5h-reset": sec(NOW - 60_000),
    }),
    NOW - 3600_000,
  );
  assert.deepEqual(quotaPressure(q, NOW), {
    maxUtilization: 0.04,
    binding: "7d",
    resetAt: RESET_7D,
  });
  assert.deepEqual(quotaPressure(q, RESET_7D + 1), { maxUtilization: 0 });
});

Deno.test("unified quota: percentages are normalised to fractions", () => {
  const q = parseUnifiedQuota(
    new Headers({
      "anthropic-ratelimit-unified-5h-utilization": "85",
      "anthropic-ratelimit-unified-7d-utilization": "1.4",
      "anthropic-ratelimit-unified-7d_oi-utilization": "garbage",
    }),
    NOW,
  )!;
  assert.equal(q.windows["5h"].utilization, 0.85);
  assert.equal(q.windows["7d"].utilization, 1.4);
  assert.equal(q.windows["7d_oi"].utilization, undefined);
  // No reset header: not known to be stale, so it counts.
  assert.deepEqual(quotaPressure(q, NOW), { maxUtilization: 1.4, binding: "7d" });
});

Deno.test("unified quota: absent headers give undefined and zero pressure", () => {
  const apiKeyHeaders = new Headers({
    "anthropic-ratelimit-requests-limit": "4000",
    "anthropic-ratelimit-requests-remaining": "3999",
  });
  assert.equal(parseUnifiedQuota(apiKeyHeaders, NOW), undefined);
  assert.deepEqual(quotaPressure(undefined, NOW), { maxUtilization: 0 });
  assert.equal(rejectedUntil(undefined, NOW), undefined);
});
