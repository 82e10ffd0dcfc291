import assert from "node:assert/strict";
import { closedPort, FakeUpstream } from "../helpers/fake_upstream.ts";
import { FAST_PATH_MIN_BYTES } from "../../src/server/messages_door.ts";
import {
  anthropicProvider,
  bookkept,
  inPriorityOrder,
  messageBody,
  parseSse,
  post,
  startTestGateway,
} from "../helpers/gateway.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function requestLines(logs: string[]) {
  return logs.map((l) => JSON.parse(l)).filter((l) => l.msg === "request");
}

Deno.test("429 with retry-after moves to the next account; the first serves again after the reset", async () => {
  let limited = false;
  await using fake = await FakeUpstream.start((req) => {
    if (req.key === "key-a" && !limited) {
      limited = true;
      return { kind: "error", status: 429, headers: { "retry-after": "1" } };
    }
    return { kind: "text", text: `served by ${req.key}` };
  });
  await using gw = await startTestGateway({
    providers: [anthropicProvider("anthropic", fake.url, ["key-a", "key-b"])],
  });
  const res = await post(`${gw.url}/v1/messages`, messageBody());
  assert.equal(res.status, 200);
  assert.equal((await res.json()).content[0].text, "served by key-b");
  assert.equal(res.headers.get("x-ccgate-account"), "anthropic-2");

  const view = await (await fetch(`${gw.url}/status/accounts/anthropic-1`)).json();
  assert.equal(view.status, "rate_limited");
  assert.equal(view.cooldowns[0].model, "claude-sonnet-5-5");
  assert.ok(
    view.cooldowns[0].seconds_left <= 1,
    "cooldown follows retry-after, not a long default",
  );

  // While cooling down, every request goes to key-b.
  for (let i = 0; i < 3; i++) {
    await (await post(`${gw.url}/v1/messages`, messageBody())).body?.cancel();
  }
  assert.equal(fake.byKey("key-a").length, 1);

  await sleep(1100);
  const after = await (await fetch(`${gw.url}/status/accounts/anthropic-1`)).json();
  assert.equal(after.status, "available", "cooldown ended by itself at the reset");
  for (let i = 0; i < 2; i++) {
    await (await post(`${gw.url}/v1/messages`, messageBody())).body?.cancel();
  }
  assert.equal(fake.byKey("key-a").length, 2, "key-a serves again after its reset");
});

for (
  const [label, behaviour] of [
    ["529 overloaded", { kind: "error", status: 529 }],
    ["500 api_error", { kind: "error", status: 500 }],
    ["503", { kind: "error", status: 503 }],
    ["stream that opens with an error event", { kind: "stream-error", afterDeltas: -3 }],
  ] as const
) {
  Deno.test(`${label} fails over to the next account`, async () => {
    await using fake = await FakeUpstream.start((
      req,
    ) => (req.key === "key-a" ? behaviour : { kind: "text" }));
    await using gw = await startTestGateway({
      providers: [anthropicProvider("anthropic", fake.url, ["key-a", "key-b"])],
    });
    const res = await post(`${gw.url}/v1/messages`, messageBody({ stream: true }));
    assert.equal(res.status, 200);
    const events = parseSse(await res.text());
    assert.equal(events.at(-1)?.event, "message_stop");
    assert.equal(res.headers.get("x-ccgate-account"), "anthropic-2");
    assert.equal(fake.requests.length, 2);
  });
}

Deno.test("connection refused and timeouts fail over to the next provider", async () => {
  await using hanging = await FakeUpstream.start(() => ({ kind: "hang" }));
  await using live = await FakeUpstream.start();
  await using gw = await startTestGateway({
    timeouts: { connectMs: 300, requestMs: 300 },
    providers: [
      anthropicProvider("dead", `http://127.0.0.1:${closedPort()}`, ["key-dead"]),
      anthropicProvider("slow", hanging.url, ["key-slow"]),
      anthropicProvider("live", live.url, ["key-live"]),
    ],
  });
  for (const stream of [true, false]) {
    const res = await post(`${gw.url}/v1/messages`, messageBody({ stream }));
    assert.equal(res.status, 200);
    await res.text();
    assert.equal(res.headers.get("x-ccgate-provider"), "live");
  }
  await bookkept();
  const lines = requestLines(gw.logs);
  assert.match(lines[0].failovers.join(" "), /dead\/dead-1:server_error/);
  assert.match(lines[0].failovers.join(" "), /slow\/slow-1:server_error/);
  assert.equal(hanging.aborted >= 1, true, "the timed-out upstream request was cancelled");
});

