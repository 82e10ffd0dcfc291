/**
 * End-to-end tests of the `ccgate` command line: every command runs as a real subprocess
 * (`deno run -A main.ts …`) in a clean environment with its own HOME and data directory, so
 * the KV file, config discovery and exit codes are exactly what a user gets.
 * @module
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { VERSION } from "../../src/version.ts";
import { closedPort, FakeUpstream } from "../helpers/fake_upstream.ts";
import { messageBody, parseSse, post, startTestGateway } from "../helpers/gateway.ts";

const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Default bound for one short CLI run. */
const RUN_TIMEOUT_MS = 30_000;
/** Bound for a gateway to answer /health after start. */
const START_TIMEOUT_MS = 30_000;
/** Bound for a gateway to exit after SIGTERM. */
const STOP_TIMEOUT_MS = 20_000;

let denoDirCache: string | undefined;

/**
 * The Deno cache directory of this test process. The subprocesses get a temporary HOME, so
 * without DENO_DIR they would look for (and try to download) npm packages in an empty cache.
 */
async function denoDir(): Promise<string> {
  if (denoDirCache) return denoDirCache;
  const fromEnv = Deno.env.get("DENO_DIR");
  if (fromEnv) return (denoDirCache = fromEnv);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.equal(out.code, 0, "deno info --json");
  denoDirCache = JSON.parse(decoder.decode(out.stdout)).denoDir as string;
  assert.ok(denoDirCache, "deno info reports the DENO_DIR");
  return denoDirCache;
}

/** A temporary HOME + data dir + working dir for one test. */
interface Sandbox {
  /** Root temp dir (also the subprocess working directory). */
  dir: string;
  home: string;
  data: string;
  /** The clean environment for a subprocess, plus `extra`. */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Writes a file in the sandbox and returns its absolute path. */
  write(name: string, text: string): Promise<string>;
  cleanup(): Promise<void>;
}

async function sandbox(): Promise<Sandbox> {
  const dir = await Deno.makeTempDir({ prefix: "ccgate-cli-" });
  const home = `${dir}/home`;
  const data = `${dir}/data`;
  await Deno.mkdir(home);
  const cache = await denoDir();
  return {
    dir,
    home,
    data,
    env: (extra = {}) => ({
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: home,
      CCGATE_DATA_DIR: data,
      NO_COLOR: "1",
      // Needed only so `deno run` finds the already cached npm packages (see denoDir()).
      DENO_DIR: cache,
      DENO_NO_UPDATE_CHECK: "1",
      ...extra,
    }),
    async write(name, text) {
      const path = `${dir}/${name}`;
      await Deno.writeTextFile(path, text);
      return path;
    },
    async cleanup() {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** Result of one CLI run. */
interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `ccgate ARGS` to completion (killed after `timeoutMs`). */
async function ccgate(
  sb: Sandbox,
  args: string[],
  options: { env?: Record<string, string>; stdin?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: sb.env(options.env),
    clearEnv: true,
    cwd: sb.dir,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timeoutMs = options.timeoutMs ?? RUN_TIMEOUT_MS;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, timeoutMs);
  try {
    if (options.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      await writer.write(encoder.encode(options.stdin));
      await writer.close();
    }
    const out = await child.output();
    const result = {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
    assert.ok(
      !timedOut,
      `ccgate ${args.join(" ")} did not finish within ${timeoutMs} ms\n${result.stderr}`,
    );
    return result;
  } finally {
    clearTimeout(timer);
  }
}

/** A long-running `ccgate serve` subprocess. */
interface ServeProcess {
  url: string;
  port: number;
  child: Deno.ChildProcess;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit status (and all output read). */
  exited: Promise<Deno.CommandStatus>;
  /** Sends `signal` and waits (bounded) for the exit; SIGKILLs on timeout. */
  stop(signal?: Deno.Signal): Promise<{ status: Deno.CommandStatus; timedOut: boolean }>;
}

function drain(stream: ReadableStream<Uint8Array>, sink: { text: string }): Promise<void> {
  return (async () => {
    const dec = new TextDecoder();
    for await (const chunk of stream) sink.text += dec.decode(chunk, { stream: true });
    sink.text += dec.decode();
  })();
}

/** A port nothing listens on right now (listen on port 0, read the port, close). */
const freePort = closedPort;

function spawnServe(sb: Sandbox, args: string[], env: Record<string, string> = {}): ServeProcess {
  const portIndex = args.indexOf("--port");
  const port = portIndex >= 0 ? Number(args[portIndex + 1]) : 8082;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "serve", ...args],
    env: sb.env(env),
    clearEnv: true,
    cwd: sb.dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = { text: "" };
  const err = { text: "" };
  const reading = Promise.all([drain(child.stdout, out), drain(child.stderr, err)]);
  const exited = (async () => {
    const status = await child.status;
    await reading;
    return status;
  })();
  let done = false;
  exited.then(() => (done = true));
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    stdout: () => out.text,
    stderr: () => err.text,
    exited,
    async stop(signal: Deno.Signal = "SIGTERM") {
      if (!done) {
        try {
          child.kill(signal);
        } catch { /* already exited */ }
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((r) => {
        timer = setTimeout(() => r("timeout"), STOP_TIMEOUT_MS);
      });
      const first = await Promise.race([exited, timeout]);
      clearTimeout(timer);
      if (first === "timeout") {
        try {
          child.kill("SIGKILL");
        } catch { /* raced with exit */ }
        return { status: await exited, timedOut: true };
      }
      return { status: first, timedOut: false };
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until GET /health answers 200, failing early when the process exits. */
async function waitHealthy(serve: ServeProcess): Promise<void> {
  let exited = false;
  serve.exited.then(() => (exited = true));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited) {
      const status = await serve.exited;
      assert.fail(`ccgate serve exited with ${status.code} before answering:\n${serve.stderr()}`);
    }
    try {
      const res = await fetch(`${serve.url}/health`, { signal: AbortSignal.timeout(1000) });
      const body = await res.text();
      if (res.status === 200) {
        assert.deepEqual(JSON.parse(body), { status: "ok" });
        return;
      }
    } catch { /* not listening yet */ }
    await sleep(100);
  }
  assert.fail(
    `ccgate serve did not answer /health within ${START_TIMEOUT_MS} ms:\n${serve.stderr()}`,
  );
}

/** Asserts a failed run printed exactly one clean `ccgate: …` line on stderr. */
function assertOneLineError(r: RunResult, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `exit code (stderr: ${r.stderr})`);
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0], /^ccgate: /);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at |Uncaught|^error: /m, "no stack trace");
}

