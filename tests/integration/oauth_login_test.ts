/**
 * Adding Claude subscription accounts from the command line, end to end: `ccgate login claude`
 * and `ccgate accounts import/remove/refresh` as real subprocesses against a fake token
 * endpoint. Every test checks that no token reaches output and the KV file holds tokens only
 * sealed. (The web page and the accounts.json watcher: oauth_page_test.ts.)
 * @module
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { OAUTH_PREFIX, type OAuthRecord, openOAuthStore } from "../../src/auth/oauth_store.ts";
import { childEnv } from "../helpers/child_env.ts";
import { assertNoTokens, startFakeOAuth } from "../helpers/fake_oauth.ts";
import { startTestGateway } from "../helpers/gateway.ts";

const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));
const decoder = new TextDecoder();
const encoder = new TextEncoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A temporary HOME whose data dir holds the KV file and the key file. */
async function sandbox() {
  const dir = await Deno.makeTempDir({ prefix: "ccgate-oauth-" });
  const home = `${dir}/home`;
  await Deno.mkdir(home);
  return { dir, home, data: `${home}/data`, kvPath: `${home}/data/ccgate.kv` };
}

/**
 * Runs `ccgate ARGS`. With `answer`, stdout is read until the authorize URL appears, and the
 * line `answer(url)` returns is written to stdin — as a user pastes after opening the URL.
 */
async function ccgate(
  home: string,
  args: string[],
  options: { env?: Record<string, string>; answer?: (url: string) => string } = {},
): Promise<Run> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: childEnv(home, options.env),
    clearEnv: true,
    cwd: home,
    stdin: options.answer ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const errText = new Response(child.stderr).text();
  let stdout = "";
  const reader = child.stdout.getReader();
  if (options.answer) {
    let url: string | undefined;
    while (!url) {
      const { value, done } = await reader.read();
      if (done) break;
      stdout += decoder.decode(value, { stream: true });
      url = stdout.match(/^(https?:\/\/\S+)$/m)?.[1];
    }
    const writer = child.stdin.getWriter();
    if (url) await writer.write(encoder.encode(options.answer(url) + "\n"));
    await writer.close();
  }
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    stdout += decoder.decode(r.value, { stream: true });
  }
  const status = await child.status;
  clearTimeout(timer);
  return { code: status.code, stdout, stderr: await errText };
}
/** Reads records from a KV file, then checks no plaintext token is anywhere in its bytes. */
async function kvRecords(kvPath: string, tokens: string[]): Promise<Map<string, OAuthRecord>> {
  const kv = await Deno.openKv(kvPath);
  const out = new Map<string, OAuthRecord>();
  try {
    for await (const e of kv.list<OAuthRecord>({ prefix: OAUTH_PREFIX })) {
      out.set(`${e.value.provider}/${e.value.name}`, e.value);
    }
  } finally {
    kv.close();
  }
  const dir = kvPath.slice(0, kvPath.lastIndexOf("/"));
  for await (const f of Deno.readDir(dir)) {
    if (!f.name.startsWith("ccgate.kv")) continue;
    const bytes = new TextDecoder("latin1").decode(await Deno.readFile(`${dir}/${f.name}`));
    for (const token of tokens) assert.ok(!bytes.includes(token), `plaintext token in ${f.name}`);
  }
  return out;
}
Deno.test("login claude: pasted code#state is exchanged and stored sealed", async () => {
  await using fake = startFakeOAuth();
  fake.subscriptionType = "max";
  const sb = await sandbox();
  const env = { CCGATE_OAUTH_TOKEN_URL: fake.tokenUrl };
  try {
    let state = "";
    const r = await ccgate(sb.home, ["login", "claude", "--name", "work"], {
      env,
      answer: (url) => {
        const u = new URL(url);
        assert.equal(u.origin + u.pathname, "https://claude.ai/oauth/authorize");
        assert.equal(u.searchParams.get("code_challenge_method"), "S256");
        state = fake.register(url);
        return `the-code#${state}`;
      },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Open this URL/);
    assert.match(r.stdout, /^added claude\/work \(user@example\.com, max\)$/m);
    assert.equal(fake.exchanges, 1, fake.rejected.join("; "));
    assertNoTokens(fake, r.stdout, r.stderr);

    const records = await kvRecords(sb.kvPath, fake.issued);
    const rec = records.get("claude/work")!;
    assert.ok(rec, "record stored");
    assert.ok(rec.access.startsWith("v1.") && rec.refresh?.startsWith("v1."));
    assert.equal(rec.source, "login");
    assert.equal(rec.email, "user@example.com");
    assert.ok(Math.abs(rec.expiresAt - (Date.now() + 28800_000)) < 60_000);
    const key = await Deno.stat(`${sb.data}/secret.key`);
    assert.equal(key.mode! & 0o777, 0o600);

    // The sealed tokens open with the key file: they are the ones the endpoint issued.
    const kv = await Deno.openKv(sb.kvPath);
    const { store } = await openOAuthStore(kv, { keyFile: `${sb.data}/secret.key` });
    const entry = await store.load("claude", "work");
    kv.close();
    assert.deepEqual([entry?.tokens.accessToken, entry?.tokens.refreshToken], fake.issued);

    // Without --name: the e-mail's local part; a second e-mail with the same local part gets -2.
    fake.email = "user@other.example";
    const again = await ccgate(sb.home, ["login", "claude"], {
      env,
      answer: (url) => `c2#${fake.register(url)}`,
    });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^added claude\/user \(user@other\.example, max\)$/m);
    fake.email = "user@example.com";
    const third = await ccgate(sb.home, ["login", "claude"], {
      env,
      answer: (url) => `c3#${fake.register(url)}`,
    });
    assert.match(third.stdout, /^added claude\/user-2 /m);
    assertNoTokens(fake, again.stdout, again.stderr, third.stdout, third.stderr);
  } finally {
    await Deno.remove(sb.dir, { recursive: true });
  }
});

