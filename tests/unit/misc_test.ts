import assert from "node:assert/strict";
import { fingerprint, maskSecret, timingSafeEqual } from "../../src/util/secret.ts";
import { configureLogging, log, scrubSecrets, setLogSink } from "../../src/observability/log.ts";
import {
  maskKnownSecrets,
  maskKnownSecretsInBytes,
  rememberSecrets,
} from "../../src/observability/secrets.ts";
import { sessionIdFromUserId } from "../../src/protocol/anthropic_request.ts";
import { lastEventBoundary } from "../../src/upstream/relay.ts";
import { verdictFor, verdictForErrorType } from "../../src/upstream/outcome.ts";
import { applyAliases, type Plan, Router } from "../../src/routing/router.ts";
import { buildProviders } from "../../src/providers/registry.ts";
import { StateTable } from "../../src/pool/state_table.ts";
import { validateConfig } from "../../src/config/load.ts";

// ---------------------------------------------------------------- secrets

Deno.test("maskSecret never returns the whole secret", () => {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  for (let n = 1; n <= 60; n++) {
    for (const prefix of ["", "sk-", "sk-ant-", "sk-ant-api03-"]) {
      const secret = (prefix + alphabet).slice(0, Math.max(n, 1));
      const masked = maskSecret(secret);
      assert.notEqual(masked, secret, `length ${n}`);
      assert.ok(!masked.includes(secret), `masked ${masked} contains ${secret}`);
    }
  }
});

// Regression: short "sk-" secrets used to be shown whole ("sk-abcdef-…wxyz").
Deno.test({
  name: "maskSecret never shows every character of a secret",
  fn() {
    assert.notEqual(maskSecret("sk-abcdef-wxyz").replace("…", ""), "sk-abcdef-wxyz");
    const body = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (let len = 1; len <= 40; len++) {
      for (let dash = 3; dash < len; dash++) {
        const chars = ("sk-" + body).slice(0, len).split("");
        chars[dash] = "-";
        const secret = chars.join("");
        const shown = maskSecret(secret).replace("…", "").replace("****", "");
        assert.ok(shown.length < secret.length, `${secret} → ${maskSecret(secret)}`);
      }
    }
  },
});

Deno.test("maskSecret shows a short prefix and the last four characters", () => {
  assert.equal(maskSecret("sk-ant-api03-abcdefghijklmnopqrstuvwxyz"), "sk-ant-…wxyz");
  assert.equal(maskSecret("abcdefghijklmnopqrstuvwxyz"), "abc…wxyz");
  assert.equal(maskSecret("short"), "****");
  assert.equal(maskSecret(""), "");
  assert.equal(maskSecret(undefined), "");
  assert.equal(maskSecret(null), "");
});

Deno.test("timingSafeEqual compares strings", () => {
  assert.equal(timingSafeEqual("secret-key", "secret-key"), true);
  assert.equal(timingSafeEqual("", ""), true);
  assert.equal(timingSafeEqual("secret-key", "secret-kez"), false);
  assert.equal(timingSafeEqual("secret", "secret-key"), false);
  assert.equal(timingSafeEqual("secret-key", "secret"), false);
  assert.equal(timingSafeEqual("a", "a\0"), false);
  assert.equal(timingSafeEqual("", "x"), false);
  assert.equal(timingSafeEqual("ключ", "ключ"), true);
  assert.equal(timingSafeEqual("ключ", "ключь"), false);
});

Deno.test("fingerprint is a stable 8-hex-digit FNV-1a hash", () => {
  assert.equal(fingerprint(""), "811c9dc5");
  assert.equal(fingerprint("a"), "e40c292c");
  assert.equal(fingerprint("sk-ant-key-1"), fingerprint("sk-ant-key-1"));
  assert.notEqual(fingerprint("sk-ant-key-1"), fingerprint("sk-ant-key-2"));
  assert.match(fingerprint("sk-ant-key-1"), /^[0-9a-f]{8}$/);
  assert.ok(!fingerprint("sk-ant-key-1").includes("key"));
});

// ---------------------------------------------------------------- logging

