import assert from "node:assert/strict";
import { type ProviderConfig, ProviderSchema } from "../../src/config/schema.ts";
import { cleanerFor } from "../../src/providers/anthropic_compatible/clean.ts";
import { foldSystemMessages } from "../../src/providers/shared/system_messages.ts";
import { openAISettings } from "../../src/providers/openai_compatible/presets.ts";
import { applyPreset, PRESETS } from "../../src/providers/anthropic_compatible/presets.ts";
import {
  isDroppedRequestHeader,
  responseHeaderList,
  strippedBetas,
} from "../../src/providers/shared/headers.ts";
import { mapModel, matchesModel } from "../../src/providers/shared/model_map.ts";
import { authHeaderList } from "../../src/providers/shared/auth.ts";
import { buildBody, buildHeaders, upstreamUrl } from "../../src/providers/anthropic/request.ts";
import type { Attempt, ProviderContext } from "../../src/providers/provider.ts";
import type { MessagesCall } from "../../src/routing/call.ts";
import { Account } from "../../src/pool/account.ts";
import { StateTable } from "../../src/pool/state_table.ts";
import { SignatureBook } from "../../src/translate/thinking_hygiene.ts";

function provider(raw: Record<string, unknown>): ProviderConfig {
  return ProviderSchema.parse({ name: "p", type: "anthropic-compatible", ...raw });
}

const reminder = (text: string) => `<system-reminder>\n${text}\n</system-reminder>`;

// ---------------------------------------------------------------- foldSystemMessages

Deno.test("foldSystemMessages: undefined when there is no system message", () => {
  assert.equal(foldSystemMessages([{ role: "user", content: "hi" }]), undefined);
  assert.equal(foldSystemMessages("not an array"), undefined);
  assert.equal(foldSystemMessages(undefined), undefined);
});

Deno.test("foldSystemMessages: a system message becomes user text merged into the user turn", () => {
  const input = [
    { role: "user", content: "hello" },
    { role: "system", content: "be brief" },
    { role: "assistant", content: "ok" },
  ];
  const snapshot = structuredClone(input);
  const out = foldSystemMessages(input);
  assert.deepEqual(out, [
    {
      role: "user",
      content: [{ type: "text", text: "hello" }, { type: "text", text: reminder("be brief") }],
    },
    { role: "assistant", content: "ok" },
  ]);
  assert.deepEqual(input, snapshot, "the input is not mutated");
});

Deno.test("foldSystemMessages: roles alternate after folding between assistant and user", () => {
  const out = foldSystemMessages([
    { role: "user", content: "q1" },
    { role: "assistant", content: [{ type: "text", text: "a1" }] },
    { role: "system", content: [{ type: "text", text: "r1" }, { type: "image", source: {} }] },
    { role: "user", content: [{ type: "tool_result", tool_use_id: "t", content: "x" }] },
    { role: "system", content: "r2" },
  ])!;
  assert.deepEqual(out.map((m) => m.role), ["user", "assistant", "user"]);
  assert.deepEqual(out[2].content, [
    { type: "text", text: reminder("r1") },
    { type: "image", source: {} },
    { type: "tool_result", tool_use_id: "t", content: "x" },
    { type: "text", text: reminder("r2") },
  ]);
  for (let i = 1; i < out.length; i++) assert.notEqual(out[i].role, out[i - 1].role);
});

Deno.test("foldSystemMessages: a leading system message becomes the first user turn", () => {
  const out = foldSystemMessages([
    { role: "system", content: "context" },
    { role: "user", content: "hi" },
  ]);
  assert.deepEqual(out, [{
    role: "user",
    content: [{ type: "text", text: reminder("context") }, { type: "text", text: "hi" }],
  }]);
});

Deno.test("foldSystemMessages: assistant turns are never merged", () => {
  const out = foldSystemMessages([
    { role: "assistant", content: "a" },
    { role: "assistant", content: "b" },
    { role: "system", content: "s" },
  ])!;
  assert.deepEqual(out.map((m) => m.role), ["assistant", "assistant", "user"]);
});

