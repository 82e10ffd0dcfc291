/**
 * The other ways subscription accounts arrive: the gateway's /accounts/add page (in-process,
 * against a fake token endpoint, with admin auth) and the accounts.json watcher.
 * @module
 */
import assert from "node:assert/strict";
import { watchAccountsFile } from "../../src/auth/accounts_file_watch.ts";
import { OAuthStore } from "../../src/auth/oauth_store.ts";
import { SecretBox } from "../../src/auth/secret_box.ts";
import { setLogSink } from "../../src/observability/log.ts";
import { MAX_PENDING, oauthRoutes, PENDING_TTL_MS } from "../../src/server/oauth_page.ts";
import { assertNoTokens, startFakeOAuth } from "../helpers/fake_oauth.ts";
import { startTestGateway } from "../helpers/gateway.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sets environment variables for an in-process test; returns the restore function. */
function setEnv(vars: Record<string, string>): () => void {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, Deno.env.get(k)]));
  for (const [k, v] of Object.entries(vars)) Deno.env.set(k, v);
  return () => {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) Deno.env.delete(k);
      else Deno.env.set(k, v);
    }
  };
}

const postJson = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

Deno.test("/accounts/add page: start, complete, state checks", async () => {
  await using fake = startFakeOAuth();
  fake.badCodes.add("bad-code");
  const dir = await Deno.makeTempDir({ prefix: "ccgate-page-" });
  const restore = setEnv({ CCGATE_DATA_DIR: dir, CCGATE_OAUTH_TOKEN_URL: fake.tokenUrl });
  try {
    // Declared in the try: the gateway closes before the env is restored and dir removed.
    await using gw = await startTestGateway({});
    const store = gw.gateway.oauthStore!;
    assert.ok(store, "the gateway opened its OAuth store");

    const page = await fetch(`${gw.url}/accounts/add`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type")!, /^text\/html/);
    const html = await page.text();
    assert.match(html, /Open Claude sign-in/);
    assert.doesNotMatch(html, /<(script|link|img)[^>]+(src|href)=/i, "no external assets");
    const nonce = page.headers.get("content-security-policy")!.match(/'nonce-([^']+)'/)![1];
    assert.ok(html.includes(`<script nonce="${nonce}">`));

    const start = await postJson(`${gw.url}/accounts/oauth/start`, { name: "web" });
    assert.equal(start.status, 200);
    const { url, state } = await start.json();
    const params = new URL(url).searchParams;
    assert.ok(params.get("code_challenge") && params.get("state") === state);
    fake.register(url);

    const done = await postJson(`${gw.url}/accounts/oauth/complete`, { code: `abc#${state}` });
    const body = await done.json();
    assert.equal(done.status, 200, JSON.stringify(body));
    assert.equal(body.ok, true);
    assert.deepEqual(
      { ...body.account, expiresAt: typeof body.account.expiresAt },
      {
        provider: "claude",
        name: "web",
        email: "user@example.com",
        subscriptionType: null,
        expiresAt: "string",
      },
    );
    const entry = await store.load("claude", "web");
    assert.equal(entry?.record.source, "login");
    assert.equal(entry?.tokens.accessToken, fake.issued[0]);
    const deadline = Date.now() + 5000;
    while (!gw.gateway.findAccount("claude/web") && Date.now() < deadline) await sleep(50);
    assert.ok(gw.gateway.findAccount("claude/web"), "the running gateway serves it");

    // The attempt is used up; unknown states and cross-site or non-JSON posts are refused.
    const reuse = await postJson(`${gw.url}/accounts/oauth/complete`, { code: `abc#${state}` });
    assert.equal(reuse.status, 400);
    assert.equal((await reuse.json()).error.type, "invalid_state");
    const unknown = await postJson(`${gw.url}/accounts/oauth/complete`, { code: "abc#nope" });
    assert.equal(unknown.status, 400);
    assert.match((await unknown.json()).error.message, /unknown or expired/);
    const evil = await postJson(`${gw.url}/accounts/oauth/start`, {}, {
      origin: "https://evil.example",
    });
    assert.equal(evil.status, 403);
    await evil.body?.cancel();
    const form = await fetch(`${gw.url}/accounts/oauth/start`, { method: "POST", body: "a=b" });
    assert.equal(form.status, 415);
    await form.body?.cancel();
    const badName = await postJson(`${gw.url}/accounts/oauth/start`, { name: "no spaces" });
    assert.equal(badName.status, 400);
    await badName.body?.cancel();

    // A rejected code: 400 with the endpoint's reason, never the code.
    const second = await (await postJson(`${gw.url}/accounts/oauth/start`, {})).json();
    fake.register(second.url);
    const rejected = await postJson(`${gw.url}/accounts/oauth/complete`, {
      code: "bad-code",
      state: second.state,
    });
    assert.equal(rejected.status, 400);
    const err = await rejected.json();
    assert.equal(err.error.type, "oauth_error");
    assert.ok(!JSON.stringify(err).includes("bad-code"));
    assertNoTokens(fake, html, JSON.stringify(body), gw.logs.join(""));
  } finally {
    restore();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("/accounts/*: admin key required (header, Bearer or Basic password)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccgate-page-" });
  const restore = setEnv({ CCGATE_DATA_DIR: dir });
  try {
    // Declared in the try: the gateway closes before the env is restored and dir removed.
    await using gw = await startTestGateway({ auth: { adminKey: "admin-secret-123" } });
    const statuses = async (headers: Record<string, string>) => {
      const page = await fetch(`${gw.url}/accounts/add`, { headers });
      const start = await postJson(`${gw.url}/accounts/oauth/start`, {}, headers);
      const complete = await postJson(
        `${gw.url}/accounts/oauth/complete`,
        { code: "a#b" },
        headers,
      );
      await Promise.all([page, start, complete].map((r) => r.body?.cancel()));
      if (page.status === 401) {
        assert.match(page.headers.get("www-authenticate")!, /^Basic realm="ccgate admin"/);
      }
      return [page.status, start.status, complete.status];
    };
    assert.deepEqual(await statuses({}), [401, 401, 401]);
    assert.deepEqual(await statuses({ "x-api-key": "wrong-key-1234" }), [401, 401, 401]);
    assert.deepEqual(await statuses({ "x-api-key": "admin-secret-123" }), [200, 200, 400]);
    assert.deepEqual(await statuses({ authorization: "Bearer admin-secret-123" }), [200, 200, 400]);
    const basic = `Basic ${btoa("admin:admin-secret-123")}`;
    assert.deepEqual(await statuses({ authorization: basic }), [200, 200, 400]);
  } finally {
    restore();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("oauthRoutes: pending attempts expire after 10 minutes and are capped", async () => {
  let now = 1_000_000;
  const logs: string[] = [];
  const restoreLogs = setLogSink((line) => logs.push(line));
  const kv = await Deno.openKv(":memory:");
  const store = new OAuthStore(kv, await SecretBox.fromKey(new Uint8Array(32)));
  const app = oauthRoutes({ store: () => store, now: () => now, tokenUrl: "http://127.0.0.1:9/x" });
  const start = async () =>
    (await (await app.request("/accounts/oauth/start", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    })).json()).state as string;
  const complete = async (state: string) =>
    (await app.request("/accounts/oauth/complete", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ code: `c#${state}` }),
    })).json();
  try {
    const old = await start();
    now += PENDING_TTL_MS + 1;
    assert.equal((await complete(old)).error.type, "invalid_state");
    const first = await start();
    for (let i = 0; i < MAX_PENDING; i++) await start();
    assert.equal((await complete(first)).error.type, "invalid_state", "oldest dropped");
    // A live attempt reaches the (unreachable) endpoint: a network error, kept for a retry.
    const live = await start();
    const net = await complete(live);
    assert.equal(net.error.type, "oauth_error");
    assert.equal(
      (await complete(live)).error.type,
      "oauth_error",
      "still pending after a network error",
    );
    assert.match(logs.join(""), /subscription login failed/);
  } finally {
    restoreLogs();
    kv.close();
  }
});

