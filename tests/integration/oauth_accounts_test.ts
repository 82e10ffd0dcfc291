/**
 * Claude subscription accounts end to end: Bearer tokens with the OAuth beta and identity,
 * refresh before expiry (single-flight in a process and across processes), invalid_grant,
 * quota-aware scheduling from the unified headers, and no token in any log line.
 */
import assert from "node:assert/strict";
import { FakeUpstream } from "../helpers/fake_upstream.ts";
import { type FakeOAuth, startFakeOAuth } from "../helpers/fake_oauth.ts";
import { startGatewayProcess } from "../helpers/gateway_process.ts";
import {
  messageBody,
  parseSse,
  post,
  startTestGateway,
  type TestGateway,
} from "../helpers/gateway.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function addAccount(
  gw: TestGateway,
  name: string,
  token: FakeOAuth,
  expiresInMs: number,
) {
  const accessToken = `sk-ant-oat01-initial-${name}-${crypto.randomUUID().slice(0, 8)}`;
  token.issued.push(accessToken);
  await gw.gateway.oauthStore!.save("claude", name, {
    accessToken,
    refreshToken: token.mintRefreshToken(),
    expiresAt: Date.now() + expiresInMs,
  }, { source: "import" });
  for (let i = 0; i < 50 && !gw.gateway.findAccount(`claude/${name}`); i++) await sleep(50);
  assert.ok(gw.gateway.findAccount(`claude/${name}`), `claude/${name} picked up`);
  return accessToken;
}

function unified(
  fiveHour: number,
  status = "allowed",
  reset = Math.floor(Date.now() / 1000) + 3600,
) {
  return {
    "anthropic-ratelimit-unified-status": status,
    "anthropic-ratelimit-unified-5h-status": status,
    "anthropic-ratelimit-unified-5h-utilization": String(fiveHour),
    "anthropic-ratelimit-unified-5h-reset": String(reset),
    "anthropic-ratelimit-unified-7d-utilization": "0.2",
    "anthropic-ratelimit-unified-7d-reset": String(reset + 86400),
    "anthropic-ratelimit-unified-representative-claim": "five_hour",
    "anthropic-ratelimit-unified-reset": String(reset),
  };
}

async function setup(upstreamScript?: ConstructorParameters<typeof Object>[0]) {
  const token = startFakeOAuth();
  const upstream = await FakeUpstream.start(upstreamScript as never);
  const gw = await startTestGateway({
    oauth: { tokenUrl: token.tokenUrl },
    providers: [{ name: "claude", type: "claude-oauth", baseUrl: upstream.url }],
  });
  return {
    token,
    upstream,
    gw,
    async [Symbol.asyncDispose]() {
      await gw.close();
      await upstream.close();
      await token.close();
    },
  };
}

Deno.test("subscription requests carry the Bearer token, the OAuth beta and the identity block", async () => {
  await using t = await setup();
  const access = await addAccount(t.gw, "work", t.token, 3600_000);
  const res = await post(`${t.gw.url}/v1/messages`, messageBody({ system: "be brief" }), {
    "anthropic-beta": "interleaved-thinking-2025-05-14",
  });
  assert.equal(res.status, 200);
  await res.body?.cancel();
  const seen = t.upstream.requests[0];
  assert.equal(seen.headers.get("authorization"), `Bearer ${access}`);
  assert.equal(seen.headers.get("x-api-key"), null);
  assert.equal(
    seen.headers.get("anthropic-beta"),
    "interleaved-thinking-2025-05-14,oauth-2025-04-20",
  );
  const body = seen.json();
  assert.deepEqual(body.system[0], {
    type: "text",
    text: "You are Claude Code, Anthropic's official CLI for Claude.",
  });
  assert.deepEqual(body.system[1], { type: "text", text: "be brief" });
  const status = await (await fetch(`${t.gw.url}/status/accounts/work`)).json();
  assert.match(status.key, /^oauth/);
  assert.ok(status.token_expires_at);
  assert.equal(t.token.refreshCalls, 0, "a fresh token is not refreshed");
});

Deno.test("Claude Code's own body keeps its identity and bytes; only headers change", async () => {
  await using t = await setup();
  try {
    await addAccount(t.gw, "work", t.token, 3600_000);
    const fixture = JSON.parse(
      Deno.readTextFileSync(
        new URL("../../../shared/fixtures/claude-code/oauth-headers.request.json", import.meta.url),
      ),
    );
    const bytes = JSON.stringify(fixture.body);
    const res = await post(`${t.gw.url}/v1/messages?beta=true`, bytes, {
      "anthropic-beta": fixture.headers["anthropic-beta"],
    });
    assert.equal(res.status, 200);
    await res.text();
    assert.equal(t.upstream.requests[0].body, bytes, "body forwarded byte for byte");
    assert.match(t.upstream.requests[0].headers.get("anthropic-beta")!, /oauth-2025-04-20/);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return; // fixtures absent
    throw error;
  }
});