Deno.test("login claude: a wrong state or a rejected code is a one-line error", async () => {
  await using fake = startFakeOAuth();
  fake.badCodes.add("bad-code");
  const sb = await sandbox();
  const env = { CCGATE_OAUTH_TOKEN_URL: fake.tokenUrl };
  try {
    const wrong = await ccgate(sb.home, ["login", "claude", "--name", "w"], {
      env,
      answer: (url) => (fake.register(url), "the-code#not-the-state"),
    });
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /^ccgate: .*state mismatch.*\n$/);
    assert.equal(fake.exchanges + fake.rejected.length, 0, "no exchange attempted");

    const bad = await ccgate(sb.home, ["login", "claude", "--name", "w"], {
      env,
      answer: (url) => `bad-code#${fake.register(url)}`,
    });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^ccgate: OAuth code exchange failed: HTTP 400 invalid_grant.*\n$/);
    assert.ok(!bad.stderr.includes("bad-code"), "the code is not echoed");

    const none = await ccgate(sb.home, ["login", "claude"], { env, answer: () => "" });
    assert.equal(none.code, 2);
    const other = await ccgate(sb.home, ["login", "gemini"], { env });
    assert.match(other.stderr, /only "claude" is supported/);
    const help = await ccgate(sb.home, ["login", "--help"], { env });
    assert.match(help.stdout, /ccgate login claude \[--name NAME\]/);
    assert.equal((await kvRecords(sb.kvPath, [])).size, 0);
  } finally {
    await Deno.remove(sb.dir, { recursive: true });
  }
});

