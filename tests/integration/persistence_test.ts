import assert from "node:assert/strict";
import { startGatewayProcess } from "../helpers/gateway_process.ts";
import { FakeUpstream } from "../helpers/fake_upstream.ts";
import {
  anthropicProvider,
  inPriorityOrder,
  messageBody,
  post,
  startTestGateway,
} from "../helpers/gateway.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function limitKeyOnce(key: string, retryAfter = "60") {
  let done = false;
  return FakeUpstream.start((req) => {
    if (req.key === key && !done) {
      done = true;
      return { kind: "error", status: 429, headers: { "retry-after": retryAfter } };
    }
    return { kind: "text" };
  });
}

Deno.test("a restart keeps cooldowns, usage and manual state", async () => {
  await using fake = await limitKeyOnce("key-a");
  const config = {
    providers: [anthropicProvider("anthropic", fake.url, ["key-a", "key-b", "key-c"])],
  };
  await using first = await startTestGateway(config);
  await (await post(`${first.url}/v1/messages`, messageBody())).body?.cancel();
  await (await fetch(`${first.url}/status/accounts/anthropic-3/disable`, { method: "POST" })).body
    ?.cancel();
  await first.close(); // the second gateway reopens the same KV file
  await using second = await startTestGateway(config, { kvPath: first.kvPath });
  const a = await (await fetch(`${second.url}/status/accounts/anthropic-1`)).json();
  assert.equal(a.status, "rate_limited");
  assert.ok(a.cooldowns[0].seconds_left > 50 && a.cooldowns[0].seconds_left <= 60);
  const c = await (await fetch(`${second.url}/status/accounts/anthropic-3`)).json();
  assert.equal(c.status, "disabled");
  const b = await (await fetch(`${second.url}/status/accounts/anthropic-2`)).json();
  assert.equal(b.usage.requests, 1, "usage counters survive the restart");
  const before = fake.requests.length;
  for (let i = 0; i < 3; i++) {
    await (await post(`${second.url}/v1/messages`, messageBody())).body?.cancel();
  }
  assert.deepEqual(fake.requests.slice(before).map((r) => r.key), ["key-b", "key-b", "key-b"]);
});

Deno.test("editing the config file applies without a restart and keeps cooldowns", async () => {
  await using fake = await limitKeyOnce("key-a");
  const dir = await Deno.makeTempDir();
  const file = `${dir}/ccgate.yaml`;
  const yaml = (keys: string[]) =>
    `providers:\n  - name: anthropic\n    type: anthropic\n    baseUrl: ${fake.url}\n    accounts:\n` +
    keys.map((k, i) => `      - name: anthropic-${i + 1}\n        apiKey: ${k}\n`).join("");
  await Deno.writeTextFile(file, yaml(["key-a", "key-b"]));
  const { loadConfig } = await import("../../src/config/load.ts");
  const { startGateway } = await import("../../src/serve.ts");
  const loaded = await loadConfig({
    file,
    env: {},
    dotenvPath: false,
    flags: { server: { port: 0 }, kv: { path: `${dir}/s.kv` }, logging: { level: "error" } },
  });
  const running = await startGateway({
    config: loaded.config,
    configFile: file,
    loadOptions: {
      env: {},
      dotenvPath: false,
      flags: { server: { port: 0 }, kv: { path: `${dir}/s.kv` }, logging: { level: "error" } },
    },
  });
  try {
    await (await post(`${running.url}/v1/messages`, messageBody())).body?.cancel();
    assert.equal(running.gateway.findAccount("anthropic-1")!.status(Date.now()), "rate_limited");
    await Deno.writeTextFile(file, yaml(["key-a", "key-b", "key-c"]));
    for (let i = 0; i < 50 && running.gateway.accounts().length < 3; i++) await sleep(50);
    assert.equal(running.gateway.accounts().length, 3, "new account picked up");
    assert.equal(
      running.gateway.findAccount("anthropic-1")!.status(Date.now()),
      "rate_limited",
      "cooldown kept",
    );
    // A broken edit keeps the running config.
    await Deno.writeTextFile(file, "providers: [{name: x, type: nope}]\n");
    await sleep(400);
    assert.equal(running.gateway.accounts().length, 3);
  } finally {
    await running.shutdown();
  }
});

Deno.test("two gateway processes on one KV file honour each other's cooldowns", async () => {
  await using fake = await FakeUpstream.start((req) => {
    // key-a is limited on its first request, key-b on its second.
    const n = fake.byKey(req.key!).length; // includes this request
    if ((req.key === "key-a" && n === 1) || (req.key === "key-b" && n === 2)) {
      return { kind: "error", status: 429, headers: { "retry-after": "60" } };
    }
    return { kind: "text" };
  });
  const providers = [
    anthropicProvider(
      "anthropic",
      fake.url,
      [],
      inPriorityOrder(["a", "key-a"], ["b", "key-b"], ["c", "key-c"]),
    ),
  ];
  await using inProcess = await startTestGateway({ providers });
  const child = await startGatewayProcess(
    { providers, state: { syncIntervalMs: 200 } },
    inProcess.kvPath,
    { LOG_LEVEL: "warn" },
  );
  const other = child.url;
  try {
    // Process 1 learns that key-a is limited…
    const r1 = await post(`${inProcess.url}/v1/messages`, messageBody());
    await r1.body?.cancel();
    assert.equal(r1.headers.get("x-ccgate-account"), "b");
    await sleep(800);
    // …and process 2 does not try key-a.
    const before = fake.byKey("key-a").length;
    const r2 = await post(`${other}/v1/messages`, messageBody());
    await r2.body?.cancel();
    assert.equal(
      fake.byKey("key-a").length,
      before,
      "process 2 skipped the account process 1 saw limited",
    );
    // Process 2 now finds key-b limited (its 2nd request); process 1 must skip key-b after the sync.
    const r3 = await post(`${other}/v1/messages`, messageBody());
    await r3.body?.cancel();
    assert.equal(r3.headers.get("x-ccgate-account"), "c");
    await sleep(800);
    const beforeB = fake.byKey("key-b").length;
    const r4 = await post(`${inProcess.url}/v1/messages`, messageBody());
    await r4.body?.cancel();
    assert.equal(r4.headers.get("x-ccgate-account"), "c");
    assert.equal(
      fake.byKey("key-b").length,
      beforeB,
      "process 1 skipped the account process 2 saw limited",
    );
  } finally {
    const { code, stderr } = await child.stop();
    assert.equal(code, 0, `second process exited cleanly: ${stderr.slice(0, 500)}`);
  }
});