Deno.test("an expired token is refreshed before use; 20 concurrent requests cause exactly one refresh", async () => {
  await using t = await setup();
  await addAccount(t.gw, "work", t.token, -1000);
  t.token.delayMs = 150;
  const results = await Promise.all(
    Array.from(
      { length: 20 },
      () =>
        post(`${t.gw.url}/v1/messages`, messageBody()).then(async (
          r,
        ) => (await r.body?.cancel(), r.status)),
    ),
  );
  assert.deepEqual(new Set(results), new Set([200]));
  assert.equal(t.token.refreshCalls, 1, "single-flight refresh");
  const fresh = t.token.lastAccess!;
  assert.ok(
    t.upstream.requests.every((r) => r.headers.get("authorization") === `Bearer ${fresh}`),
  );
  // The rotated pair was committed, sealed, before use.
  const stored = await t.gw.gateway.oauthStore!.load("claude", "work");
  assert.equal(stored!.tokens.accessToken, fresh);
  assert.match(stored!.record.access, /^v1\./);
  assert.ok(!stored!.record.access.includes("sk-ant"), "sealed at rest");
});

Deno.test("the cron handler refreshes tokens expiring within the buffer and leaves others", async () => {
  await using t = await setup();
  await addAccount(t.gw, "soon", t.token, 5 * 60_000); // inside the 10-minute buffer
  await addAccount(t.gw, "later", t.token, 5 * 3600_000);
  const result = await t.gw.gateway.refreshExpiring();
  assert.deepEqual(result.refreshed, ["claude/soon"]);
  assert.equal(t.token.refreshCalls, 1);
  const soon = await t.gw.gateway.oauthStore!.load("claude", "soon");
  assert.ok(soon!.tokens.expiresAt > Date.now() + 7 * 3600_000, "new expiry from expires_in");
});

Deno.test("invalid_grant marks the account auth_error while the other account keeps serving", async () => {
  await using t = await setup();
  await addAccount(t.gw, "broken", t.token, -1000);
  await addAccount(t.gw, "good", t.token, 3600_000);
  t.token.live.clear();
  // Re-mint only good's token is unnecessary: good's access token is fresh.
  for (let i = 0; i < 4; i++) {
    const res = await post(`${t.gw.url}/v1/messages`, messageBody());
    assert.equal(res.status, 200);
    await res.body?.cancel();
  }
  const broken = await (await fetch(`${t.gw.url}/status/accounts/broken`)).json();
  assert.equal(broken.status, "auth_error");
  assert.match(broken.auth_error, /invalid_grant/);
  assert.equal(t.token.refreshCalls, 1, "no retry loop on a dead refresh token");
});

Deno.test("quota-aware: an account at 85% of its 5h window is skipped while another is at 10%", async () => {
  const util: Record<string, number> = {};
  await using t = await setup((req: { headers: Headers }) => {
    const auth = req.headers.get("authorization") ?? "";
    const name = auth.includes("-busy-") ? "busy" : "idle";
    return { kind: "text", headers: unified(util[name] ?? 0.1) };
  });
  util.busy = 0.85;
  util.idle = 0.1;
  await addAccount(t.gw, "busy", t.token, 3600_000);
  await addAccount(t.gw, "idle", t.token, 3600_000);
  // Learn both accounts' quota (pin each once).
  for (const name of ["busy", "idle"]) {
    await (await post(`${t.gw.url}/v1/messages`, messageBody(), { "x-account-name": name })).body
      ?.cancel();
  }
  const served: string[] = [];
  for (let i = 0; i < 6; i++) {
    const res = await post(`${t.gw.url}/v1/messages`, messageBody());
    await res.body?.cancel();
    served.push(res.headers.get("x-ccgate-account")!);
  }
  assert.deepEqual(new Set(served), new Set(["idle"]), "the account near its limit is skipped");
  const view = await (await fetch(`${t.gw.url}/status/accounts/busy`)).json();
  assert.equal(view.quota.windows["5h"].utilization, 0.85);
  const table = await (await fetch(`${t.gw.url}/account-limits?format=table`)).text();
  assert.match(table, /claude\/busy\s+available\s+\S+.*85%/);
});

