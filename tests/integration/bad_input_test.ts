import assert from "node:assert/strict";
import OpenAI from "openai";
import { FakeUpstream } from "../helpers/fake_upstream.ts";
import { anthropicProvider, messageBody, post, startTestGateway } from "../helpers/gateway.ts";

async function expectError(res: Response, status: number, type: string, message?: RegExp) {
  assert.equal(res.status, status);
  assert.match(res.headers.get("content-type") ?? "", /application\/json/);
  const body = await res.json();
  assert.equal(body.type, "error");
  assert.equal(body.error.type, type);
  if (message) assert.match(body.error.message, message);
  assert.doesNotMatch(JSON.stringify(body), /at \w+ \(|file:\/\//, "no stack trace");
}

Deno.test("bad input gets a clear Anthropic error and the gateway keeps serving", async () => {
  await using fake = await FakeUpstream.start();
  await using gw = await startTestGateway({
    server: { bodyLimit: "64kb" },
    auth: { clientKeys: ["client-key-0001"] },
    providers: [anthropicProvider("anthropic", fake.url, ["key-a"])],
  });
  const key = { "x-api-key": "client-key-0001" };
  await expectError(
    await post(`${gw.url}/v1/messages`, "{not json", key),
    400,
    "invalid_request_error",
    /not valid JSON/,
  );
  await expectError(
    await post(`${gw.url}/v1/messages`, "[1,2]", key),
    400,
    "invalid_request_error",
    /JSON object/,
  );
  await expectError(await post(`${gw.url}/v1/messages`, "", key), 400, "invalid_request_error");
  await expectError(
    await post(`${gw.url}/v1/messages`, { ...messageBody(), max_tokens: "ten" }, key),
    400,
    "invalid_request_error",
    /max_tokens/,
  );
  const { model: _m, ...noModel } = messageBody();
  await expectError(
    await post(`${gw.url}/v1/messages`, noModel, key),
    400,
    "invalid_request_error",
    /model: Field required/,
  );
  await expectError(
    await post(`${gw.url}/v1/messages`, { ...messageBody(), messages: "hi" }, key),
    400,
    "invalid_request_error",
    /messages/,
  );
  await expectError(
    await post(`${gw.url}/v1/nope`, messageBody(), key),
    404,
    "not_found_error",
    /no route/,
  );
  await expectError(
    await post(`${gw.url}/p/missing/v1/messages`, messageBody(), key),
    404,
    "not_found_error",
    /unknown profile/,
  );
  const huge = { ...messageBody(), messages: [{ role: "user", content: "x".repeat(100_000) }] };
  await expectError(await post(`${gw.url}/v1/messages`, huge, key), 413, "request_too_large");
  await expectError(
    await post(`${gw.url}/v1/messages`, messageBody()),
    401,
    "authentication_error",
  );
  await expectError(
    await post(`${gw.url}/v1/messages`, messageBody(), { "x-api-key": "wrong-key-0001" }),
    401,
    "authentication_error",
  );
  await expectError(
    await post(`${gw.url}/v1/messages`, messageBody(), {
      authorization: "Bearer wrong-key-0001",
    }),
    401,
    "authentication_error",
  );
  assert.equal(fake.requests.length, 0, "nothing bad reached the upstream");

  const ok = await post(`${gw.url}/v1/messages`, messageBody(), {
    authorization: "Bearer client-key-0001",
  });
  assert.equal(ok.status, 200, "still serving after all of that");
  await ok.body?.cancel();
  assert.equal(fake.requests.length, 1);
});

Deno.test("a bad Chat Completions request: the OpenAI SDK gets a 400 naming the parameter", async () => {
  await using fake = await FakeUpstream.start();
  await using gw = await startTestGateway({
    auth: { clientKeys: ["client-key-0001"] },
    providers: [anthropicProvider("anthropic", fake.url, ["key-a"])],
  });
  const client = new OpenAI({ apiKey: "client-key-0001", baseURL: `${gw.url}/v1`, maxRetries: 0 });
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ model: "m", messages: [{ role: "bot", content: "hi" }] }, "messages[0].role", /role must/],
    [{ model: "m", messages: [] }, "messages", /at least one message/],
    [{ messages: [{ role: "user", content: "hi" }] }, "model", /model: Field required/],
    [{ model: "m", messages: [{ role: "user", content: "hi" }], n: 2 }, "n", /n > 1/],
  ];
  for (const [body, param, message] of cases) {
    const error = await client.chat.completions.create(body as never).then(
      () => assert.fail(`accepted ${JSON.stringify(body)}`),
      (e) => e,
    );
    assert.ok(error instanceof OpenAI.BadRequestError, String(error));
    assert.equal(error.status, 400);
    assert.equal(error.type, "invalid_request_error");
    assert.equal(error.param, param);
    assert.match(error.message, message);
  }
  assert.equal(fake.requests.length, 0, "nothing bad reached the upstream");
});