Deno.test("client errors return as they are and are not retried elsewhere", async () => {
  for (const status of [400, 404, 413, 422]) {
    await using fake = await FakeUpstream.start(() => ({
      kind: "error",
      status,
      message: `bad ${status}`,
    }));
    await using gw = await startTestGateway({
      providers: [anthropicProvider("anthropic", fake.url, ["key-a", "key-b"])],
    });
    const res = await post(`${gw.url}/v1/messages`, messageBody());
    assert.equal(res.status, status);
    const body = await res.json();
    assert.equal(body.error.message, `bad ${status}`);
    assert.equal(fake.requests.length, 1, `${status} not retried`);
    assert.equal(gw.gateway.findAccount("anthropic-1")!.status(Date.now()), "available");
  }
});

Deno.test("401 marks the account auth_error and fails over; enable brings it back", async () => {
  let fixed = false;
  await using fake = await FakeUpstream.start((req) =>
    req.key === "key-a" && !fixed
      ? { kind: "error", status: 401, message: "invalid x-api-key" }
      : { kind: "text" }
  );
  await using gw = await startTestGateway({
    providers: [anthropicProvider("anthropic", fake.url, ["key-a", "key-b"])],
  });
  const res = await post(`${gw.url}/v1/messages`, messageBody());
  assert.equal(res.status, 200);
  await res.body?.cancel();
  const view = await (await fetch(`${gw.url}/status/accounts/anthropic-1`)).json();
  assert.equal(view.status, "auth_error");
  assert.match(view.auth_error, /invalid x-api-key/);
  for (let i = 0; i < 3; i++) {
    await (await post(`${gw.url}/v1/messages`, messageBody())).body?.cancel();
  }
  assert.equal(fake.byKey("key-a").length, 1, "an auth_error account is not scheduled");

  fixed = true;
  const enabled =
    await (await fetch(`${gw.url}/status/accounts/anthropic-1/enable`, { method: "POST" }))
      .json();
  assert.equal(enabled.status, "available");
  for (let i = 0; i < 2; i++) {
    await (await post(`${gw.url}/v1/messages`, messageBody())).body?.cancel();
  }
  assert.equal(fake.byKey("key-a").length, 2);
});

Deno.test("all accounts cooling down: a reset within maxWait is waited for", async () => {
  const limited = new Set<string>();
  await using fake = await FakeUpstream.start((req) => {
    if (!limited.has(req.key!)) {
      limited.add(req.key!);
      return { kind: "error", status: 429, headers: { "retry-after": "1" } };
    }
    return { kind: "text" };
  });
  await using gw = await startTestGateway({
    providers: [anthropicProvider("anthropic", fake.url, ["key-a", "key-b"])],
  });
  const res = await post(`${gw.url}/v1/messages`, messageBody());
  assert.equal(res.status, 200);
  await res.body?.cancel();
  assert.equal(fake.requests.length, 3);
  await bookkept();
  const line = requestLines(gw.logs)[0];
  assert.ok(line.waited_ms > 0, "the gateway waited for the reset");
});

Deno.test("all accounts exhausted beyond maxWait: 429 in Anthropic shape with retry-after of the soonest reset", async () => {
  await using fake = await FakeUpstream.start((req) => ({
    kind: "error",
    status: 429,
    headers: { "retry-after": req.key === "key-a" ? "300" : "200" },
  }));
  await using gw = await startTestGateway({
    failover: { maxWaitMs: 1000 },
    providers: [anthropicProvider("anthropic", fake.url, ["key-a", "key-b"])],
  });
  const res = await post(`${gw.url}/v1/messages`, messageBody());
  assert.equal(res.status, 429);
  const retryAfter = Number(res.headers.get("retry-after"));
  assert.ok(retryAfter > 190 && retryAfter <= 200, `retry-after ${retryAfter}`);
  assert.equal(res.headers.get("x-should-retry"), "false");
  const body = await res.json();
  assert.equal(body.type, "error");
  assert.equal(body.error.type, "rate_limit_error");
  assert.match(body.error.message, /rate limited/);
  // A second request does not touch the upstream at all: both accounts are cooling down.
  const again = await post(`${gw.url}/v1/messages`, messageBody());
  assert.equal(again.status, 429);
  await again.body?.cancel();
  assert.equal(fake.requests.length, 2);
});

