/**
 * The bundle `deno task start` and the release binaries run (scripts/bundle.ts) behaves as the
 * source does, its on-demand chunks included: translation, the config schema's generator.
 */
import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { FakeOpenAI } from "../helpers/fake_openai.ts";
import { runBundleArgs, startGatewayProcess } from "../helpers/gateway_process.ts";
import { VERSION } from "../../src/version.ts";

async function runBundle(...args: string[]): Promise<{ code: number; stdout: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...await runBundleArgs(), ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
}

Deno.test("bundle: --version, and `config schema` (an on-demand chunk) prints docs/config.schema.json", async () => {
  const version = await runBundle("--version");
  assert.equal(version.code, 0);
  assert.equal(version.stdout.trim(), `ccgate ${VERSION}`);
  const schema = await runBundle("config", "schema");
  assert.equal(schema.code, 0);
  assert.deepEqual(
    JSON.parse(schema.stdout),
    JSON.parse(
      await Deno.readTextFile(new URL("../../docs/config.schema.json", import.meta.url)),
    ),
  );
});

Deno.test("bundle: serves both doors through an OpenAI-compatible upstream, translated both ways", async () => {
  await using fake = await FakeOpenAI.start(() => ({
    kind: "reply",
    text: "Hello from the bundle.",
    usage: { prompt_tokens: 30, completion_tokens: 5 },
  }));
  const dir = await Deno.makeTempDir({ prefix: "ccgate-bundle-test-" });
  const gateway = await startGatewayProcess(
    {
      providers: [{
        name: "openai",
        type: "openai-compatible",
        baseUrl: `${fake.url}/v1`,
        accounts: [{ name: "oa-1", apiKey: "sk-oa-bundle-1" }],
      }],
    },
    `${dir}/state.kv`,
    { LOG_LEVEL: "warn" },
  );
  try {
    const anthropic = new Anthropic({ apiKey: "x", baseURL: gateway.url, maxRetries: 0 });
    const message = await anthropic.messages.create({
      model: "claude-sonnet-5-5",
      max_tokens: 50,
      messages: [{ role: "user", content: "hi" }],
    });
    assert.deepEqual(message.content, [{ type: "text", text: "Hello from the bundle." }]);
    assert.equal(message.usage.output_tokens, 5);

    const stream = anthropic.messages.stream({
      model: "claude-sonnet-5-5",
      max_tokens: 50,
      messages: [{ role: "user", content: "hi" }],
    });
    let text = "";
    stream.on("text", (delta) => text += delta);
    const streamed = await stream.finalMessage();
    assert.equal(text, "Hello from the bundle.");
    assert.equal(streamed.stop_reason, "end_turn");
    assert.equal(fake.requests[1].path, "/v1/chat/completions");
    assert.equal(fake.requests[1].body.stream, true);

    const openai = new OpenAI({ apiKey: "x", baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    const completion = await openai.chat.completions.create({
      model: "gpt-test",
      messages: [{ role: "user", content: "hi" }],
    });
    assert.equal(completion.choices[0].message.content, "Hello from the bundle.");

    // Bad input still gets the caller's protocol error, not a stack trace.
    const bad = await fetch(`${gateway.url}/v1/messages`, { method: "POST", body: "{" });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).type, "error");
  } finally {
    const { code, stderr } = await gateway.stop();
    await Deno.remove(dir, { recursive: true });
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /sk-oa-bundle-1/);
  }
});