/** Parses a rendered table into rows of cells (header and separator dropped). */
function tableRows(text: string, firstHeader: string): string[][] {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.startsWith(firstHeader));
  assert.ok(start >= 0, `table with ${firstHeader} in:\n${text}`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.trim()) break;
    rows.push(line.trim().split(/\s{2,}/));
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// 1. version, help, unknown commands and flags
// ---------------------------------------------------------------------------------------------

Deno.test("cli: --version and -V print the version and exit 0", async () => {
  const sb = await sandbox();
  try {
    for (const flag of ["--version", "-V", "version"]) {
      const r = await ccgate(sb, [flag]);
      assert.equal(r.code, 0, `${flag}: ${r.stderr}`);
      assert.equal(r.stdout.trim(), `ccgate ${VERSION}`, flag);
      assert.equal(r.stderr, "", flag);
    }
  } finally {
    await sb.cleanup();
  }
});

Deno.test("cli: --help works at the top and on every command, exit 0", async () => {
  const sb = await sandbox();
  try {
    const top = await ccgate(sb, ["--help"]);
    assert.equal(top.code, 0, top.stderr);
    assert.match(top.stdout, /^ccgate \S+ — /);
    for (const cmd of ["serve", "accounts", "status", "config", "code"]) {
      assert.match(top.stdout, new RegExp(`^  ${cmd}\\s`, "m"), `top help lists ${cmd}`);
    }
    const short = await ccgate(sb, ["-h"]);
    assert.equal(short.code, 0);
    assert.equal(short.stdout, top.stdout);

    const expected: Record<string, RegExp> = {
      serve: /^ccgate serve — run the gateway[\s\S]*--port N/,
      accounts: /^ccgate accounts — manage upstream accounts[\s\S]*accounts add/,
      status: /^ccgate status — [\s\S]*--url URL/,
      config: /^ccgate config — [\s\S]*config schema/,
      code: /^ccgate code — run Claude Code through the gateway[\s\S]*CCGATE_CLAUDE_BIN/,
    };
    const results = await Promise.all(
      Object.keys(expected).flatMap((cmd) => [
        ccgate(sb, [cmd, "--help"]).then((r) => ({ cmd, flag: "--help", r })),
        ccgate(sb, [cmd, "-h"]).then((r) => ({ cmd, flag: "-h", r })),
      ]),
    );
    for (const { cmd, flag, r } of results) {
      assert.equal(r.code, 0, `${cmd} ${flag}: exit ${r.code}, stderr ${r.stderr}`);
      assert.match(r.stdout, expected[cmd], `${cmd} ${flag}`);
      assert.equal(r.stderr, "", `${cmd} ${flag} prints nothing on stderr`);
    }
    // `serve --help` must print help, not start a server: it finished above, and made no KV.
    assert.equal(await Deno.stat(sb.data).then(() => true, () => false), false);
  } finally {
    await sb.cleanup();
  }
});

Deno.test("cli: an unknown command exits 2 with a one-line error", async () => {
  const sb = await sandbox();
  try {
    const r = await ccgate(sb, ["frobnicate"]);
    assertOneLineError(r, 2, /unknown command "frobnicate"/);
    assert.equal(r.stdout, "");
    const sub = await ccgate(sb, ["accounts", "frobnicate"]);
    assertOneLineError(sub, 2, /unknown subcommand "accounts frobnicate"/);
    const cfg = await ccgate(sb, ["config", "frobnicate"]);
    assertOneLineError(cfg, 2, /unknown subcommand "config frobnicate"/);
  } finally {
    await sb.cleanup();
  }
});

Deno.test("cli: an unknown flag exits 2 with a one-line error naming the flag", async () => {
  const sb = await sandbox();
  try {
    const cases = [
      ["--bogus"],
      ["serve", "--bogus"],
      ["status", "--bogus"],
      ["config", "check", "--bogus"],
      ["accounts", "list", "--bogus"],
    ];
    const results = await Promise.all(cases.map((args) => ccgate(sb, args)));
    results.forEach((r, i) => {
      assertOneLineError(r, 2, /--bogus/);
      assert.equal(r.stdout, "", `${cases[i].join(" ")} prints nothing on stdout`);
    });
    const badPort = await ccgate(sb, ["serve", "--port", "nope"]);
    assertOneLineError(badPort, 2, /--port: expected 0-65535, got "nope"/);
  } finally {
    await sb.cleanup();
  }
});

// ---------------------------------------------------------------------------------------------
// 2. config check / schema
// ---------------------------------------------------------------------------------------------