Deno.test("a failure after bytes reached the client becomes an SSE error event", async () => {
  for (
    const [behaviour, expectType] of [
      [{ kind: "stream-error", afterDeltas: 2 }, "overloaded_error"],
      [{ kind: "truncate", afterDeltas: 2 }, "api_error"],
      [{ kind: "stall", afterDeltas: 2 }, "timeout_error"],
    ] as const
  ) {
    await using fake = await FakeUpstream.start(() => behaviour);
    await using gw = await startTestGateway({
      timeouts: { readMs: 300 },
      providers: [anthropicProvider("anthropic", fake.url, ["key-a", "key-b"])],
    });
    const res = await post(`${gw.url}/v1/messages`, messageBody({ stream: true }));
    assert.equal(res.status, 200);
    const events = parseSse(await res.text());
    assert.equal(events[0].event, "message_start");
    assert.equal(events.filter((e) => e.event === "content_block_delta").length, 2);
    const last = events.at(-1)!;
    assert.equal(last.event, "error", `${behaviour.kind} ends with an error event`);
    assert.equal(last.data.error.type, expectType);
    assert.equal(fake.requests.length, 1, "no failover once the client has bytes");
  }
});

Deno.test("sticky sessions keep their account and fall back when it is unavailable", async () => {
  const blocked = new Set<string>();
  await using fake = await FakeUpstream.start((req) =>
    blocked.has(req.key!)
      ? { kind: "error", status: 429, headers: { "retry-after": "60" } }
      : { kind: "text" }
  );
  await using gw = await startTestGateway({
    providers: [
      anthropicProvider("anthropic", fake.url, ["key-a", "key-b", "key-c"], { strategy: "sticky" }),
    ],
  });
  // `large` takes the door's fast path (body peeked at, parsed only when the session is asked).
  const accountFor = async (session: string, viaMetadata = false, large = false) => {
    const content = large ? "x".repeat(FAST_PATH_MIN_BYTES) : "hi";
    const body = viaMetadata
      ? messageBody({
        messages: [{ role: "user", content }],
        metadata: {
          user_id: JSON.stringify({ device_id: "d", account_uuid: "", session_id: session }),
        },
        // Last, as Claude Code sends it: what the fast path's peek needs.
        stream: false,
      })
      : messageBody();
    const res = await post(
      `${gw.url}/v1/messages`,
      body,
      viaMetadata ? {} : { "x-claude-code-session-id": session },
    );
    await res.body?.cancel();
    return res.headers.get("x-ccgate-account");
  };
  const s1 = await accountFor("s1");
  const s2 = await accountFor("s2");
  assert.notEqual(s1, s2, "new sessions spread over accounts");
  const s3 = await accountFor("s3", true, true);
  for (let i = 0; i < 4; i++) {
    assert.equal(await accountFor("s1"), s1);
    assert.equal(await accountFor("s2", true), s2, "session id from metadata.user_id");
    assert.equal(await accountFor("s3", true, true), s3, "and from a large body's metadata");
  }
  const s1Key = { "anthropic-1": "key-a", "anthropic-2": "key-b", "anthropic-3": "key-c" }[s1!]!;
  blocked.add(s1Key);
  const moved = await accountFor("s1");
  assert.notEqual(moved, s1, "falls back when its account is rate limited");
  assert.equal(await accountFor("s1"), moved, "and stays on the new account");
});