// ---------------------------------------------------------------- cleanerFor

Deno.test("cleanerFor: undefined when the provider cleans nothing", () => {
  assert.equal(cleanerFor(provider({ baseUrl: "https://x.example" })), undefined);
  assert.equal(
    cleanerFor(provider({ baseUrl: "https://x.example", systemMessages: "keep" })),
    undefined,
  );
});

Deno.test("cleanerFor: strips listed fields and reports a change", () => {
  const clean = cleanerFor(
    provider({ baseUrl: "https://x.example", stripFields: ["container", "top_k"] }),
  )!;
  const body: Record<string, unknown> = { model: "m", container: {}, top_k: 5, messages: [] };
  assert.equal(clean(body), true);
  assert.deepEqual(body, { model: "m", messages: [] });
  assert.equal(clean({ model: "m", messages: [] }), false, "nothing to strip");
});

Deno.test("cleanerFor: folds system messages when systemMessages is to-user", () => {
  const clean = cleanerFor(provider({ baseUrl: "https://x.example", systemMessages: "to-user" }))!;
  const body: Record<string, unknown> = {
    messages: [{ role: "user", content: "a" }, { role: "system", content: "s" }],
  };
  assert.equal(clean(body), true);
  assert.deepEqual(body.messages, [{
    role: "user",
    content: [{ type: "text", text: "a" }, { type: "text", text: reminder("s") }],
  }]);
  assert.equal(clean({ messages: [{ role: "user", content: "a" }] }), false);
});

// ---------------------------------------------------------------- presets

Deno.test("applyPreset fills the preset's values", () => {
  const pc = applyPreset(provider({ preset: "zai" }));
  assert.equal(pc.baseUrl, PRESETS.zai.baseUrl);
  assert.equal(pc.authHeader, "bearer");
  assert.deepEqual(pc.models, PRESETS.zai.models);
  assert.deepEqual(pc.modelList, PRESETS.zai.modelList);
  assert.equal(pc.stripBetas, true);
  assert.ok(pc.stripFields?.includes("context_management"));
  assert.equal(pc.systemMessages, "to-user");
});

Deno.test("applyPreset: values the user wrote win over the preset", () => {
  const pc = applyPreset(provider({
    preset: "zai",
    baseUrl: "https://proxy.example/anthropic",
    authHeader: "x-api-key",
    models: { "*": "glm-custom" },
    modelList: ["glm-custom"],
    stripBetas: ["foo"],
    stripFields: [],
    systemMessages: "keep",
  }));
  assert.equal(pc.baseUrl, "https://proxy.example/anthropic");
  assert.equal(pc.authHeader, "x-api-key");
  assert.deepEqual(pc.models, { "*": "glm-custom" });
  assert.deepEqual(pc.modelList, ["glm-custom"]);
  assert.deepEqual(pc.stripBetas, ["foo"]);
  assert.deepEqual(pc.stripFields, []);
  assert.equal(pc.systemMessages, "keep");
});

Deno.test("applyPreset: a config without a preset is returned unchanged", () => {
  const config = provider({ baseUrl: "https://x.example" });
  assert.equal(applyPreset(config), config);
});

// ---------------------------------------------------------------- headers

Deno.test("strippedBetas: true removes the header", () => {
  assert.equal(strippedBetas("a,b", true), undefined);
});

Deno.test("strippedBetas: a list removes only those betas", () => {
  const kept = strippedBetas("claude-code-20250219, interleaved-thinking, x", [
    "interleaved-thinking",
  ]);
  assert.equal(kept, "claude-code-20250219,x");
  assert.equal(
    strippedBetas(kept!, ["claude-code-20250219", "x"]),
    undefined,
    "an empty list of betas drops the header",
  );
});

Deno.test("strippedBetas: undefined changes nothing", () => {
  assert.equal(strippedBetas("a", undefined), "a");
});