Deno.test("watchAccountsFile: syncs on start and on change, keeps accounts on a broken file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccgate-watch-" });
  const path = `${dir}/accounts.json`;
  const logs: string[] = [];
  const restoreLogs = setLogSink((line) => logs.push(line));
  const kv = await Deno.openKv(":memory:");
  const store = new OAuthStore(
    kv,
    await SecretBox.fromKey(crypto.getRandomValues(new Uint8Array(32))),
  );
  const tok = (kind: string, n: string) => `sk-ant-${kind}01-${n.repeat(40)}AA`;
  const entry = (n: string, expiresAt = Date.now() + 3600_000) => ({
    accessToken: tok("oat", n),
    refreshToken: tok("ort", n),
    expiresAt,
  });
  const write = (accounts: Record<string, unknown>) =>
    Deno.writeTextFile(path, JSON.stringify({ accounts }, null, 2));
  const names = async () =>
    (await store.records()).map((e) => `${e.value.name}:${e.value.source}`).sort().join(" ");
  const until = async (want: string) => {
    const deadline = Date.now() + 3000;
    while ((await names()) !== want && Date.now() < deadline) await sleep(50);
    return await names();
  };
  const changes: string[] = [];
  await write({ a: entry("a"), b: entry("b"), mine: entry("m") });
  await store.save("claude", "mine", entry("x"), { source: "login" });
  await store.save("claude", "kept", entry("k"), { source: "import" });
  const watcher = watchAccountsFile(path, store, {
    onChange: (s) => changes.push(s.error ? "error" : `+${s.added}~${s.updated}-${s.removed}`),
  });
  try {
    const first = await watcher.sync(); // after the initial pass
    assert.deepEqual(first.skipped, ["mine"], "a login account is not overwritten");
    assert.equal(await names(), "a:file b:file kept:import mine:login");
    assert.deepEqual(changes, ["+a,b~-"]);
    assert.equal((await store.load("claude", "mine"))?.tokens.accessToken, tok("oat", "x"));

    // Add c, drop a, rotate b's tokens in the file.
    await write({ b: entry("B"), c: entry("c") });
    assert.equal(
      await until("b:file c:file kept:import mine:login"),
      "b:file c:file kept:import mine:login",
    );
    await sleep(300);
    assert.equal((await store.load("claude", "b"))?.tokens.refreshToken, tok("ort", "B"));

    // A refresh by the gateway (later expiry) is not undone by the stale file.
    const b = (await store.load("claude", "b"))!;
    await store.commitRefreshed(b, { ...entry("r", Date.now() + 8 * 3600_000) });
    assert.deepEqual((await watcher.sync()).unchanged, ["b", "c"]);
    assert.equal((await store.load("claude", "b"))?.tokens.accessToken, tok("oat", "r"));

    // A broken file is reported and changes nothing.
    await Deno.writeTextFile(path, `{"accounts": {"b": {"accessToken": "${tok("oat", "z")}"`);
    await sleep(500);
    const broken = await watcher.sync();
    assert.match(broken.error!, /not valid JSON/);
    assert.ok(!broken.error!.includes("sk-ant"));
    assert.equal(await names(), "b:file c:file kept:import mine:login");
    assert.ok(changes.includes("error"));
    assert.match(logs.join(""), /accounts file ignored; keeping the current accounts/);
    assert.doesNotMatch(logs.join(""), /sk-ant-o[ar]t01-[a-zA-Z]{8}/);
  } finally {
    watcher.close();
    await watcher.sync().catch(() => {});
    restoreLogs();
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
});
