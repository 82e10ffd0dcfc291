/**
 * The real Claude Code CLI through the gateway (opt-in: `deno task e2e`, or CCGATE_E2E=1).
 * Installs `@anthropic-ai/claude-code` from npm into a cache directory on first use (or uses
 * CCGATE_CLAUDE_BIN), then runs `claude -p` against the gateway with fake upstreams: a 429 that
 * another account absorbs, and a tool round trip through an OpenAI-compatible upstream.
 */
import assert from "node:assert/strict";
import { FakeOpenAI } from "../helpers/fake_openai.ts";
import { FakeUpstream } from "../helpers/fake_upstream.ts";
import { anthropicProvider, startTestGateway } from "../helpers/gateway.ts";

const ENABLED = Deno.env.get("CCGATE_E2E") === "1";
const CLAUDE_VERSION = "2.1.329";

async function claudeBinary(): Promise<string> {
  const given = Deno.env.get("CCGATE_CLAUDE_BIN");
  if (given) return given;
  const dir = `${Deno.env.get("HOME") ?? "/tmp"}/.cache/ccgate-e2e/claude-${CLAUDE_VERSION}`;
  const bin = `${dir}/node_modules/.bin/claude`;
  try {
    await Deno.stat(bin);
    return bin;
  } catch { /* install below */ }
  await Deno.mkdir(dir, { recursive: true });
  const npm = await new Deno.Command("npm", {
    args: [
      "install",
      "--no-save",
      "--silent",
      "--prefix",
      dir,
      `@anthropic-ai/claude-code@${CLAUDE_VERSION}`,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(npm.code, 0, new TextDecoder().decode(npm.stderr));
  return bin;
}

async function runClaude(bin: string, gatewayUrl: string, args: string[]) {
  const home = await Deno.makeTempDir({ prefix: "ccgate-e2e-home-" });
  const cwd = await Deno.makeTempDir({ prefix: "ccgate-e2e-work-" });
  const out = await new Deno.Command(bin, {
    args: [...args, "--output-format", "json"],
    cwd,
    clearEnv: true,
    env: {
      PATH: "/usr/local/bin:/usr/bin:/bin",
      HOME: home,
      TERM: "dumb",
      LANG: "C.UTF-8",
      ANTHROPIC_BASE_URL: gatewayUrl,
      ANTHROPIC_API_KEY: "ccgate-client-key-1",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_TELEMETRY: "1",
    },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(90_000),
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(
    out.code,
    0,
    `claude exited ${out.code}: ${stdout}\n${new TextDecoder().decode(out.stderr)}`,
  );
  return JSON.parse(stdout);
}

Deno.test({
  name: "e2e: Claude Code never sees the 429 another account could serve",
  ignore: !ENABLED,
  fn: async () => {
    const bin = await claudeBinary();
    let first = true;
    await using fake = await FakeUpstream.start(() => {
      if (first) {
        first = false;
        return { kind: "error", status: 429, headers: { "retry-after": "30" } };
      }
      return { kind: "text", text: "Hello through ccgate." };
    });
    await using gw = await startTestGateway({
      auth: { clientKeys: ["ccgate-client-key-1"] },
      providers: [anthropicProvider("anthropic", fake.url, ["sk-ant-a", "sk-ant-b"])],
    });
    const result = await runClaude(bin, gw.url, ["-p", "say hello"]);
    assert.equal(result.is_error, false);
    assert.equal(result.result, "Hello through ccgate.");
    assert.deepEqual(fake.requests.map((r) => r.key), ["sk-ant-a", "sk-ant-b"]);
    assert.equal(fake.requests[1].search, "?beta=true");
  },
});

Deno.test({
  name: "e2e: Claude Code runs a tool round trip on an OpenAI-compatible upstream",
  ignore: !ENABLED,
  fn: async () => {
    const bin = await claudeBinary();
    await using fake = await FakeOpenAI.start((req) => {
      const last = req.body.messages.at(-1);
      if (last.role === "tool") {
        return { kind: "reply", text: `The command printed: ${String(last.content).trim()}` };
      }
      return {
        kind: "reply",
        text: "I'll run it.",
        reasoning: "Need to run echo.",
        toolCalls: [{
          id: "functions.Bash:0",
          name: "Bash",
          arguments: '{"command":"echo hello-from-tool","description":"print"}',
        }],
      };
    });
    await using gw = await startTestGateway({
      auth: { clientKeys: ["ccgate-client-key-1"] },
      aliases: { big: "gpt-5", middle: "gpt-5", small: "gpt-5-mini" },
      providers: [{
        name: "openai",
        type: "openai-compatible",
        baseUrl: `${fake.url}/v1`,
        accounts: [{ name: "o", apiKey: "sk-oai" }],
      }],
    });
    const result = await runClaude(bin, gw.url, [
      "-p",
      "run echo hello-from-tool",
      "--allowedTools",
      "Bash",
    ]);
    assert.equal(result.is_error, false);
    assert.equal(result.num_turns, 2);
    assert.equal(result.result, "The command printed: hello-from-tool");
    const second = fake.requests.at(-1)!.body.messages;
    assert.equal(second.at(-1).role, "tool");
    assert.equal(second.at(-1).content.trim(), "hello-from-tool");
    assert.equal(second.at(-2).tool_calls[0].id, second.at(-1).tool_call_id);
  },
});