Deno.test("scrubSecrets cuts sk- keys, Bearer tokens and JWTs", () => {
  const key = "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
  const scrubbed = scrubSecrets(`using key ${key} now`);
  assert.ok(!scrubbed.includes(key));
  assert.ok(!scrubbed.includes("QrStUvWxYz"));
  assert.match(scrubbed, /^using key sk-ant-ap… now$/);

  const bearer = scrubSecrets("Authorization: Bearer abcdefghijklmnopqrstuvwxyz.123");
  assert.equal(bearer, "Authorization: Bearer …");

  const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N";
  const scrubbedJwt = scrubSecrets(`token=${jwt}`);
  assert.ok(!scrubbedJwt.includes(jwt));
  assert.ok(!scrubbedJwt.includes("dozjgNryP4J3"));

  assert.equal(scrubSecrets("nothing secret here"), "nothing secret here");
  assert.equal(scrubSecrets("sk-short"), "sk-short", "too short to be a key");
});

Deno.test("scrubSecrets cuts Google API keys and key= query parameters", () => {
  const google = "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW";
  assert.equal(scrubSecrets(`bad key ${google}.`), "bad key AIza….");
  assert.equal(
    scrubSecrets("error sending request for url (https://x.test/v1?alt=sse&key=abcdef123456)"),
    "error sending request for url (https://x.test/v1?alt=sse&key=…)",
  );
});

Deno.test("known secrets are masked whatever their shape, and forgotten when replaced", () => {
  const odd = "zz-not-a-usual-key-shape-0042";
  try {
    rememberSecrets("test-owner", [odd, "short"]);
    assert.equal(maskKnownSecrets(`invalid x-api-key: ${odd}`), "invalid x-api-key: zz-n…");
    assert.equal(scrubSecrets(`reason: ${odd}`), "reason: zz-n…", "logs mask it too");
    assert.equal(maskKnownSecrets("short stays"), "short stays", "values under 8 chars ignored");
    const bytes = new TextEncoder().encode(`{"error":{"message":"key ${odd}"}}`);
    assert.equal(
      new TextDecoder().decode(maskKnownSecretsInBytes(bytes)),
      '{"error":{"message":"key zz-n…"}}',
    );
    const clean = new TextEncoder().encode('{"ok":true}');
    assert.equal(maskKnownSecretsInBytes(clean), clean, "untouched bytes are the same array");
    rememberSecrets("test-owner", []);
    assert.equal(maskKnownSecrets(odd), odd, "a forgotten owner's secrets are not masked");
  } finally {
    rememberSecrets("test-owner", []);
  }
});

Deno.test("log() writes a JSON line with secret fields redacted", () => {
  configureLogging({ level: "info", format: "json" });
  const lines: string[] = [];
  const restore = setLogSink((line) => lines.push(line));
  try {
    log("info", "account added", {
      apiKey: "plain-secret-value-123",
      authorization: "whatever-value",
      provider: "anthropic",
      account_name: "work",
      count: 3,
      skipped: undefined,
      err: new Error("boom"),
    });
    log("warn", "upstream said sk-ant-api03-AbCdEfGhIjKlMnOpQrSt", {});
    log("debug", "filtered out below the level", {});
  } finally {
    restore();
  }
  assert.equal(lines.length, 2);
  assert.ok(lines[0].endsWith("\n"));
  const first = JSON.parse(lines[0]);
  assert.equal(first.level, "info");
  assert.equal(first.msg, "account added");
  assert.equal(first.apiKey, "[redacted]");
  assert.equal(first.authorization, "[redacted]");
  assert.equal(first.provider, "anthropic");
  assert.equal(first.account_name, "work");
  assert.equal(first.count, 3);
  assert.equal(first.err, "boom");
  assert.ok(!("skipped" in first));
  assert.ok(!lines[0].includes("plain-secret-value-123"));
  assert.match(first.time, /^\d{4}-\d\d-\d\dT/);
  const second = JSON.parse(lines[1]);
  assert.equal(second.level, "warn");
  assert.ok(!lines[1].includes("AbCdEfGhIjKlMnOpQrSt"));
});

Deno.test("setLogSink's restore function puts the previous sink back", () => {
  configureLogging({ level: "info", format: "json" });
  const outer: string[] = [];
  const inner: string[] = [];
  const restoreOuter = setLogSink((l) => outer.push(l));
  try {
    const restoreInner = setLogSink((l) => inner.push(l));
    log("info", "to inner");
    restoreInner();
    log("info", "to outer");
  } finally {
    restoreOuter();
  }
  assert.equal(inner.length, 1);
  assert.equal(outer.length, 1);
  assert.equal(JSON.parse(outer[0]).msg, "to outer");
});

// ---------------------------------------------------------------- session id