Deno.test("accounts import: Claude Code's .credentials.json and an accounts.json; remove", async () => {
  const sb = await sandbox();
  const tok = (kind: "oat" | "ort", n: number) => `sk-ant-${kind}01-${"x".repeat(80)}${n}AA`;
  const tokens = [1, 2, 3, 4].flatMap((n) => [tok("oat", n), tok("ort", n)]);
  const expires = Date.now() + 5 * 3600_000;
  const claudeFile = (n: number) =>
    JSON.stringify({
      claudeAiOauth: {
        accessToken: tok("oat", n),
        refreshToken: tok("ort", n),
        expiresAt: expires,
        scopes: ["user:inference", "user:profile"],
        subscriptionType: "max",
      },
    });
  try {
    await Deno.mkdir(`${sb.home}/.claude`);
    await Deno.writeTextFile(`${sb.home}/.claude/.credentials.json`, claudeFile(1));
    const other = `${sb.dir}/other.credentials.json`;
    await Deno.writeTextFile(other, claudeFile(2));
    const accountsJson = `${sb.dir}/accounts.json`;
    await Deno.writeTextFile(
      accountsJson,
      JSON.stringify({
        accounts: {
          alpha: { accessToken: tok("oat", 3), refreshToken: tok("ort", 3), expiresAt: expires },
          beta: {
            accessToken: tok("oat", 4),
            refreshToken: tok("ort", 4),
            expiresAt: Math.floor(expires / 1000),
          },
        },
      }),
    );

    const def = await ccgate(sb.home, ["accounts", "import"]);
    assert.equal(def.code, 0, def.stderr);
    assert.match(def.stdout, /^added claude\/claude: max; expires .* \(in (4h59m|5h00m)\)$/m);
    assert.match(def.stdout, /note: Claude Code and ccgate now share this login/);
    const named = await ccgate(sb.home, ["accounts", "import", other, "--name", "personal"]);
    assert.match(named.stdout, /^added claude\/personal: max; expires /m);
    const file = await ccgate(sb.home, ["accounts", "import", accountsJson]);
    assert.equal(file.code, 0, file.stderr);
    assert.match(file.stdout, /^added claude\/alpha: expires /m);
    assert.match(file.stdout, /^added claude\/beta: expires /m);
    const again = await ccgate(sb.home, ["accounts", "import", accountsJson]);
    assert.match(again.stdout, /^replaced claude\/alpha \(was added by import\)/m);

    let records = await kvRecords(sb.kvPath, tokens);
    assert.deepEqual([...records.keys()].sort(), [
      "claude/alpha",
      "claude/beta",
      "claude/claude",
      "claude/personal",
    ]);
    assert.ok(
      [...records.values()].every((r) => r.source === "import" && r.access.startsWith("v1.")),
    );
    assert.equal(records.get("claude/beta")!.expiresAt, Math.floor(expires / 1000) * 1000);

    const removed = await ccgate(sb.home, ["accounts", "remove", "alpha"]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /^removed claude\/alpha$/m);
    records = await kvRecords(sb.kvPath, tokens);
    assert.ok(!records.has("claude/alpha") && records.has("claude/beta"));
    const missing = await ccgate(sb.home, ["accounts", "remove", "alpha"]);
    assert.equal(missing.code, 1);

    const broken = `${sb.dir}/broken.json`;
    await Deno.writeTextFile(broken, `{"accounts": {"x": {"accessToken": "${tok("oat", 9)}"`);
    const bad = await ccgate(sb.home, ["accounts", "import", broken]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^ccgate: .*broken\.json: not valid JSON/);
    for (const r of [def, named, file, again, removed, bad]) {
      assertNoTokens([...tokens, tok("oat", 9)], r.stdout, r.stderr);
    }
  } finally {
    await Deno.remove(sb.dir, { recursive: true });
  }
});
Deno.test("import into a running gateway's KV, then accounts refresh through it", async () => {
  await using fake = startFakeOAuth();
  await using gw = await startTestGateway({
    oauth: { tokenUrl: fake.tokenUrl },
    auth: { adminKey: "admin-secret-123" },
  });
  const sb = await sandbox();
  try {
    // The CLI seals with the key file the gateway uses for this KV (beside the KV file).
    const file = `${sb.dir}/accounts.json`;
    await Deno.writeTextFile(file, JSON.stringify({ accounts: { work: fake.mint() } }));
    const imported = await ccgate(sb.home, ["accounts", "import", file, "--kv", gw.kvPath]);
    assert.equal(imported.code, 0, imported.stderr);
    const deadline = Date.now() + 5000;
    while (!gw.gateway.findAccount("claude/work") && Date.now() < deadline) await sleep(50);
    assert.ok(gw.gateway.findAccount("claude/work"), "the running gateway picked it up");

    const env = { CCGATE_ADMIN_KEY: "admin-secret-123" };
    const ok = await ccgate(sb.home, ["accounts", "refresh", "work", "--url", gw.url], { env });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^refreshed claude\/work: expires .* \(in (7h59m|8h00m)\)$/m);
    assert.equal(fake.refreshes, 1, fake.rejected.join("; "));
    const missing = await ccgate(sb.home, ["accounts", "refresh", "nope", "--url", gw.url], {
      env,
    });
    assert.match(missing.stderr, /^ccgate: refresh of nope failed: HTTP 404: no account named/);
    const denied = await ccgate(sb.home, ["accounts", "refresh", "work", "--url", gw.url]);
    assert.match(denied.stderr, /HTTP 401/);
    assertNoTokens(fake, imported.stdout, imported.stderr, ok.stdout, ok.stderr, gw.logs.join(""));
  } finally {
    await Deno.remove(sb.dir, { recursive: true });
  }
});

Deno.test("accounts refresh: a gateway without the endpoint is explained", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const message = `no route for ${req.method} ${new URL(req.url).pathname}`;
    return Response.json({ type: "error", error: { type: "not_found_error", message } }, {
      status: 404,
    });
  });
  const sb = await sandbox();
  try {
    const url = `http://127.0.0.1:${server.addr.port}`;
    const old = await ccgate(sb.home, ["accounts", "refresh", "work", "--url", url]);
    assert.equal(old.code, 1);
    assert.match(
      old.stderr,
      /^ccgate: the gateway at .* has no refresh endpoint \(an older version\?\)/,
    );
  } finally {
    await server.shutdown();
    await Deno.remove(sb.dir, { recursive: true });
  }
});