Deno.test("a 429 with a unified reset cools the account exactly until that reset", async () => {
  const reset = Math.floor(Date.now() / 1000) + 1800;
  await using t = await setup((req: { headers: Headers }) =>
    (req.headers.get("authorization") ?? "").includes("-capped-")
      ? { kind: "error", status: 429, headers: unified(1.0, "rejected", reset) }
      : { kind: "text" }
  );
  await addAccount(t.gw, "capped", t.token, 3600_000);
  await addAccount(t.gw, "spare", t.token, 3600_000);
  const res = await post(`${t.gw.url}/v1/messages`, messageBody({ stream: true }), {
    "x-account-name": "capped",
  });
  assert.equal(res.status, 429);
  await res.body?.cancel();
  const view = await (await fetch(`${t.gw.url}/status/accounts/capped`)).json();
  assert.equal(view.status, "rate_limited");
  const until = Math.max(...view.cooldowns.map((c: { until: string }) => Date.parse(c.until)));
  assert.equal(until, reset * 1000, "cooldown ends exactly at the unified reset");
  const next = await post(`${t.gw.url}/v1/messages`, messageBody({ stream: true }));
  assert.equal(next.status, 200);
  assert.equal(parseSse(await next.text()).at(-1)?.event, "message_stop");
  assert.equal(next.headers.get("x-ccgate-account"), "spare");
});

Deno.test("two gateway processes race on one expiring account: exactly one refresh, both use the new token", async () => {
  const token = startFakeOAuth();
  const upstream = await FakeUpstream.start();
  token.delayMs = 300;
  const providers = [{ name: "claude", type: "claude-oauth", baseUrl: upstream.url }];
  const gw = await startTestGateway({ oauth: { tokenUrl: token.tokenUrl }, providers });
  const child = await startGatewayProcess(
    { providers, state: { syncIntervalMs: 100 } },
    gw.kvPath,
    { CCGATE_OAUTH_TOKEN_URL: token.tokenUrl, LOG_LEVEL: "debug" },
  );
  const other = child.url;
  try {
    await addAccount(gw, "shared", token, -1000);
    // Let the child see the account too.
    for (let i = 0; i < 50; i++) {
      const s = await (await fetch(`${other}/status/accounts`)).json();
      if (s.accounts.some((a: { id: string }) => a.id === "claude/shared")) break;
      await sleep(100);
    }
    const [a, b] = await Promise.all([
      post(`${gw.url}/v1/messages`, messageBody()),
      post(`${other}/v1/messages`, messageBody()),
    ]);
    assert.equal(a.status, 200, await a.text());
    assert.equal(b.status, 200, await b.text());
    assert.equal(token.refreshCalls, 1, "exactly one refresh across both processes");
    const fresh = token.lastAccess!;
    assert.deepEqual(upstream.requests.map((r) => r.headers.get("authorization")), [
      `Bearer ${fresh}`,
      `Bearer ${fresh}`,
    ]);
  } finally {
    const { stderr: childLog } = await child.stop();
    await gw.close();
    await upstream.close();
    await token.close();
    for (const secret of token.issued) {
      assert.ok(!childLog.includes(secret), "no token in the other process's logs");
      assert.ok(!gw.logs.join("").includes(secret), "no token in this process's logs");
    }
  }
});

Deno.test("no token ever reaches the log output of a run with OAuth accounts", async () => {
  await using t = await setup((req: { headers: Headers }) =>
    (req.headers.get("authorization") ?? "").includes("-one-")
      ? { kind: "error", status: 401, message: "invalid bearer" }
      : { kind: "text" }
  );
  await addAccount(t.gw, "one", t.token, -1000);
  await addAccount(t.gw, "two", t.token, 3600_000);
  for (let i = 0; i < 3; i++) {
    await (await post(`${t.gw.url}/v1/messages`, messageBody())).body?.cancel();
  }
  await t.gw.gateway.refreshExpiring();
  await (await fetch(`${t.gw.url}/status/accounts/two/refresh`, { method: "POST" })).body
    ?.cancel();
  const everything = t.gw.logs.join("") +
    JSON.stringify(await (await fetch(`${t.gw.url}/status/accounts`)).json()) +
    await (await fetch(`${t.gw.url}/account-limits?format=table`)).text();
  assert.ok(t.token.issued.length >= 3);
  for (const secret of [...t.token.issued, ...t.token.live]) {
    assert.ok(!everything.includes(secret), `token leaked: ${secret.slice(0, 14)}…`);
  }
  assert.ok(t.gw.logs.some((l) => l.includes("token refreshed")), "the run did log refreshes");
});