Deno.test("upstream headers drop the client's credentials, hop-by-hop and gateway headers", () => {
  const client = new Headers({
    host: "localhost:8082",
    "x-api-key": "client-key",
    authorization: "Bearer client",
    "content-length": "123",
    "accept-encoding": "gzip",
    "x-account-name": "a1",
    "x-ccgate-profile": "fast",
    connection: "keep-alive",
    cookie: "c=1",
    "x-forwarded-for": "1.2.3.4",
    "anthropic-beta": "claude-code-20250219",
    "anthropic-version": "2023-06-01",
    "x-stainless-lang": "js",
    "x-stainless-retry-count": "0",
    "user-agent": "claude-cli/2.0",
    "x-claude-code-session-id": "s",
  });
  const c = call({ model: "m", max_tokens: 1, messages: [] }, { headers: client });
  const out = new Headers(
    buildHeaders(attempt(c), provider({ baseUrl: "https://x.example" }), ctx()),
  );
  for (
    const dropped of [
      "host",
      "x-api-key",
      "authorization",
      "content-length",
      "accept-encoding",
      "x-account-name",
      "x-ccgate-profile",
      "connection",
      "cookie",
      "x-forwarded-for",
    ]
  ) {
    assert.equal(isDroppedRequestHeader(dropped), true, dropped);
    // x-api-key is then set again, to the account's credential.
    if (dropped === "x-api-key") assert.equal(out.get(dropped), "sk-upstream-credential");
    else assert.equal(out.has(dropped), false, dropped);
  }
  assert.equal(out.get("anthropic-beta"), "claude-code-20250219");
  assert.equal(out.get("anthropic-version"), "2023-06-01");
  assert.equal(out.get("x-stainless-lang"), "js");
  assert.equal(out.get("x-stainless-retry-count"), "0");
  assert.equal(out.get("user-agent"), "claude-cli/2.0");
  assert.equal(out.get("x-claude-code-session-id"), "s");
});

Deno.test("responseHeaderList drops content-encoding and content-length", () => {
  const out = new Headers(responseHeaderList(
    new Headers({
      "content-encoding": "gzip",
      "content-length": "42",
      "transfer-encoding": "chunked",
      "set-cookie": "x=1",
      "content-type": "application/json",
      "request-id": "req_1",
      "anthropic-ratelimit-requests-remaining": "99",
    }),
  ));
  assert.equal(out.has("content-encoding"), false);
  assert.equal(out.has("content-length"), false);
  assert.equal(out.has("transfer-encoding"), false);
  assert.equal(out.has("set-cookie"), false);
  assert.equal(out.get("content-type"), "application/json");
  assert.equal(out.get("request-id"), "req_1");
  assert.equal(out.get("anthropic-ratelimit-requests-remaining"), "99");
});

// ---------------------------------------------------------------- model map

Deno.test("matchesModel: exact and glob", () => {
  assert.equal(matchesModel("claude-opus-4", "claude-opus-4"), true);
  assert.equal(matchesModel("claude-opus-4", "claude-opus-4-1"), false);
  assert.equal(matchesModel("claude-opus-*", "claude-opus-4-1"), true);
  assert.equal(matchesModel("*haiku*", "claude-3-5-haiku-20241022"), true);
  assert.equal(matchesModel("*haiku*", "claude-sonnet-4"), false);
  assert.equal(matchesModel("*", "anything"), true);
  assert.equal(matchesModel("claude-*-4", "claude-opus-4"), true);
  assert.equal(matchesModel("claude-*-4", "claude-opus-4-1"), false);
});

Deno.test("matchesModel: regex characters in patterns are literal", () => {
  assert.equal(matchesModel("gpt-4.1*", "gpt-4.1-mini"), true);
  assert.equal(matchesModel("gpt-4.1*", "gpt-4x1-mini"), false);
  assert.equal(matchesModel("a+b*", "a+b-c"), true);
  assert.equal(matchesModel("a+b*", "aab-c"), false);
  assert.equal(matchesModel("(x)*", "(x)y"), true);
});

