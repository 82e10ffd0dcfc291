/**
 * Replays every request Claude Code 2.1.328 was captured sending to its base URL
 * (../shared/fixtures/claude-code) through the gateway and checks what reaches the upstream.
 */
import assert from "node:assert/strict";
import { FakeUpstream } from "../helpers/fake_upstream.ts";
import { anthropicProvider, parseSse, startTestGateway } from "../helpers/gateway.ts";

const FIXTURES = new URL("../../../shared/fixtures/claude-code/", import.meta.url);

interface Fixture {
  name: string;
  method: string;
  host?: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

function loadFixtures(): Fixture[] {
  let names: string[];
  try {
    names = [...Deno.readDirSync(FIXTURES)].map((e) => e.name).filter((n) =>
      n.endsWith(".request.json")
    ).sort();
  } catch {
    return [];
  }
  return names.map((name) => ({
    name,
    ...JSON.parse(Deno.readTextFileSync(new URL(name, FIXTURES))),
  }));
}

const fixtures = loadFixtures();
const toBaseUrl = fixtures.filter((f) => !f.host);
const HOP = new Set(["host", "content-length", "connection", "accept-encoding"]);

function replay(gatewayUrl: string, f: Fixture): Promise<Response> {
  const headers = new Headers();
  for (const [k, v] of Object.entries(f.headers)) if (!HOP.has(k.toLowerCase())) headers.set(k, v);
  return fetch(gatewayUrl + f.url, {
    method: f.method,
    headers,
    body: f.body === null || f.body === undefined ? undefined : JSON.stringify(f.body),
  });
}

Deno.test({
  name:
    "every captured Claude Code request replays through the gateway with body, betas and query intact",
  ignore: toBaseUrl.length === 0,
  fn: async () => {
    assert.ok(toBaseUrl.length >= 40, `found ${toBaseUrl.length} fixtures`);
    await using fake = await FakeUpstream.start();
    await using gw = await startTestGateway({
      providers: [anthropicProvider("anthropic", fake.url, ["sk-ant-upstream-a"])],
    });
    for (const f of toBaseUrl) {
      const before = fake.requests.length;
      const res = await replay(gw.url, f);
      const text = await res.text();
      assert.equal(res.status, 200, `${f.name}: ${text.slice(0, 200)}`);
      if (f.method === "HEAD") continue;
      const seen = fake.requests[before];
      assert.ok(seen, `${f.name} reached the upstream`);
      const sent = JSON.stringify(f.body);
      const captured = Number(f.headers["Content-Length"] ?? f.headers["content-length"]);
      assert.ok(
        new TextEncoder().encode(sent).length > captured * 0.9,
        `${f.name}: a full-size body`,
      );
      assert.equal(seen.body, sent, `${f.name}: body forwarded byte for byte`);
      assert.equal(seen.path + seen.search, f.url, `${f.name}: path and query`);
      const h = new Headers(f.headers);
      for (
        const name of [
          "anthropic-beta",
          "anthropic-version",
          "x-claude-code-session-id",
          "user-agent",
          "x-app",
          "x-stainless-retry-count",
        ]
      ) {
        assert.equal(seen.headers.get(name), h.get(name), `${f.name}: ${name}`);
      }
      assert.equal(
        seen.key,
        "sk-ant-upstream-a",
        `${f.name}: account credential replaces the client's`,
      );
      assert.equal(
        seen.headers.get("authorization"),
        null,
        `${f.name}: client bearer not forwarded`,
      );
      if ((f.body as { stream?: boolean }).stream) {
        const events = parseSse(text);
        assert.equal(events[0].event, "message_start", f.name);
        assert.equal(events.at(-1)?.event, "message_stop", f.name);
      } else {
        assert.equal(JSON.parse(text).type, "message", f.name);
      }
    }
  },
});

Deno.test({
  name:
    "Claude Code's 429-then-retry pair: the gateway serves the first attempt from another account",
  ignore: toBaseUrl.length === 0,
  fn: async () => {
    const f = toBaseUrl.find((x) => x.name === "err-429-once-1.request.json")!;
    await using fake = await FakeUpstream.start((req) =>
      req.key === "key-a"
        ? { kind: "error", status: 429, headers: { "retry-after": "2" } }
        : { kind: "text" }
    );
    await using gw = await startTestGateway({
      providers: [
        anthropicProvider("anthropic", fake.url, ["key-a", "key-b"], { strategy: "sticky" }),
      ],
    });
    const res = await replay(gw.url, f);
    assert.equal(res.status, 200, "the client never sees the 429 another account could serve");
    assert.equal(parseSse(await res.text()).at(-1)?.event, "message_stop");
    assert.deepEqual(fake.requests.map((r) => r.key), ["key-a", "key-b"]);
    // The same session stays on key-b for the next turn (prompt cache stays warm).
    const next = await replay(
      gw.url,
      toBaseUrl.find((x) => x.name === "err-429-once-2.request.json")!,
    );
    await next.text();
    assert.equal(fake.requests.at(-1)?.key, "key-b");
  },
});

Deno.test({
  name: "Claude Code traffic to an anthropic-compatible upstream is cleaned for it",
  ignore: toBaseUrl.length === 0,
  fn: async () => {
    const f = toBaseUrl.find((x) => x.name === "interactive-apikey.request.json")!;
    await using fake = await FakeUpstream.start();
    await using gw = await startTestGateway({
      providers: [{
        name: "deepseek",
        type: "anthropic-compatible",
        preset: "deepseek",
        baseUrl: fake.url + "/anthropic",
        accounts: [{ name: "ds", apiKey: "ds-key" }],
      }],
    });
    const res = await replay(gw.url, f);
    assert.equal(res.status, 200);
    await res.text();
    const seen = fake.requests[0];
    const body = seen.json();
    const original = f.body as Record<string, any>;
    assert.equal(seen.path, "/anthropic/v1/messages");
    assert.equal(body.model, "deepseek-v4-pro", "opus maps to the pro model");
    for (const field of ["context_management", "safeguards"]) {
      assert.equal(field in body, false, `${field} dropped`);
    }
    assert.equal(seen.headers.get("anthropic-beta"), null);
    assert.ok(
      original.messages.some((m: { role: string }) => m.role === "system"),
      "fixture has a system-role message",
    );
    assert.equal(
      body.messages.some((m: { role: string }) => m.role === "system"),
      false,
      "folded into user turns",
    );
    for (let i = 1; i < body.messages.length; i++) {
      assert.notEqual(body.messages[i].role, body.messages[i - 1].role, "roles still alternate");
    }
    assert.deepEqual(body.tools, original.tools, "tools untouched");
    assert.deepEqual(body.system, original.system, "system untouched");
  },
});