Deno.test("status endpoints need the admin key when one is set and never show secrets", async () => {
  await using fake = await FakeUpstream.start();
  const secret = "sk-ant-api03-SECRETSECRETSECRET-abcd";
  await using gw = await startTestGateway({
    auth: { clientKeys: ["client-key-0001"], adminKey: "admin-key-0001" },
    providers: [anthropicProvider("anthropic", fake.url, [secret])],
  });
  for (const path of ["/status", "/status/accounts", "/account-limits"]) {
    await expectError(await fetch(gw.url + path), 401, "authentication_error");
    await expectError(
      await fetch(gw.url + path, { headers: { "x-api-key": "client-key-0001" } }),
      401,
      "authentication_error",
    );
  }
  const admin = { headers: { "x-api-key": "admin-key-0001" } };
  const bodies = await Promise.all(
    [
      "/status",
      "/status/accounts",
      "/status/accounts/anthropic-1",
      "/account-limits",
      "/account-limits?format=table",
    ].map(
      async (p) => {
        const res = await fetch(gw.url + p, admin);
        assert.equal(res.status, 200, p);
        return await res.text();
      },
    ),
  );
  for (const body of bodies) assert.ok(!body.includes("SECRETSECRET"), "secret masked");
  assert.match(bodies[1], /sk-ant-…abcd|sk-ant-api03-…abcd/);
  assert.match(bodies[4], /ACCOUNT\s+STATUS/);
  assert.match(bodies[4], /anthropic\/anthropic-1\s+available/);
  const summary = JSON.parse(bodies[0]);
  assert.equal(summary.totals.accounts, 1);
  assert.equal(summary.totals.available, 1);
  assert.equal(summary.providers[0].next_account, "anthropic-1");
  await expectError(
    await fetch(`${gw.url}/status/accounts/ghost/disable`, { method: "POST", ...admin }),
    404,
    "not_found_error",
  );
  const disabled = await (await fetch(`${gw.url}/status/accounts/anthropic-1/disable`, {
    method: "POST",
    ...admin,
  })).json();
  assert.equal(disabled.status, "disabled");
  const res = await post(`${gw.url}/v1/messages`, messageBody(), {
    "x-api-key": "client-key-0001",
  });
  await expectError(res, 503, "api_error", /1 disabled/);
  assert.ok(!gw.logs.join("").includes("SECRETSECRET"), "secret never logged");
});

Deno.test("a large body that is broken inside: forwarded as is on the fast path, 400 when a provider must parse it", async () => {
  await using fake = await FakeUpstream.start();
  const filler = "x".repeat(20_000);
  const broken =
    `{"model":"claude-sonnet-5-5","messages":[{"role":"user","content":"${filler}"]},"max_tokens":10,"stream":false}`;
  await using gw = await startTestGateway({
    providers: [
      anthropicProvider("anthropic", fake.url, ["key-a"]),
      {
        name: "zai",
        type: "anthropic-compatible",
        preset: "zai",
        baseUrl: fake.url,
        accounts: [{ name: "z", apiKey: "zk" }],
      },
    ],
    profiles: { zai: { chain: ["zai"] } },
  });
  // Anthropic gets the bytes untouched (it validates JSON itself and answers 400).
  const passed = await post(`${gw.url}/v1/messages`, broken);
  await passed.body?.cancel();
  assert.equal(fake.requests.length, 1);
  assert.equal(fake.requests[0].body, broken, "fast path forwards the exact bytes");
  // A provider that must rewrite the body finds it broken: a clear 400, no account blamed.
  await expectError(
    await post(`${gw.url}/p/zai/v1/messages`, broken),
    400,
    "invalid_request_error",
    /not valid JSON/,
  );
  assert.equal(fake.requests.length, 1, "nothing sent upstream");
  assert.equal(gw.gateway.findAccount("z")!.status(Date.now()), "available");
});