Deno.test("cli: config check accepts a valid file and describes it", async () => {
  const sb = await sandbox();
  try {
    const file = await sb.write(
      "good.yaml",
      [
        "server:",
        "  port: 9123",
        "providers:",
        "  - name: main",
        "    type: anthropic",
        "    accounts:",
        "      - name: a1",
        "        apiKey: sk-ant-config-check-0123456789",
        "",
      ].join("\n"),
    );
    const r = await ccgate(sb, ["config", "check", "--config", file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /config OK/);
    assert.ok(r.stdout.includes(file), "names the file");
    assert.match(r.stdout, /listen: 127\.0\.0\.1:9123/);
    assert.match(r.stdout, /provider main: anthropic https:\/\/api\.anthropic\.com, 1 account/);
    assert.ok(!r.stdout.includes("sk-ant-config-check-0123456789"), "no key in output");

    const short = await ccgate(sb, ["config", "check", "-c", file]);
    assert.equal(short.code, 0, short.stderr);
    assert.match(short.stdout, /config OK/);

    // Without a file: the environment quick start.
    const env = await ccgate(sb, ["config", "check"], { env: { ANTHROPIC_API_KEY: "k1,k2" } });
    assert.equal(env.code, 0, env.stderr);
    assert.match(env.stdout, /config OK \(no file/);
    assert.match(env.stdout, /provider anthropic: anthropic .*2 account\(s\)/);
  } finally {
    await sb.cleanup();
  }
});

Deno.test("cli: config check rejects an invalid file naming the file and the field", async () => {
  const sb = await sandbox();
  try {
    const bad = await sb.write("bad.yaml", "providers: [{name: a, type: nope}]\n");
    const r = await ccgate(sb, ["config", "check", "--config", bad]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, "");
    assert.ok(r.stderr.includes(bad), `stderr names the file: ${r.stderr}`);
    assert.ok(r.stderr.includes("providers[0].type"), `stderr names the field: ${r.stderr}`);
    assert.match(r.stderr, /^ccgate: invalid config/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");

    const broken = await sb.write("broken.yaml", "providers: [\n");
    const b = await ccgate(sb, ["config", "check", "-c", broken]);
    assert.equal(b.code, 1);
    assert.ok(b.stderr.includes(broken), b.stderr);
    assert.match(b.stderr, /cannot parse/);

    const missing = `${sb.dir}/missing.yaml`;
    const m = await ccgate(sb, ["config", "check", "-c", missing]);
    assert.equal(m.code, 1);
    assert.ok(m.stderr.includes(missing), m.stderr);

    const interp = await sb.write(
      "interp.yaml",
      "providers:\n  - name: a\n    type: anthropic\n    accounts: [{name: x, apiKey: '${CCGATE_TEST_MISSING_VAR}'}]\n",
    );
    const i = await ccgate(sb, ["config", "check", "-c", interp]);
    assert.equal(i.code, 1);
    assert.ok(i.stderr.includes("providers[0].accounts[0].apiKey"), i.stderr);
    assert.match(i.stderr, /CCGATE_TEST_MISSING_VAR/);
  } finally {
    await sb.cleanup();
  }
});

Deno.test("cli: config schema prints a JSON Schema", async () => {
  const sb = await sandbox();
  try {
    const r = await ccgate(sb, ["config", "schema"]);
    assert.equal(r.code, 0, r.stderr);
    const schema = JSON.parse(r.stdout);
    assert.equal(typeof schema.properties, "object");
    assert.ok(schema.properties !== null && !Array.isArray(schema.properties));
    for (const key of ["server", "providers", "auth"]) assert.ok(key in schema.properties, key);
  } finally {
    await sb.cleanup();
  }
});

// ---------------------------------------------------------------------------------------------
// 3. accounts add / list / disable / enable / remove
// ---------------------------------------------------------------------------------------------

Deno.test("cli: accounts add, list, disable, enable and remove through the KV", async () => {
  const sb = await sandbox();
  const KEY = "sk-ant-test-1234567890abcdef";
  const STDIN_KEY = "sk-ant-stdin-key-zyxwvutsrq9876";
  const outputs: RunResult[] = [];
  const run = async (args: string[], options: { stdin?: string } = {}) => {
    const r = await ccgate(sb, args, options);
    outputs.push(r);
    return r;
  };
  const listJson = async () => {
    const r = await run(["accounts", "list", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Record<string, unknown>[];
  };
  try {
    const empty = await run(["accounts", "list"]);
    assert.equal(empty.code, 0, empty.stderr);
    assert.match(empty.stdout, /No accounts/);

    const add = await run([
      "accounts",
      "add",
      "--provider",
      "anthropic",
      "--name",
      "work",
      "--key",
      KEY,
    ]);
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, /added anthropic\/work/);
    const kvStat = await Deno.stat(`${sb.data}/ccgate.kv`);
    assert.ok(kvStat.isFile, "the KV file lands in CCGATE_DATA_DIR");
    if (Deno.build.os !== "windows") {
      assert.equal(kvStat.mode! & 0o777, 0o600, "the KV file is owner-only");
    }

    const list = await run(["accounts", "list"]);
    assert.equal(list.code, 0, list.stderr);
    const rows = tableRows(list.stdout, "ACCOUNT");
    const work = rows.find((r) => r[0] === "anthropic/work");
    assert.ok(work, `anthropic/work listed:\n${list.stdout}`);
    assert.equal(work[1], "available");
    assert.equal(work[2], "kv");
    assert.ok(work[3].endsWith("cdef") && work[3] !== KEY, `masked key: ${work[3]}`);
    assert.match(work[3], /…|\*/, "the key is visibly masked");

    // --key - reads the key from standard input.
    const fromStdin = await run(["accounts", "add", "--name", "home", "--key", "-"], {
      stdin: `${STDIN_KEY}\n`,
    });
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    assert.match(fromStdin.stdout, /added anthropic\/home/);
    const noStdinKey = await run(["accounts", "add", "--name", "nokey", "--key", "-"], {
      stdin: "",
    });
    assertOneLineError(noStdinKey, 2, /no key on standard input/);
    const noKey = await run(["accounts", "add", "--name", "nokey"]);
    assertOneLineError(noKey, 2, /--key is required/);

    let json = await listJson();
    assert.deepEqual(json.map((a) => a.id).sort(), ["anthropic/home", "anthropic/work"]);
    const home = json.find((a) => a.id === "anthropic/home")!;
    assert.equal(home.status, "available");
    assert.equal(home.source, "kv");
    assert.ok(String(home.key).endsWith("9876") && home.key !== STDIN_KEY, `masked: ${home.key}`);

    const disable = await run(["accounts", "disable", "work"]);
    assert.equal(disable.code, 0, disable.stderr);
    assert.match(disable.stdout, /disabled anthropic\/work/);
    const afterDisable = await run(["accounts", "list"]);
    const disabledRow = tableRows(afterDisable.stdout, "ACCOUNT").find((r) =>
      r[0] === "anthropic/work"
    );
    assert.equal(disabledRow?.[1], "disabled", afterDisable.stdout);
    json = await listJson();
    assert.equal(json.find((a) => a.id === "anthropic/work")?.status, "disabled");
    assert.equal(json.find((a) => a.id === "anthropic/home")?.status, "available");

    const enable = await run(["accounts", "enable", "anthropic/work"]);
    assert.equal(enable.code, 0, enable.stderr);
    assert.match(enable.stdout, /enabled anthropic\/work/);
    json = await listJson();
    assert.equal(json.find((a) => a.id === "anthropic/work")?.status, "available");

    const remove = await run(["accounts", "remove", "work"]);
    assert.equal(remove.code, 0, remove.stderr);
    assert.match(remove.stdout, /removed anthropic\/work/);
    json = await listJson();
    assert.deepEqual(json.map((a) => a.id), ["anthropic/home"]);

    const again = await run(["accounts", "remove", "work"]);
    assert.notEqual(again.code, 0);
    assertOneLineError(again, again.code, /no stored account "work"/);

    const missingRef = await run(["accounts", "enable", "nobody"]);
    assertOneLineError(missingRef, 1, /no account "nobody"/);

    // `--name=` so a leading dash reaches the name check instead of the flag parser.
    for (const bad of ["bad name", "-dash-first", "a/b", "é", ".hidden"]) {
      const r = await run(["accounts", "add", `--name=${bad}`, "--key", "sk-ant-xxxxxxxxxxxxxxxx"]);
      assertOneLineError(r, 2, /account name/);
    }
    const unknown = await run([
      "accounts",
      "add",
      "--provider",
      "nope",
      "--name",
      "x",
      "--key",
      "sk-ant-xxxxxxxxxxxxxxxx",
    ]);
    assertOneLineError(unknown, 2, /unknown provider "nope"/);
    json = await listJson();
    assert.deepEqual(json.map((a) => a.id), ["anthropic/home"], "rejected adds stored nothing");

    for (const r of outputs) {
      for (const secret of [KEY, STDIN_KEY]) {
        assert.ok(!r.stdout.includes(secret), `full key in stdout:\n${r.stdout}`);
        assert.ok(!r.stderr.includes(secret), `full key in stderr:\n${r.stderr}`);
      }
    }
  } finally {
    await sb.cleanup();
  }
});

Deno.test("cli: accounts add to a subscription (claude-oauth) provider is rejected", async () => {
  const sb = await sandbox();
  try {
    const file = await sb.write(
      "oa.yaml",
      "providers:\n  - name: oa\n    type: claude-oauth\n",
    );
    const r = await ccgate(sb, [
      "accounts",
      "add",
      "-c",
      file,
      "--provider",
      "oa",
      "--name",
      "x",
      "--key",
      "sk-xxxxxxxxxxxxxxxxxxxx",
    ]);
    assert.equal(r.code, 2, r.stderr);
    // A warning log line about the provider type may come first; the error is the last line.
    assert.match(
      r.stderr.trimEnd().split("\n").at(-1)!,
      /^ccgate: provider "oa" holds subscription \(OAuth\) accounts/,
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  } finally {
    await sb.cleanup();
  }
});

// ---------------------------------------------------------------------------------------------
// 4. accounts verify
// ---------------------------------------------------------------------------------------------

Deno.test("cli: accounts verify reports ok / FAILED per account against the upstream", async () => {
  const sb = await sandbox();
  try {
    await using fake = await FakeUpstream.start((req) =>
      req.key === "bad" ? { kind: "error", status: 401 } : { kind: "text" }
    );
    const file = await sb.write(
      "verify.yaml",
      [
        "providers:",
        "  - name: anthropic",
        "    type: anthropic",
        `    baseUrl: ${fake.url}`,
        "    accounts:",
        "      - name: good",
        "        apiKey: good",
        "      - name: bad",
        "        apiKey: bad",
        "",
      ].join("\n"),
    );
    const r = await ccgate(sb, ["accounts", "verify", "--config", file]);
    assert.equal(r.code, 1, `exit 1 when any credential fails: ${r.stderr}`);
    const rows = tableRows(r.stdout, "ACCOUNT");
    const good = rows.find((row) => row[0] === "anthropic/good");
    const bad = rows.find((row) => row[0] === "anthropic/bad");
    assert.equal(good?.[1], "ok", r.stdout);
    assert.equal(good?.[2], "200", r.stdout);
    assert.equal(bad?.[1], "FAILED", r.stdout);
    assert.equal(bad?.[2], "401", r.stdout);
    assert.match(r.stderr, /some credentials failed verification/);
    assert.deepEqual(fake.requests.map((q) => q.key).sort(), ["bad", "good"]);
    for (const q of fake.requests) {
      assert.equal(q.method, "GET");
      assert.equal(q.path, "/v1/models");
    }

    const one = await ccgate(sb, ["accounts", "verify", "good", "-c", file]);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /anthropic\/good\s+ok/);
    assert.doesNotMatch(one.stdout, /anthropic\/bad/);

    const json = await ccgate(sb, ["accounts", "verify", "--json", "-c", file]);
    assert.equal(json.code, 1);
    const results = JSON.parse(json.stdout) as { id: string; ok: boolean; status?: number }[];
    assert.deepEqual(
      results.map((x) => [x.id, x.ok, x.status]).sort(),
      [["anthropic/bad", false, 401], ["anthropic/good", true, 200]],
    );

    const nobody = await ccgate(sb, ["accounts", "verify", "nobody", "-c", file]);
    assertOneLineError(nobody, 1, /no account "nobody"/);

    // An upstream nobody listens on is a failure too, not a hang or a crash.
    const down = await sb.write(
      "down.yaml",
      [
        "providers:",
        "  - name: down",
        "    type: anthropic",
        `    baseUrl: http://127.0.0.1:${closedPort()}`,
        "    accounts: [{name: x, apiKey: good}]",
        "",
      ].join("\n"),
    );
    const unreachable = await ccgate(sb, ["accounts", "verify", "-c", down]);
    assert.equal(unreachable.code, 1, unreachable.stderr);
    assert.match(unreachable.stdout, /down\/x\s+FAILED\s+-\s+cannot reach upstream/);
  } finally {
    await sb.cleanup();
  }
});

// ---------------------------------------------------------------------------------------------
// 5. serve
// ---------------------------------------------------------------------------------------------

Deno.test("cli: serve runs a pool from the environment, status shows it, SIGTERM stops cleanly", async () => {
  const sb = await sandbox();
  await using fake = await FakeUpstream.start();
  const port = freePort();
  const serve = spawnServe(sb, ["--port", String(port)], {
    ANTHROPIC_API_KEY: "k1,k2",
    ANTHROPIC_UPSTREAM_URL: fake.url,
  });
  try {
    await waitHealthy(serve);

    const res = await post(`${serve.url}/v1/messages`, messageBody());
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.type, "message");
    assert.equal(body.content[0].text, "Hello from the fake upstream.");
    const seen = fake.requests.filter((q) => q.path === "/v1/messages");
    assert.equal(seen.length, 1);
    assert.ok(["k1", "k2"].includes(seen[0].key ?? ""), `fake saw key ${seen[0].key}`);

    const statusRes = await fetch(`${serve.url}/status`);
    const status = await statusRes.json();
    assert.equal(statusRes.status, 200);
    assert.equal(status.totals.accounts, 2);
    assert.equal(status.providers[0].name, "anthropic");
    assert.equal(status.providers[0].accounts, 2);

    const cli = await ccgate(sb, ["status", "--url", serve.url]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, new RegExp(`at ${serve.url.replaceAll(".", "\\.")}: ok`));
    const accountRows = tableRows(cli.stdout, "ACCOUNT");
    assert.deepEqual(accountRows.map((r) => r[0]).sort(), [
      "anthropic/anthropic-1",
      "anthropic/anthropic-2",
    ]);
    assert.ok(!/\bk1\b|\bk2\b/.test(accountRows.map((r) => r[2]).join(" ")), "keys masked");
    const header = cli.stdout.split("\n").find((l) => l.startsWith("ACCOUNT"))!.trim().split(
      /\s{2,}/,
    );
    const requestsColumn = header.indexOf("REQUESTS");
    const used = accountRows.reduce((n, r) => n + Number(r[requestsColumn]), 0);
    assert.equal(used, 1, `one request counted:\n${cli.stdout}`);

    const json = await ccgate(sb, ["status", "--url", serve.url, "--json"]);
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout);
    assert.equal(parsed.status.totals.accounts, 2);
    assert.equal(parsed.accounts.length, 2);

    const { status: exit, timedOut } = await serve.stop("SIGTERM");
    assert.ok(!timedOut, `serve did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM`);
    assert.equal(exit.code, 0, `exit code after SIGTERM; stderr:\n${serve.stderr()}`);
    assert.match(serve.stderr(), /"msg":"ccgate listening"/);
    assert.match(serve.stderr(), /"msg":"stopped"/, `a "stopped" log line:\n${serve.stderr()}`);
    assert.ok(!serve.stderr().includes("k1,k2"));
  } finally {
    await serve.stop("SIGKILL");
    await sb.cleanup();
  }
});

Deno.test("cli: CCGATE_UPSTREAM_CLIENT=fetch serves answers and streams through fetch", async () => {
  const sb = await sandbox();
  // Events a few ms apart: the stream arrives in many reads, each into the relay's one buffer.
  await using fake = await FakeUpstream.start(() => ({
    kind: "text",
    text: "one two three four five six",
    eventDelayMs: 3,
  }));
  const port = freePort();
  const serve = spawnServe(sb, ["--port", String(port)], {
    ANTHROPIC_API_KEY: "k1",
    ANTHROPIC_UPSTREAM_URL: fake.url,
    CCGATE_UPSTREAM_CLIENT: "fetch",
  });
  try {
    await waitHealthy(serve);
    const json = await post(`${serve.url}/v1/messages`, messageBody());
    assert.equal(json.status, 200);
    assert.equal((await json.json()).content[0].text, "one two three four five six");

    const res = await post(`${serve.url}/v1/messages`, messageBody({ stream: true }));
    assert.equal(res.status, 200);
    const events = parseSse(await res.text());
    assert.equal(events[0].event, "message_start");
    assert.equal(events.at(-1)?.event, "message_stop");
    const text = events.filter((e) => e.data?.delta?.type === "text_delta")
      .map((e) => e.data.delta.text).join("");
    assert.equal(text, "one two three four five six", "every delta, in order, intact");
    // fetch asks for compressed answers; ccgate's own client asks for identity.
    const seen = fake.requests.filter((q) => q.path === "/v1/messages");
    assert.equal(seen.length, 2);
    for (const q of seen) assert.notEqual(q.headers.get("accept-encoding"), "identity");
  } finally {
    await serve.stop("SIGKILL");
    await sb.cleanup();
  }
});

Deno.test("cli: status without a running gateway exits 1 with a clear message", async () => {
  const sb = await sandbox();
  try {
    const url = `http://127.0.0.1:${closedPort()}`;
    const r = await ccgate(sb, ["status", "--url", url]);
    assertOneLineError(r, 1, /cannot reach the gateway at http:\/\/127\.0\.0\.1:\d+.*ccgate serve/);
  } finally {
    await sb.cleanup();
  }
});

Deno.test("cli: serve --host 0.0.0.0 without PROXY_API_KEY refuses to start", async () => {
  const sb = await sandbox();
  try {
    const r = await ccgate(sb, ["serve", "--host", "0.0.0.0", "--port", String(freePort())], {
      env: { ANTHROPIC_API_KEY: "k1" },
      timeoutMs: 20_000,
    });
    assertOneLineError(r, 1, /client auth/);
    assert.match(r.stderr, /PROXY_API_KEY/);
  } finally {
    await sb.cleanup();
  }
});

Deno.test("cli: serve refuses an upstream that points at the gateway itself", async () => {
  const sb = await sandbox();
  try {
    const port = freePort();
    const file = await sb.write(
      "loop.yaml",
      [
        "providers:",
        "  - name: loopy",
        "    type: anthropic",
        `    baseUrl: http://127.0.0.1:${port}`,
        "    accounts: [{name: a, apiKey: sk-ant-loop-0123456789}]",
        "",
      ].join("\n"),
    );
    const r = await ccgate(sb, ["serve", "--port", String(port), "--config", file], {
      timeoutMs: 20_000,
    });
    assertOneLineError(r, 1, /points at this gateway itself/);
    assert.match(r.stderr, /loopy/);
    // The same loop through the environment quick start.
    const e = await ccgate(sb, ["serve", "--port", String(port)], {
      env: { ANTHROPIC_API_KEY: "k1", ANTHROPIC_UPSTREAM_URL: `http://localhost:${port}` },
      timeoutMs: 20_000,
    });
    assertOneLineError(e, 1, /points at this gateway itself/);
  } finally {
    await sb.cleanup();
  }
});

Deno.test("cli: serve with PROXY_API_KEY requires the client key (x-api-key or Bearer)", async () => {
  const sb = await sandbox();
  await using fake = await FakeUpstream.start();
  const port = freePort();
  const CLIENT_KEY = "client-key-0123456789";
  const serve = spawnServe(sb, ["--port", String(port)], {
    ANTHROPIC_API_KEY: "k1",
    ANTHROPIC_UPSTREAM_URL: fake.url,
    PROXY_API_KEY: CLIENT_KEY,
  });
  try {
    await waitHealthy(serve);

    const attempts: Record<string, string>[] = [{}, { "x-api-key": "wrong-key-0123456789" }];
    for (const headers of attempts) {
      const res = await post(`${serve.url}/v1/messages`, messageBody(), headers);
      assert.equal(res.status, 401);
      const body = await res.json();
      assert.equal(body.type, "error");
      assert.equal(body.error.type, "authentication_error");
      assert.equal(typeof body.error.message, "string");
    }
    assert.equal(fake.requests.length, 0, "rejected requests never reach the upstream");

    const withKey = await post(`${serve.url}/v1/messages`, messageBody(), {
      "x-api-key": CLIENT_KEY,
    });
    assert.equal(withKey.status, 200, await withKey.clone().text());
    await withKey.body?.cancel();
    const bearer = await post(`${serve.url}/v1/messages`, messageBody(), {
      authorization: `Bearer ${CLIENT_KEY}`,
    });
    assert.equal(bearer.status, 200, await bearer.clone().text());
    await bearer.body?.cancel();
    assert.deepEqual(
      fake.requests.map((q) => q.key),
      ["k1", "k1"],
      "upstream gets the account key",
    );

    // The status API needs the key too; `ccgate status` reads it from PROXY_API_KEY.
    const anon = await fetch(`${serve.url}/status`);
    assert.equal(anon.status, 401);
    await anon.body?.cancel();
    const denied = await ccgate(sb, ["status", "--url", serve.url]);
    assertOneLineError(denied, 1, /answered 401/);
    const allowed = await ccgate(sb, ["status", "--url", serve.url], {
      env: { PROXY_API_KEY: CLIENT_KEY },
    });
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stdout, /anthropic\/anthropic-1/);
    assert.ok(!allowed.stdout.includes(CLIENT_KEY));

    // Ctrl-C stops as cleanly as SIGTERM.
    const { status, timedOut } = await serve.stop("SIGINT");
    assert.ok(!timedOut, "serve exits after SIGINT");
    assert.match(serve.stderr(), /"msg":"stopped"/);
    assert.equal(status.code, 0, serve.stderr());
  } finally {
    await serve.stop("SIGKILL");
    await sb.cleanup();
  }
});

Deno.test("cli: accounts changes reach a running gateway through the shared KV", async () => {
  const sb = await sandbox();
  await using fake = await FakeUpstream.start();
  const port = freePort();
  const LIVE_KEY = "sk-ant-live-0123456789abcd";
  // The provider (pointing at the fake) comes from the file; its account only from the KV.
  const file = await sb.write(
    "live.yaml",
    [
      "state:",
      "  syncIntervalMs: 100",
      "providers:",
      "  - name: anthropic",
      "    type: anthropic",
      `    baseUrl: ${fake.url}`,
      "",
    ].join("\n"),
  );
  const serve = spawnServe(sb, ["--port", String(port), "--config", file]);
  const accounts = async () => {
    const res = await fetch(`${serve.url}/status/accounts`);
    assert.equal(res.status, 200);
    return (await res.json()).accounts as { id: string; status: string; source: string }[];
  };
  const eventually = async (
    what: string,
    ok: (a: Awaited<ReturnType<typeof accounts>>) => boolean,
  ) => {
    const deadline = Date.now() + 15_000;
    let last: unknown;
    while (Date.now() < deadline) {
      const a = await accounts();
      if (ok(a)) return;
      last = a;
      await sleep(100);
    }
    assert.fail(`${what}: gateway still shows ${JSON.stringify(last)}`);
  };
  try {
    await waitHealthy(serve);
    assert.deepEqual(await accounts(), []);

    const add = await ccgate(sb, [
      "accounts",
      "add",
      "-c",
      file,
      "--name",
      "live",
      "--key",
      LIVE_KEY,
    ]);
    assert.equal(add.code, 0, add.stderr);
    await eventually("added account", (a) => a.length === 1 && a[0].id === "anthropic/live");
    const res = await post(`${serve.url}/v1/messages`, messageBody());
    assert.equal(res.status, 200, await res.clone().text());
    await res.body?.cancel();
    assert.equal(fake.requests.at(-1)?.key, LIVE_KEY, "the stored key is used upstream");

    const disable = await ccgate(sb, ["accounts", "disable", "live", "-c", file]);
    assert.equal(disable.code, 0, disable.stderr);
    await eventually("disabled account", (a) => a[0]?.status === "disabled");
    const refused = await post(`${serve.url}/v1/messages`, messageBody());
    assert.notEqual(refused.status, 200, "a disabled account is not used");
    await refused.body?.cancel();
    assert.equal(fake.requests.filter((q) => q.path === "/v1/messages").length, 1);

    const enable = await ccgate(sb, ["accounts", "enable", "live", "-c", file]);
    assert.equal(enable.code, 0, enable.stderr);
    await eventually("enabled account", (a) => a[0]?.status === "available");

    const remove = await ccgate(sb, ["accounts", "remove", "live", "-c", file]);
    assert.equal(remove.code, 0, remove.stderr);
    await eventually("removed account", (a) => a.length === 0);

    const { status, timedOut } = await serve.stop("SIGTERM");
    assert.ok(!timedOut);
    assert.equal(status.code, 0, serve.stderr());
    assert.ok(!serve.stderr().includes(LIVE_KEY), "the key never appears in the logs");
  } finally {
    await serve.stop("SIGKILL");
    await sb.cleanup();
  }
});

Deno.test("cli: --kv points accounts at another KV file", async () => {
  const sb = await sandbox();
  try {
    const kv = `${sb.dir}/other/state.kv`;
    const add = await ccgate(sb, [
      "accounts",
      "add",
      "--kv",
      kv,
      "--name",
      "elsewhere",
      "--key",
      "sk-ant-elsewhere-0123456789",
    ]);
    assert.equal(add.code, 0, add.stderr);
    assert.ok((await Deno.stat(kv)).isFile, "KV created at --kv");
    const there = await ccgate(sb, ["accounts", "list", "--json", "--kv", kv]);
    assert.deepEqual(JSON.parse(there.stdout).map((a: { id: string }) => a.id), [
      "anthropic/elsewhere",
    ]);
    const viaEnv = await ccgate(sb, ["accounts", "list", "--json"], { env: { CCGATE_KV: kv } });
    assert.equal(JSON.parse(viaEnv.stdout).length, 1, "CCGATE_KV selects the same file");
    const defaultKv = await ccgate(sb, ["accounts", "list", "--json"]);
    assert.deepEqual(JSON.parse(defaultKv.stdout), [], "the default KV is untouched");
  } finally {
    await sb.cleanup();
  }
});

// ---------------------------------------------------------------------------------------------
// 6. code
// ---------------------------------------------------------------------------------------------

async function fakeClaude(sb: Sandbox, exitCode = 0): Promise<string> {
  const path = await sb.write(
    "claude",
    [
      "#!/bin/bash",
      "env | grep -E 'ANTHROPIC|CLAUDE_CODE' | sort",
      'for a in "$@"; do printf "ARG:%s\\n" "$a"; done',
      `exit ${exitCode}`,
      "",
    ].join("\n"),
  );
  await Deno.chmod(path, 0o755);
  return path;
}

function envLines(stdout: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const m = line.match(/^([A-Z_][A-Z0-9_]*)=(.*)$/);
    if (m) env[m[1]] = m[2];
  }
  return env;
}