Deno.test("sessionIdFromUserId reads the JSON form", () => {
  const userId = JSON.stringify({
    device_id: "d",
    account_uuid: "",
    session_id: "0d8c9a5e-1111-2222-3333-444455556666",
  });
  assert.equal(sessionIdFromUserId(userId), "0d8c9a5e-1111-2222-3333-444455556666");
  assert.equal(sessionIdFromUserId(JSON.stringify({ session_id: "" })), undefined);
  assert.equal(sessionIdFromUserId(JSON.stringify({ session_id: 5 })), undefined);
  assert.equal(sessionIdFromUserId(JSON.stringify({ device_id: "d" })), undefined);
  assert.equal(sessionIdFromUserId("{not json"), undefined);
});

Deno.test("sessionIdFromUserId reads the old _session_<uuid> form", () => {
  const session = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
  assert.equal(
    sessionIdFromUserId(
      `user_0123abcd_account_11111111-2222-3333-4444-555555555555_session_${session}`,
    ),
    session,
  );
  assert.equal(sessionIdFromUserId("user_0123abcd_account__session_"), undefined);
  assert.equal(sessionIdFromUserId("plain-user-id"), undefined);
  assert.equal(sessionIdFromUserId(""), undefined);
  assert.equal(sessionIdFromUserId(null), undefined);
  assert.equal(sessionIdFromUserId(undefined), undefined);
});

// ---------------------------------------------------------------- SSE boundary

const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test("lastEventBoundary finds the end of the last complete event (LF LF)", () => {
  const one = "event: a\ndata: {}\n\n";
  assert.equal(lastEventBoundary(bytes(one)), one.length);
  assert.equal(lastEventBoundary(bytes(one + "event: b\ndata: {")), one.length);
  const two = one + "event: b\ndata: {}\n\n";
  assert.equal(lastEventBoundary(bytes(two + "event: c")), two.length);
});

Deno.test("lastEventBoundary handles CRLF CRLF", () => {
  const one = "event: a\r\ndata: {}\r\n\r\n";
  assert.equal(lastEventBoundary(bytes(one)), one.length);
  assert.equal(lastEventBoundary(bytes(one + "event: b\r\ndata: x")), one.length);
});

Deno.test("lastEventBoundary returns 0 without a complete event", () => {
  assert.equal(lastEventBoundary(bytes("")), 0);
  assert.equal(lastEventBoundary(bytes("event: a\ndata: {}\n")), 0);
  assert.equal(lastEventBoundary(bytes("event: a\r\ndata: {}\r\n")), 0);
  assert.equal(lastEventBoundary(bytes("\n")), 0);
  assert.equal(lastEventBoundary(bytes("\n\n")), 2);
});

// ---------------------------------------------------------------- verdicts

Deno.test("verdictFor classifies HTTP statuses", () => {
  const cases: [number, string][] = [
    [200, "ok"],
    [204, "ok"],
    [299, "ok"],
    [400, "client_error"],
    [404, "client_error"],
    [413, "client_error"],
    [422, "client_error"],
    [401, "auth_error"],
    [402, "auth_error"],
    [403, "auth_error"],
    [408, "server_error"],
    [429, "rate_limited"],
    [500, "server_error"],
    [502, "server_error"],
    [503, "server_error"],
    [529, "server_error"],
  ];
  for (const [status, verdict] of cases) assert.equal(verdictFor(status), verdict, `${status}`);
});

Deno.test("verdictForErrorType classifies SSE error types", () => {
  assert.equal(verdictForErrorType("rate_limit_error"), "rate_limited");
  assert.equal(verdictForErrorType("authentication_error"), "auth_error");
  assert.equal(verdictForErrorType("permission_error"), "auth_error");
  assert.equal(verdictForErrorType("billing_error"), "auth_error");
  assert.equal(verdictForErrorType("invalid_request_error"), "client_error");
  assert.equal(verdictForErrorType("not_found_error"), "client_error");
  assert.equal(verdictForErrorType("request_too_large"), "client_error");
  assert.equal(verdictForErrorType("overloaded_error"), "server_error");
  assert.equal(verdictForErrorType("api_error"), "server_error");
  assert.equal(verdictForErrorType(undefined), "server_error");
});

// ---------------------------------------------------------------- routing

Deno.test("applyAliases maps haiku/sonnet/opus case-insensitively", () => {
  const aliases = { big: "big-model", middle: "mid-model", small: "small-model" };
  assert.equal(applyAliases("claude-3-5-haiku-20241022", aliases), "small-model");
  assert.equal(applyAliases("claude-Sonnet-4", aliases), "mid-model");
  assert.equal(applyAliases("CLAUDE-OPUS-4-1", aliases), "big-model");
  assert.equal(applyAliases("gpt-4o", aliases), "gpt-4o");
  assert.equal(applyAliases("claude-opus-4", { small: "s" }), "claude-opus-4", "unset alias");
  assert.equal(applyAliases("claude-opus-4", {}), "claude-opus-4");
});