Deno.test("mapModel: an exact key wins over an earlier glob", () => {
  const table = { "claude-*": "glob-target", "claude-opus-4": "exact-target" };
  assert.equal(mapModel(table, "claude-opus-4"), "exact-target");
  assert.equal(mapModel(table, "claude-sonnet-4"), "glob-target");
});

Deno.test("mapModel: globs are tried in order; no match gives undefined", () => {
  const table = { "*haiku*": "small", "*": "big" };
  assert.equal(mapModel(table, "claude-haiku-4-5"), "small");
  assert.equal(mapModel(table, "claude-opus-4"), "big");
  assert.equal(mapModel({ "claude-*": "x" }, "gpt-4"), undefined);
  assert.equal(mapModel({}, "gpt-4"), undefined);
  assert.equal(mapModel({}, "toString"), undefined, "no prototype keys");
});

// ---------------------------------------------------------------- anthropic request

Deno.test("upstreamUrl joins base and path without /v1/v1 or double slashes", () => {
  assert.equal(
    upstreamUrl("https://api.anthropic.com", "messages", "?beta=true"),
    "https://api.anthropic.com/v1/messages?beta=true",
  );
  assert.equal(
    upstreamUrl("https://api.anthropic.com/", "messages", ""),
    "https://api.anthropic.com/v1/messages",
  );
  assert.equal(
    upstreamUrl("https://proxy.example/v1", "messages", ""),
    "https://proxy.example/v1/messages",
  );
  assert.equal(
    upstreamUrl("https://proxy.example/v1/", "count_tokens", "?beta=true"),
    "https://proxy.example/v1/messages/count_tokens?beta=true",
  );
  assert.equal(
    upstreamUrl("https://api.z.ai/api/anthropic", "messages", ""),
    "https://api.z.ai/api/anthropic/v1/messages",
  );
});

const encoder = new TextEncoder();

function call(body: Record<string, unknown>, extra: Partial<MessagesCall> = {}): MessagesCall {
  return {
    id: "req-1",
    endpoint: "messages",
    protocol: "anthropic",
    raw: encoder.encode(JSON.stringify(body)),
    body,
    model: String(body.model),
    stream: false,
    headers: new Headers(),
    search: "",
    signal: new AbortController().signal,
    startedAt: 0,
    ...extra,
  };
}

const account = new Account(
  {
    provider: "p",
    name: "a",
    credential: "sk-upstream-credential",
    weight: 1,
    priority: 0,
    enabled: true,
    source: "config",
  },
  new StateTable(),
  { failureThreshold: 5, openMs: 1000 },
);

function ctx(tokens: ProviderContext["tokens"] = {}, customHeaders = {}): ProviderContext {
  return {
    timeouts: { connectMs: 1000, readMs: 1000, requestMs: 1000 },
    customHeaders,
    tokens,
    signatures: new SignatureBook(),
    mixedFamilies: false,
  };
}

const attempt = (c: MessagesCall, model = c.model): Attempt => ({ call: c, account, model });

Deno.test("buildBody returns the original bytes object when nothing changes", () => {
  const c = call({ model: "claude-sonnet-4", max_tokens: 1000, messages: [] });
  assert.equal(buildBody(attempt(c), ctx()), c.raw);
  assert.equal(buildBody(attempt(c), ctx({ max: 2000, min: 10 })), c.raw, "within the clamp");
  assert.equal(buildBody(attempt(c), ctx(), () => false), c.raw, "cleaner changed nothing");
});

Deno.test("buildBody rewrites the model when it is mapped", () => {
  const c = call({ model: "claude-sonnet-4", max_tokens: 1000, messages: [] });
  const out = buildBody(attempt(c, "glm-4.7"), ctx());
  assert.equal(typeof out, "string");
  assert.deepEqual(JSON.parse(out as string), {
    model: "glm-4.7",
    max_tokens: 1000,
    messages: [],
  });
  assert.equal(c.body.model, "claude-sonnet-4", "the call body is never mutated");
});