Deno.test("cli: code runs claude against the gateway with the right environment", async () => {
  const sb = await sandbox();
  try {
    await using gw = await startTestGateway({});
    const claude = await fakeClaude(sb);
    const r = await ccgate(sb, ["code", "-p", "hello", "--model", "claude sonnet"], {
      env: {
        CCGATE_CLAUDE_BIN: claude,
        CCGATE_URL: gw.url,
        ANTHROPIC_AUTH_TOKEN: "must-not-leak-to-claude",
        CLAUDE_CODE_OAUTH_TOKEN: "must-not-leak-either",
      },
    });
    assert.equal(r.code, 0, r.stderr);
    const env = envLines(r.stdout);
    assert.equal(env.ANTHROPIC_BASE_URL, gw.url);
    assert.equal(env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC, "1");
    assert.equal(env.ANTHROPIC_API_KEY, "ccgate-no-client-auth", "placeholder without client auth");
    assert.equal(env.ANTHROPIC_AUTH_TOKEN, undefined, "the auth token is removed");
    assert.equal(env.CLAUDE_CODE_OAUTH_TOKEN, undefined, "the OAuth token is removed");
    const args = r.stdout.split("\n").filter((l) => l.startsWith("ARG:")).map((l) => l.slice(4));
    assert.deepEqual(args, ["-p", "hello", "--model", "claude sonnet"], "args passed unchanged");

    // The client key goes to claude as its API key.
    const withKey = await ccgate(sb, ["code", "-p", "hi"], {
      env: { CCGATE_CLAUDE_BIN: claude, CCGATE_URL: gw.url, PROXY_API_KEY: "client-key-abcdefgh" },
    });
    assert.equal(withKey.code, 0, withKey.stderr);
    assert.equal(envLines(withKey.stdout).ANTHROPIC_API_KEY, "client-key-abcdefgh");

    // claude's exit code is ccgate's exit code.
    const failing = await fakeClaude(sb, 3);
    const three = await ccgate(sb, ["code", "-p", "x"], {
      env: { CCGATE_CLAUDE_BIN: failing, CCGATE_URL: gw.url },
    });
    assert.equal(three.code, 3, three.stderr);

    const missingBin = await ccgate(sb, ["code"], {
      env: { CCGATE_CLAUDE_BIN: `${sb.dir}/no-such-claude`, CCGATE_URL: gw.url },
    });
    assertOneLineError(missingBin, 1, /cannot find .*no-such-claude.*CCGATE_CLAUDE_BIN/);
  } finally {
    await sb.cleanup();
  }
});