function router(raw: Record<string, unknown>): Router {
  const config = validateConfig(raw, "test");
  return new Router(config, buildProviders(config, [], new StateTable()));
}

const anthropic = (name = "anthropic", accounts = [{ name: "a1", apiKey: "k1" }]) => ({
  name,
  type: "anthropic",
  accounts,
});
const zai = {
  name: "zai",
  type: "anthropic-compatible",
  preset: "zai",
  accounts: [{ name: "z1", apiKey: "z" }],
};

function summary(plan: Plan): string[][] {
  assert.ok(plan.ok, JSON.stringify(plan));
  return plan.chains.map((
    c,
  ) => [c.model, ...c.targets.map((t) => `${t.provider.name}:${t.model}`)]);
}

Deno.test("Router: without routes every provider serves, in config order, with its model map", () => {
  const r = router({ providers: [anthropic(), zai] });
  assert.deepEqual(summary(r.plan("claude-sonnet-4")), [[
    "claude-sonnet-4",
    "anthropic:claude-sonnet-4",
    "zai:glm-4.7",
  ]]);
  assert.deepEqual(summary(r.plan("claude-3-5-haiku")), [[
    "claude-3-5-haiku",
    "anthropic:claude-3-5-haiku",
    "zai:glm-4.5-air",
  ]]);
});

Deno.test("Router: the first matching route's chain is used, explicit models win", () => {
  const r = router({
    providers: [anthropic(), zai],
    routes: [
      { match: ["claude-opus-*"], chain: [{ provider: "zai", model: "glm-4.6" }, "anthropic"] },
      { match: "claude-*", chain: ["anthropic"] },
    ],
  });
  assert.deepEqual(summary(r.plan("claude-opus-4-1")), [[
    "claude-opus-4-1",
    "zai:glm-4.6",
    "anthropic:claude-opus-4-1",
  ]]);
  assert.deepEqual(summary(r.plan("claude-sonnet-4")), [[
    "claude-sonnet-4",
    "anthropic:claude-sonnet-4",
  ]]);
  // No route matches: every provider.
  assert.deepEqual(summary(r.plan("glm-4.7")), [["glm-4.7", "anthropic:glm-4.7", "zai:glm-4.7"]]);
});

Deno.test("Router: defaultChain serves models no route matches", () => {
  const r = router({
    providers: [anthropic(), zai],
    routes: [{ match: "claude-opus-*", chain: ["anthropic"] }],
    defaultChain: ["zai"],
  });
  assert.deepEqual(summary(r.plan("claude-sonnet-4")), [["claude-sonnet-4", "zai:glm-4.7"]]);
  assert.deepEqual(summary(r.plan("claude-opus-4")), [[
    "claude-opus-4",
    "anthropic:claude-opus-4",
  ]]);
});

Deno.test("Router: modelFallback adds a chain for another model", () => {
  const r = router({
    providers: [anthropic()],
    routes: [{ match: "claude-opus-*", chain: ["anthropic"] }],
    modelFallback: { "claude-opus-*": "claude-sonnet-4" },
  });
  const plan = r.plan("claude-opus-4-1");
  assert.deepEqual(summary(plan), [
    ["claude-opus-4-1", "anthropic:claude-opus-4-1"],
    ["claude-sonnet-4", "anthropic:claude-sonnet-4"],
  ]);
  assert.ok(plan.ok && plan.model === "claude-opus-4-1");
});

Deno.test("Router: a cyclic modelFallback terminates", () => {
  const r = router({
    providers: [anthropic()],
    modelFallback: { "model-a": "model-b", "model-b": "model-a" },
  });
  assert.deepEqual(summary(r.plan("model-a")).map((c) => c[0]), ["model-a", "model-b"]);
});

Deno.test("Router: aliases apply before routing", () => {
  const r = router({
    providers: [anthropic()],
    aliases: { small: "claude-haiku-4-5" },
  });
  const plan = r.plan("claude-3-5-haiku-20241022");
  assert.ok(plan.ok);
  assert.equal(plan.model, "claude-haiku-4-5");
  assert.deepEqual(summary(plan), [["claude-haiku-4-5", "anthropic:claude-haiku-4-5"]]);
});