Deno.test("a subscription token an upstream repeats in its 401 is masked for the client", async () => {
  // Shaped like no key pattern: only the gateway's knowledge of its tokens can mask it.
  const accessToken = `zz-subscription-token-${crypto.randomUUID().slice(0, 8)}`;
  await using t = await setup((req: { headers: Headers }) => ({
    kind: "error",
    status: 401,
    message: `token ${req.headers.get("authorization")?.slice(7)} was revoked`,
  }));
  await t.gw.gateway.oauthStore!.save("claude", "echo", {
    accessToken,
    refreshToken: t.token.mintRefreshToken(),
    expiresAt: Date.now() + 3600_000,
  }, { source: "import" });
  for (let i = 0; i < 50 && !t.gw.gateway.findAccount("claude/echo"); i++) await sleep(50);
  const res = await post(`${t.gw.url}/v1/messages`, messageBody());
  const text = await res.text();
  assert.equal(res.status, 502);
  assert.match(text, /token zz-s… was revoked/);
  assert.ok(!text.includes(accessToken), "the answer does not repeat the token");
  assert.ok(!t.gw.logs.join("").includes(accessToken), "no log line repeats it");
});

Deno.test("CCPROXY_ACCOUNTS_PATH: accounts.json is served and hot-reloaded without a restart", async () => {
  await using token = startFakeOAuth();
  await using upstream = await FakeUpstream.start();
  const dir = await Deno.makeTempDir();
  const file = `${dir}/accounts.json`;
  const entry = (n: number) => ({
    accessToken: `sk-ant-oat01-file-${n}`,
    refreshToken: token.mintRefreshToken(),
    expiresAt: Date.now() + 3600_000,
  });
  await Deno.writeTextFile(
    file,
    JSON.stringify({ version: 1, accounts: { alpha: entry(1), beta: entry(2) } }),
  );
  const { envOverlay } = await import("../../src/config/env.ts");
  const { overlay } = envOverlay({ CCPROXY_ACCOUNTS_PATH: file, CCPROXY_HOT_RELOAD: "true" });
  await using gw = await startTestGateway({
    ...overlay,
    oauth: { ...(overlay.oauth as object), tokenUrl: token.tokenUrl },
    providers: [{ name: "claude", type: "claude-oauth", baseUrl: upstream.url }],
  });
  const ids = () => gw.gateway.accounts().map((a) => a.id).sort();
  for (let i = 0; i < 60 && ids().length < 2; i++) await sleep(50);
  assert.deepEqual(ids(), ["claude/alpha", "claude/beta"]);
  const res = await post(`${gw.url}/v1/messages`, messageBody());
  assert.equal(res.status, 200);
  await res.body?.cancel();
  assert.match(upstream.requests[0].headers.get("authorization")!, /^Bearer sk-ant-oat01-file-/);
  await Deno.writeTextFile(
    file,
    JSON.stringify({ version: 1, accounts: { beta: entry(2), gamma: entry(3) } }),
  );
  for (let i = 0; i < 60 && ids().join() !== "claude/beta,claude/gamma"; i++) await sleep(50);
  assert.deepEqual(ids(), ["claude/beta", "claude/gamma"], "added and removed without a restart");
});

Deno.test("a priority chain across credential kinds: API key → subscription → Z.AI", async () => {
  await using token = startFakeOAuth();
  const reset = Math.floor(Date.now() / 1000) + 7200;
  await using apiKeyUpstream = await FakeUpstream.start(() => ({
    kind: "error",
    status: 429,
    headers: { "retry-after": "900" },
  }));
  await using subscription = await FakeUpstream.start(() => ({
    kind: "error",
    status: 429,
    headers: unified(1.0, "rejected", reset),
  }));
  await using zai = await FakeUpstream.start();
  await using gw = await startTestGateway({
    oauth: { tokenUrl: token.tokenUrl },
    providers: [
      {
        name: "anthropic",
        type: "anthropic",
        baseUrl: apiKeyUpstream.url,
        accounts: [{ name: "key", apiKey: "sk-ant-api-key-1" }],
      },
      { name: "claude", type: "claude-oauth", baseUrl: subscription.url },
      {
        name: "zai",
        type: "anthropic-compatible",
        preset: "zai",
        baseUrl: zai.url,
        accounts: [{ name: "glm", apiKey: "zk" }],
      },
    ],
    routes: [{ match: "claude-*", chain: ["anthropic", "claude", "zai"] }],
  });
  await addAccount(gw, "max", token, 3600_000);
  const res = await post(`${gw.url}/v1/messages`, messageBody({ stream: true }));
  assert.equal(res.status, 200);
  assert.equal(parseSse(await res.text()).at(-1)?.event, "message_stop");
  assert.equal(res.headers.get("x-ccgate-provider"), "zai");
  assert.equal(apiKeyUpstream.requests.length, 1);
  assert.equal(subscription.requests.length, 1);
  assert.equal(zai.requests[0].json().model, "glm-4.7");
  // Quota exhaustion keeps the subscription out until its window resets.
  const max = await (await fetch(`${gw.url}/status/accounts/max`)).json();
  assert.equal(max.status, "rate_limited");
  await (await post(`${gw.url}/v1/messages`, messageBody())).body?.cancel();
  assert.equal(subscription.requests.length, 1, "no request to an exhausted subscription");
});