Deno.test("buildBody clamps max_tokens to tokens.max and raises it to tokens.min", () => {
  const big = call({ model: "m", max_tokens: 64_000, messages: [] });
  assert.equal(JSON.parse(buildBody(attempt(big), ctx({ max: 8192 })) as string).max_tokens, 8192);
  const small = call({ model: "m", max_tokens: 10, messages: [] });
  assert.equal(JSON.parse(buildBody(attempt(small), ctx({ min: 256 })) as string).max_tokens, 256);
  assert.equal(big.body.max_tokens, 64_000);
});

Deno.test("buildBody does not clamp count_tokens requests", () => {
  const c = call({ model: "m", max_tokens: 64_000, messages: [] }, { endpoint: "count_tokens" });
  assert.equal(buildBody(attempt(c), ctx({ max: 100 })), c.raw);
});

Deno.test("buildBody applies a cleaner on a copy", () => {
  const c = call({ model: "m", max_tokens: 10, messages: [], container: { id: "x" } });
  const clean = cleanerFor(provider({ baseUrl: "https://x.example", stripFields: ["container"] }));
  const out = buildBody(attempt(c), ctx(), clean);
  assert.deepEqual(JSON.parse(out as string), { model: "m", max_tokens: 10, messages: [] });
  assert.deepEqual(c.body.container, { id: "x" }, "the call body keeps the field");
});

Deno.test("authHeaderList sets x-api-key, bearer or both", () => {
  const a = new Headers(authHeaderList(undefined, "k"));
  assert.equal(a.get("x-api-key"), "k");
  assert.equal(a.has("authorization"), false);
  const b = new Headers(authHeaderList("bearer", "k"));
  assert.equal(b.get("authorization"), "Bearer k");
  assert.equal(b.has("x-api-key"), false);
  const both = new Headers(authHeaderList("both", "k"));
  assert.equal(both.get("authorization"), "Bearer k");
  assert.equal(both.get("x-api-key"), "k");
});

Deno.test("buildHeaders replaces the client's key with the account credential", () => {
  const c = call({ model: "m", max_tokens: 1, messages: [] }, {
    headers: new Headers({
      "x-api-key": "client-key",
      "anthropic-beta": "a,b",
      "x-stainless-os": "Linux",
    }),
  });
  const config = provider({
    baseUrl: "https://x.example",
    headers: { "x-provider": "1" },
    stripBetas: ["a"],
  });
  const h = new Headers(buildHeaders(attempt(c), config, ctx({}, { "x-custom": "yes" })));
  assert.equal(h.get("x-api-key"), "sk-upstream-credential");
  assert.equal(h.get("anthropic-version"), "2023-06-01");
  assert.equal(h.get("content-type"), "application/json");
  assert.equal(h.get("anthropic-beta"), "b");
  assert.equal(h.get("x-custom"), "yes");
  assert.equal(h.get("x-provider"), "1");
  assert.equal(h.get("x-stainless-os"), "Linux");
});

Deno.test("buildHeaders: a client without betas gets none, whatever is stripped", () => {
  const c = call({ model: "m", max_tokens: 1, messages: [] });
  const h = new Headers(
    buildHeaders(attempt(c), provider({ baseUrl: "https://x.example", stripBetas: ["a"] }), ctx()),
  );
  assert.equal(h.has("anthropic-beta"), false);
});

Deno.test("openai-compatible presets: late system messages kept for OpenAI and Azure, folded elsewhere", () => {
  const settings = (extra: Record<string, unknown>) =>
    openAISettings({ name: "p", type: "openai-compatible", modelList: [], ...extra } as any);
  assert.equal(settings({ preset: "openai" }).systemMessages, "keep");
  assert.equal(settings({ preset: "azure", baseUrl: "https://x" }).systemMessages, "keep");
  assert.equal(settings({ preset: "ollama" }).systemMessages, "to-user");
  assert.equal(settings({ baseUrl: "http://127.0.0.1:8000/v1" }).systemMessages, "to-user");
  assert.equal(settings({ preset: "openai", systemMessages: "to-user" }).systemMessages, "to-user");
  assert.equal(settings({ preset: "ollama", systemMessages: "keep" }).systemMessages, "keep");
});