Deno.test("chain failover to a second provider with that provider's model mapping", async () => {
  await using primary = await FakeUpstream.start(() => ({
    kind: "error",
    status: 429,
    headers: { "retry-after": "600" },
  }));
  await using secondary = await FakeUpstream.start();
  await using gw = await startTestGateway({
    providers: [
      anthropicProvider("anthropic", primary.url, ["key-a", "key-b"]),
      {
        name: "zai",
        type: "anthropic-compatible",
        preset: "zai",
        baseUrl: secondary.url + "/api/anthropic",
        accounts: [{ name: "glm", apiKey: "zai-key" }],
      },
    ],
    routes: [{ match: "claude-*", chain: ["anthropic", "zai"] }],
  });
  const res = await post(
    `${gw.url}/v1/messages?beta=true`,
    messageBody({ stream: true, context_management: { edits: [] } }),
    {
      "anthropic-beta": "claude-code-20250219",
    },
  );
  assert.equal(res.status, 200);
  await res.text();
  assert.equal(res.headers.get("x-ccgate-provider"), "zai");
  assert.equal(primary.requests.length, 2, "both primary accounts tried first");
  const seen = secondary.requests[0];
  assert.equal(seen.path, "/api/anthropic/v1/messages");
  assert.equal(seen.json().model, "glm-4.7", "zai preset maps claude models to GLM");
  assert.equal(seen.headers.get("authorization"), "Bearer zai-key");
  assert.equal(seen.headers.get("anthropic-beta"), null, "zai preset strips betas");
  assert.equal("context_management" in seen.json(), false, "and Claude-only fields");
});

Deno.test("model fallback serves another family when a model's chain is exhausted", async () => {
  await using fake = await FakeUpstream.start((req) =>
    req.json().model.includes("opus")
      ? { kind: "error", status: 429, headers: { "retry-after": "600" } }
      : { kind: "text" }
  );
  await using gw = await startTestGateway({
    providers: [anthropicProvider("anthropic", fake.url, ["key-a"])],
    modelFallback: { "claude-opus-*": "claude-sonnet-5-5" },
  });
  const res = await post(`${gw.url}/v1/messages`, messageBody({ model: "claude-opus-5-5" }));
  assert.equal(res.status, 200);
  assert.equal((await res.json()).model, "claude-sonnet-5-5");
  assert.deepEqual(fake.requests.map((r) => r.json().model), [
    "claude-opus-5-5",
    "claude-sonnet-5-5",
  ]);
});

Deno.test("X-Account-Name pins one account; an unknown name is a 400", async () => {
  await using fake = await FakeUpstream.start();
  await using gw = await startTestGateway({
    providers: [anthropicProvider("anthropic", fake.url, ["key-a", "key-b", "key-c"])],
  });
  for (let i = 0; i < 3; i++) {
    const res = await post(`${gw.url}/v1/messages`, messageBody(), {
      "x-account-name": "anthropic-3",
    });
    await res.body?.cancel();
    assert.equal(res.headers.get("x-ccgate-account"), "anthropic-3");
  }
  assert.equal(fake.byKey("key-c").length, 3);
  assert.equal(
    fake.requests[0].headers.get("x-account-name"),
    null,
    "control header not forwarded",
  );
  const bad = await post(`${gw.url}/v1/messages`, messageBody(), { "x-account-name": "nope" });
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).error.type, "invalid_request_error");
});

Deno.test("circuit breaker opens after consecutive failures and a half-open probe closes it", async () => {
  let healthy = false;
  await using fake = await FakeUpstream.start((req) =>
    req.key === "key-a" && !healthy ? { kind: "error", status: 500 } : { kind: "text" }
  );
  await using gw = await startTestGateway({
    circuit: { failureThreshold: 2, openMs: 400 },
    providers: [
      anthropicProvider("anthropic", fake.url, [], inPriorityOrder(["a", "key-a"], ["b", "key-b"])),
    ],
  });
  for (let i = 0; i < 4; i++) {
    await (await post(`${gw.url}/v1/messages`, messageBody())).body?.cancel();
  }
  assert.equal(
    fake.byKey("key-a").length,
    2,
    "after 2 failures the circuit is open and key-a is skipped",
  );
  assert.equal(
    (await (await fetch(`${gw.url}/status/accounts/a`)).json()).status,
    "circuit_open",
  );
  healthy = true;
  await sleep(450);
  const res = await post(`${gw.url}/v1/messages`, messageBody());
  await res.body?.cancel();
  assert.equal(
    res.headers.get("x-ccgate-account"),
    "a",
    "half-open probe goes to the preferred account",
  );
  assert.equal((await (await fetch(`${gw.url}/status/accounts/a`)).json()).status, "available");
});