Deno.test("cli: code without a running gateway exits 1 with a clear message", async () => {
  const sb = await sandbox();
  try {
    const claude = await fakeClaude(sb);
    const url = `http://127.0.0.1:${closedPort()}`;
    const r = await ccgate(sb, ["code", "-p", "hello"], {
      env: { CCGATE_CLAUDE_BIN: claude, CCGATE_URL: url },
    });
    assertOneLineError(r, 1, new RegExp(`no gateway answers at ${url.replaceAll(".", "\\.")}`));
    assert.match(r.stderr, /ccgate serve/);
    assert.doesNotMatch(r.stdout, /ARG:/, "claude is not started");
  } finally {
    await sb.cleanup();
  }
});

// ---------------------------------------------------------------------------------------------
// Known bugs (kept as tests, ignored until fixed)
// ---------------------------------------------------------------------------------------------

Deno.test({
  name: "cli: accounts add rejects a non-numeric or out-of-range --weight / --priority",
  // Regression (fixed): src/cli/accounts_cmd.ts stores `Number(values.weight)` / `Number(values.priority)`
  // unchecked: `--weight abc`, `--weight 0`, `--weight -1`, `--priority abc`, `--priority 1.5`
  // all exit 0 ("added …") and store NaN / invalid numbers that the config schema would reject
  // (weight: positive int, priority: int). With `--priority abc` on a `strategy: priority`
  // provider every /v1/messages request then fails with 500 "internal gateway error"
  // (TypeError: Cannot read properties of undefined (reading 'name') in pool.ts pickWeighted).
  fn: async () => {
    const sb = await sandbox();
    try {
      const cases = [
        ["--weight", "abc"],
        ["--weight", "0"],
        ["--weight", "-1"],
        ["--priority", "abc"],
        ["--priority", "1.5"],
      ];
      for (const [flag, value] of cases) {
        const r = await ccgate(sb, [
          "accounts",
          "add",
          "--name",
          "w",
          "--key",
          "sk-ant-weight-0123456789abcdef",
          `${flag}=${value}`,
        ]);
        assertOneLineError(r, 2, new RegExp(flag));
      }
      const list = await ccgate(sb, ["accounts", "list", "--json"]);
      assert.deepEqual(JSON.parse(list.stdout), [], "nothing stored");
    } finally {
      await sb.cleanup();
    }
  },
});