Deno.test("Router: an unknown profile is a 404", () => {
  const r = router({ providers: [anthropic()] });
  const plan = r.plan("claude-sonnet-4", "nope");
  assert.equal(plan.ok, false);
  assert.ok(!plan.ok && plan.status === 404 && /nope/.test(plan.message));
});

Deno.test("Router: a profile's chain and aliases replace the global routes", () => {
  const r = router({
    providers: [anthropic(), zai],
    routes: [{ match: "*", chain: ["anthropic"] }],
    profiles: { cheap: { chain: ["zai"], aliases: { big: "glm-big" } } },
  });
  assert.deepEqual(r.profiles(), ["cheap"]);
  assert.deepEqual(summary(r.plan("claude-sonnet-4", "cheap")), [[
    "claude-sonnet-4",
    "zai:glm-4.7",
  ]]);
  const big = r.plan("claude-opus-4", "cheap");
  assert.ok(big.ok);
  assert.equal(big.model, "glm-big");
  assert.deepEqual(summary(r.plan("claude-sonnet-4")), [[
    "claude-sonnet-4",
    "anthropic:claude-sonnet-4",
  ]]);
});

Deno.test("Router: providers without accounts are skipped; none at all is a 404", () => {
  const r = router({ providers: [anthropic("empty", []), anthropic("full")] });
  assert.deepEqual(summary(r.plan("m")), [["m", "full:m"]]);

  const onlyEmpty = router({ providers: [anthropic("empty", [])] });
  const plan = onlyEmpty.plan("m");
  assert.ok(!plan.ok && plan.status === 404 && /"m"/.test(plan.message));

  const nothing = router({});
  const none = nothing.plan("m");
  assert.ok(!none.ok && none.status === 404 && /no upstream accounts/.test(none.message));
});

Deno.test("Router: a route whose chain has no usable provider gives a 404", () => {
  const r = router({
    providers: [anthropic(), anthropic("empty", [])],
    routes: [{ match: "special", chain: ["empty"] }],
  });
  const plan = r.plan("special");
  assert.ok(!plan.ok && plan.status === 404);
});

Deno.test("Router.listModels lists aliases, exact routes and provider models", () => {
  const r = router({
    providers: [zai],
    aliases: { big: "big-model" },
    routes: [{ match: ["exact-model", "glob-*"], chain: ["zai"] }],
  });
  const models = r.listModels();
  for (const m of ["big-model", "exact-model", "glm-4.7", "glm-4.5-air"]) {
    assert.ok(models.includes(m), m);
  }
  assert.ok(!models.some((m) => m.includes("*")));
});

import { bytesInclude, peekMessagesBody } from "../../src/protocol/anthropic_peek.ts";

Deno.test("peekMessagesBody reads model (first key) and stream (last key) from the edges", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const big = (head: string, tail: string) =>
    enc(`${head}"messages":[{"role":"user","content":"${"y".repeat(500)}"}],${tail}`);
  assert.deepEqual(
    peekMessagesBody(big('{"model":"claude-opus-5-5",', '"max_tokens":5,"stream":true}')),
    {
      model: "claude-opus-5-5",
      stream: true,
    },
  );
  assert.deepEqual(peekMessagesBody(big('{ "model" : "m\\u0041", ', '"stream": false }\n')), {
    model: "mA",
    stream: false,
  });
  assert.equal(
    peekMessagesBody(big('{"max_tokens":5,"model":"x",', '"stream":true}')),
    undefined,
    "model not first",
  );
  assert.equal(
    peekMessagesBody(big('{"model":"x",', '"stream":true,"metadata":{}}')),
    undefined,
    "stream not last",
  );
  assert.equal(
    peekMessagesBody(big('{"model":"x",', '"x":{"stream":true}}')),
    undefined,
    "nested stream is not top-level",
  );
  assert.equal(peekMessagesBody(big('{"model":"",', '"stream":true}')), undefined, "empty model");
  assert.equal(peekMessagesBody(enc("{}")), undefined);
});

Deno.test("bytesInclude finds UTF-8 patterns anywhere, including at the edges", () => {
  const bytes = new TextEncoder().encode('aa"signature":""bb é "type":"thinking"');
  assert.equal(bytesInclude(bytes, '"signature":""'), true);
  assert.equal(bytesInclude(bytes, '"type":"thinking"'), true);
  assert.equal(bytesInclude(bytes, "aa"), true);
  assert.equal(bytesInclude(bytes, '"signature": ""'), false);
  assert.equal(bytesInclude(bytes, "é"), true);
  assert.equal(bytesInclude(new Uint8Array(), "a"), false);
});