Deno.test("a server error is not retried on the same account within a request", async () => {
  await using fake = await FakeUpstream.start(() => ({
    kind: "error",
    status: 500,
    message: "upstream broke",
  }));
  await using gw = await startTestGateway({
    providers: [anthropicProvider("anthropic", fake.url, ["key-a"])],
  });
  const res = await post(`${gw.url}/v1/messages`, messageBody());
  assert.equal(res.status, 500, "the upstream's own answer, at once");
  assert.equal((await res.json()).error.message, "upstream broke");
  assert.equal(fake.requests.length, 1, "one upstream call: retrying is the client's to do");
  await bookkept();
  const line = requestLines(gw.logs)[0];
  assert.equal(line.attempts, 1);
  assert.equal(line.waited_ms, undefined, "nothing waited for");
});

Deno.test("an open circuit never refuses a call nothing else can serve: it is probed early", async () => {
  let healthy = false;
  await using fake = await FakeUpstream.start(() =>
    healthy ? { kind: "text" } : { kind: "error", status: 529 }
  );
  await using gw = await startTestGateway({
    circuit: { failureThreshold: 2, openMs: 60_000 },
    providers: [anthropicProvider("anthropic", fake.url, ["key-a"])],
  });
  for (let i = 0; i < 3; i++) {
    const res = await post(`${gw.url}/v1/messages`, messageBody());
    assert.equal(res.status, 529, "the upstream's overload, never a gateway 429");
    await res.body?.cancel();
  }
  assert.equal(fake.requests.length, 3, "one upstream call per request, open circuit or not");
  assert.equal(
    (await (await fetch(`${gw.url}/status/accounts/anthropic-1`)).json()).status,
    "circuit_open",
  );
  healthy = true;
  const res = await post(`${gw.url}/v1/messages`, messageBody());
  assert.equal(res.status, 200, "served as soon as the upstream recovered");
  await res.body?.cancel();
  assert.equal(
    (await (await fetch(`${gw.url}/status/accounts/anthropic-1`)).json()).status,
    "available",
    "the probe's success closed the circuit",
  );
});

Deno.test("an open circuit is probed only after the healthy accounts, once per request", async () => {
  await using fake = await FakeUpstream.start((req) =>
    req.key === "key-b" ? { kind: "text" } : { kind: "error", status: 500 }
  );
  await using gw = await startTestGateway({
    circuit: { failureThreshold: 1, openMs: 60_000 },
    providers: [
      anthropicProvider("anthropic", fake.url, [], inPriorityOrder(["a", "key-a"], ["b", "key-b"])),
    ],
  });
  for (let i = 0; i < 3; i++) {
    const res = await post(`${gw.url}/v1/messages`, messageBody());
    assert.equal(res.headers.get("x-ccgate-account"), "b");
    await res.body?.cancel();
  }
  assert.equal(fake.byKey("key-a").length, 1, "a's open circuit sends traffic to b");
});

Deno.test("a request the client abandons still gets its log line", async () => {
  await using fake = await FakeUpstream.start(() => ({ kind: "hang" }));
  await using gw = await startTestGateway({
    providers: [anthropicProvider("anthropic", fake.url, ["key-a"])],
  });
  await fetch(`${gw.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(messageBody()),
    signal: AbortSignal.timeout(300),
  }).catch(() => {});
  for (let i = 0; i < 50 && requestLines(gw.logs).length === 0; i++) await sleep(20);
  const [line] = requestLines(gw.logs);
  assert.equal(line?.status, 499);
  assert.equal(line.error, "client disconnected");
  assert.equal(line.account, "anthropic-1");
});

Deno.test("a client disconnect cancels the upstream request", async () => {
  await using fake = await FakeUpstream.start(() => ({
    kind: "text",
    text: "y".repeat(200),
    eventDelayMs: 100,
  }));
  await using gw = await startTestGateway({
    providers: [anthropicProvider("anthropic", fake.url, ["key-a"])],
  });
  const controller = new AbortController();
  const res = await fetch(`${gw.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(messageBody({ stream: true })),
    signal: controller.signal,
  });
  const reader = res.body!.getReader();
  await reader.read();
  assert.equal(fake.openStreams, 1);
  controller.abort();
  await reader.cancel().catch(() => {});
  for (let i = 0; i < 50 && fake.openStreams > 0; i++) await sleep(20);
  assert.equal(fake.openStreams, 0, "upstream stream closed after the client left");
  assert.equal(gw.gateway.findAccount("anthropic-1")!.runtime.inFlight, 0);
});