Deno.test({
  name: "cli: status --url accepts a URL with a trailing slash",
  // Regression (fixed): src/cli/status_cmd.ts builds `url + path`, so `ccgate status --url http://127.0.0.1:N/`
  // requests `//status`, and exits 1 with
  // "ccgate: http://127.0.0.1:N//status answered 404: … no route for GET //status"
  // instead of printing the status (it works without the trailing slash).
  fn: async () => {
    const sb = await sandbox();
    try {
      await using fake = await FakeUpstream.start();
      await using gw = await startTestGateway({
        providers: [{ name: "anthropic", type: "anthropic", baseUrl: fake.url, accounts: [] }],
      });
      const r = await ccgate(sb, ["status", "--url", `${gw.url}/`]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /: ok|: no_accounts/);
    } finally {
      await sb.cleanup();
    }
  },
});

Deno.test({
  name: "cli: a flag missing its value gets a one-line error",
  // Regression (fixed): parse errors are printed as-is from node:util parseArgs, which can span several lines:
  // `ccgate accounts add --name -x --key k` exits 2 but stderr is three lines
  // ("Option '--name' argument is ambiguous.\nDid you forget to specify …\nTo specify an option
  // argument starting with a dash use '--name=-XYZ'. (see --help)"), contrary to CliError's
  // "prints as one line" contract.
  fn: async () => {
    const sb = await sandbox();
    try {
      const r = await ccgate(sb, [
        "accounts",
        "add",
        "--name",
        "-x",
        "--key",
        "sk-ant-x0123456789",
      ]);
      assertOneLineError(r, 2, /--name/);
    } finally {
      await sb.cleanup();
    }
  },
});

Deno.test({
  name: "cli: code refuses a URL whose /health is not the gateway's 200",
  // Regression (fixed): src/cli/code_cmd.ts only checks that *something* answers `${url}/health` (any status):
  // with CCGATE_URL pointing at a server that answers 404 (wrong port, another service), `ccgate
  // code` still starts claude with ANTHROPIC_BASE_URL set to it and the client key as
  // ANTHROPIC_API_KEY, instead of exiting 1 with "no gateway answers at …".
  fn: async () => {
    const sb = await sandbox();
    try {
      await using other = await FakeUpstream.start(() => ({ kind: "error", status: 404 }));
      const claude = await fakeClaude(sb);
      const r = await ccgate(sb, ["code", "-p", "hello"], {
        env: { CCGATE_CLAUDE_BIN: claude, CCGATE_URL: other.url },
      });
      assert.equal(r.code, 1, `exit code; stdout:\n${r.stdout}`);
      assert.doesNotMatch(r.stdout, /ARG:/, "claude is not started");
      assert.match(r.stderr, /no gateway answers at/);
    } finally {
      await sb.cleanup();
    }
  },
});
