import assert from "node:assert/strict";
import type { Strategy } from "../../src/config/schema.ts";
import { Account, type AccountSpec, type CircuitOptions } from "../../src/pool/account.ts";
import {
  type AccountState,
  activeCooldown,
  emptyState,
  mergeState,
  pruneCooldowns,
  sameState,
} from "../../src/pool/account_state.ts";
import { Pool } from "../../src/pool/pool.ts";
import { StateTable } from "../../src/pool/state_table.ts";

const NOW = 1_750_000_000_000;
const CIRCUIT: CircuitOptions = { failureThreshold: 3, openMs: 10_000 };
const STICKY_TTL = 60_000;

type AccountInput = string | (Partial<AccountSpec> & { name: string });

function makePool(
  strategy: Strategy,
  inputs: AccountInput[],
  options: { table?: StateTable; circuit?: CircuitOptions; provider?: string } = {},
): { pool: Pool; table: StateTable; accounts: Account[] } {
  const table = options.table ?? new StateTable();
  const provider = options.provider ?? "p";
  const accounts = inputs.map((input) => {
    const partial = typeof input === "string" ? { name: input } : input;
    const spec: AccountSpec = {
      provider,
      credential: `cred-${partial.name}`,
      weight: 1,
      priority: 0,
      enabled: true,
      source: "config",
      ...partial,
    };
    return new Account(spec, table, options.circuit ?? CIRCUIT);
  });
  const pool = new Pool(provider, strategy, accounts, table.pool(provider), STICKY_TTL);
  return { pool, table, accounts };
}

/** The first ready account's name, `n` times. */
function picks(pool: Pool, n: number, model = "m", sessionId?: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const { ready } = pool.candidates(model, { sessionId }, NOW);
    out.push(ready[0]?.name ?? "-");
  }
  return out;
}

function count(names: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of names) out[n] = (out[n] ?? 0) + 1;
  return out;
}

// ---------------------------------------------------------------- strategies

Deno.test("round-robin rotates through every account evenly", () => {
  const { pool } = makePool("round-robin", ["a", "b", "c"]);
  const seq = picks(pool, 9);
  assert.deepEqual(seq, ["a", "b", "c", "a", "b", "c", "a", "b", "c"]);
  assert.deepEqual(count(seq), { a: 3, b: 3, c: 3 });
});

Deno.test("round-robin returns every ready account, the rest in rotated order", () => {
  const { pool } = makePool("round-robin", ["a", "b", "c"]);
  pool.candidates("m", {}, NOW);
  const { ready, blocked } = pool.candidates("m", {}, NOW);
  assert.deepEqual(ready.map((a) => a.name), ["b", "c", "a"]);
  assert.deepEqual(blocked, []);
});

Deno.test("round-robin skips an unavailable account and keeps rotating the others", () => {
  const { pool, accounts } = makePool("round-robin", ["a", "b", "c"]);
  accounts[1].setEnabled(false);
  const seq = picks(pool, 6);
  assert.ok(!seq.includes("b"));
  assert.deepEqual(count(seq), { a: 3, c: 3 });
});

Deno.test("peekNext shows the account round-robin would pick next without advancing", () => {
  const { pool } = makePool("round-robin", ["a", "b", "c"]);
  assert.equal(pool.peekNext(NOW)?.name, "a");
  assert.equal(pool.peekNext(NOW)?.name, "a");
  picks(pool, 1);
  assert.equal(pool.peekNext(NOW)?.name, "b");
});

Deno.test("least-used prefers fewer requests in flight", () => {
  const { pool, accounts } = makePool("least-used", ["a", "b", "c"]);
  const [a, b] = accounts;
  const endA1 = a.begin(NOW);
  a.begin(NOW);
  b.begin(NOW);
  assert.deepEqual(pool.candidates("m", {}, NOW).ready.map((x) => x.name), ["c", "b", "a"]);
  endA1();
  endA1(); // idempotent
  assert.equal(a.runtime.inFlight, 1);
});

Deno.test("least-used breaks in-flight ties by requests served", () => {
  const { pool, accounts } = makePool("least-used", ["a", "b"]);
  accounts[0].begin(NOW)();
  accounts[0].begin(NOW)();
  accounts[1].begin(NOW)();
  assert.deepEqual(pool.candidates("m", {}, NOW).ready.map((x) => x.name), ["b", "a"]);
});

Deno.test("priority picks the lowest priority number first", () => {
  const { pool } = makePool("priority", [
    { name: "backup", priority: 5 },
    { name: "main", priority: 0 },
    { name: "second", priority: 1 },
  ]);
  const { ready } = pool.candidates("m", {}, NOW);
  assert.deepEqual(ready.map((a) => a.name), ["main", "second", "backup"]);
  assert.deepEqual(count(picks(pool, 5)), { main: 5 });
});

Deno.test("priority falls to the next priority when the lowest is unavailable", () => {
  const { pool, accounts } = makePool("priority", [
    { name: "main", priority: 0 },
    { name: "second", priority: 1 },
  ]);
  accounts[0].rateLimited("m", NOW + 60_000, "429");
  assert.deepEqual(picks(pool, 3), ["second", "second", "second"]);
  // Other models still use main.
  assert.equal(pool.candidates("other", {}, NOW).ready[0].name, "main");
});

Deno.test("priority spreads by weight within a priority (smooth weighted round-robin)", () => {
  const { pool } = makePool("priority", [
    { name: "heavy", weight: 3 },
    { name: "light", weight: 1 },
    { name: "fallback", weight: 100, priority: 1 },
  ]);
  const seq = picks(pool, 8);
  assert.deepEqual(count(seq), { heavy: 6, light: 2 });
  // Smooth: never more than three heavy picks in a row, and light is not bunched.
  assert.ok(!seq.join(",").includes("heavy,heavy,heavy,heavy"), seq.join(","));
  assert.ok(!seq.join(",").includes("light,light"), seq.join(","));
  // The lower priority account is always last.
  assert.equal(pool.candidates("m", {}, NOW).ready.at(-1)?.name, "fallback");
});

Deno.test("sticky binds a session to an account and keeps it", () => {
  const { pool } = makePool("sticky", ["a", "b", "c"]);
  const first = pool.candidates("m", { sessionId: "s1" }, NOW).ready[0];
  pool.bind({ sessionId: "s1" }, first, NOW);
  // Other sessions move the cursor; s1 stays.
  const other = pool.candidates("m", { sessionId: "s2" }, NOW).ready[0];
  pool.bind({ sessionId: "s2" }, other, NOW);
  assert.notEqual(other.name, first.name, "new sessions are spread");
  for (let i = 0; i < 5; i++) {
    assert.equal(pool.candidates("m", { sessionId: "s1" }, NOW + i).ready[0].name, first.name);
    pool.candidates("m", { sessionId: `x${i}` }, NOW);
  }
});

Deno.test("sticky moves a session when its account becomes unavailable", () => {
  const { pool } = makePool("sticky", ["a", "b"]);
  const first = pool.candidates("m", { sessionId: "s1" }, NOW).ready[0];
  pool.bind({ sessionId: "s1" }, first, NOW);
  first.rateLimited("*", NOW + 60_000, "429");
  const { ready, blocked } = pool.candidates("m", { sessionId: "s1" }, NOW);
  assert.equal(ready.length, 1);
  assert.notEqual(ready[0].name, first.name);
  assert.equal(blocked[0].account.name, first.name);
  assert.equal(blocked[0].reason.status, "rate_limited");
});

Deno.test("sticky forgets a binding older than the sticky TTL", () => {
  const { pool } = makePool("sticky", ["a", "b"]);
  const b = pool.accounts[1];
  pool.bind({ sessionId: "s1" }, b, NOW);
  assert.equal(pool.candidates("m", { sessionId: "s1" }, NOW + STICKY_TTL).ready[0].name, "b");
  // After the TTL the session is new again: round-robin cursor decides (a, b, ...).
  const later = new Set(
    [1, 2, 3, 4].map((i) =>
      pool.candidates("m", { sessionId: "s1" }, NOW + STICKY_TTL + i).ready[0].name
    ),
  );
  assert.deepEqual([...later].sort(), ["a", "b"]);
});

Deno.test("bind does nothing for non-sticky strategies", () => {
  const { pool, table } = makePool("round-robin", ["a", "b"]);
  pool.bind({ sessionId: "s1" }, pool.accounts[1], NOW);
  assert.equal(table.pool("p").sticky.size, 0);
});

// ---------------------------------------------------------------- availability

Deno.test("unavailable: disabled by config or by hand", () => {
  const { accounts } = makePool("round-robin", [{ name: "off", enabled: false }, "on"]);
  assert.deepEqual(accounts[0].unavailable("m", NOW), { status: "disabled" });
  assert.equal(accounts[1].unavailable("m", NOW), undefined);
  accounts[1].setEnabled(false);
  assert.deepEqual(accounts[1].unavailable("m", NOW), { status: "disabled" });
  assert.equal(accounts[1].status(NOW), "disabled");
});

Deno.test("unavailable: auth_error after authFailed", () => {
  const { accounts } = makePool("round-robin", ["a"]);
  accounts[0].authFailed("invalid x-api-key");
  assert.deepEqual(accounts[0].unavailable("m", NOW), { status: "auth_error" });
  assert.equal(accounts[0].state.authError, "invalid x-api-key");
  accounts[0].succeeded();
  assert.equal(accounts[0].unavailable("m", NOW), undefined, "a later success clears it");
});

Deno.test("unavailable: a per-model cooldown blocks only that model", () => {
  const { accounts } = makePool("round-robin", ["a"]);
  const a = accounts[0];
  a.rateLimited("opus", NOW + 5000, "429");
  assert.deepEqual(a.unavailable("opus", NOW), { status: "rate_limited", until: NOW + 5000 });
  assert.equal(a.unavailable("sonnet", NOW), undefined);
  assert.equal(a.status(NOW), "rate_limited", "display status shows any live cooldown");
  assert.equal(a.status(NOW, "sonnet"), "available");
});

Deno.test("unavailable: a '*' cooldown blocks every model", () => {
  const { accounts } = makePool("round-robin", ["a"]);
  const a = accounts[0];
  a.rateLimited("*", NOW + 8000, "429");
  assert.deepEqual(a.unavailable("anything", NOW), { status: "rate_limited", until: NOW + 8000 });
  // The later of the model's own and "*" applies.
  a.rateLimited("opus", NOW + 20_000, "429");
  assert.equal(a.unavailable("opus", NOW)?.until, NOW + 20_000);
});

Deno.test("a cooldown ends by itself once now passes until", () => {
  const { accounts, pool } = makePool("round-robin", ["a"]);
  const a = accounts[0];
  a.rateLimited("m", NOW + 5000, "429");
  assert.equal(a.unavailable("m", NOW + 4999)?.status, "rate_limited");
  assert.equal(a.unavailable("m", NOW + 5000), undefined);
  assert.equal(a.status(NOW + 5001), "available");
  assert.equal(pool.candidates("m", {}, NOW + 5000).ready.length, 1);
});

Deno.test("rateLimited keeps the later of two cooldowns", () => {
  const { accounts } = makePool("round-robin", ["a"]);
  const a = accounts[0];
  a.rateLimited("m", NOW + 9000, "first");
  a.rateLimited("m", NOW + 3000, "second");
  assert.equal(a.state.cooldowns.m.until, NOW + 9000);
  assert.equal(a.state.cooldowns.m.reason, "first");
});

Deno.test("candidates lists blocked accounts with their reasons", () => {
  const { pool, accounts } = makePool("round-robin", ["a", "b", "c"]);
  accounts[0].authFailed("bad key");
  accounts[2].rateLimited("m", NOW + 1000, "429");
  const { ready, blocked } = pool.candidates("m", {}, NOW);
  assert.deepEqual(ready.map((a) => a.name), ["b"]);
  assert.deepEqual(
    blocked.map((b) => [b.account.name, b.reason.status]),
    [["a", "auth_error"], ["c", "rate_limited"]],
  );
});

// ---------------------------------------------------------------- circuit breaker

Deno.test("circuit opens after failureThreshold failures and refuses until openMs", () => {
  const { accounts } = makePool("round-robin", ["a"]);
  const a = accounts[0];
  a.failed(NOW);
  a.failed(NOW);
  assert.equal(a.unavailable("m", NOW), undefined, "below the threshold");
  a.failed(NOW);
  assert.deepEqual(a.unavailable("m", NOW), { status: "circuit_open", until: NOW + 10_000 });
  assert.equal(a.unavailable("m", NOW + 9_999)?.status, "circuit_open");
  assert.equal(a.isHalfOpen(NOW + 9_999), false);
});

Deno.test("half-open circuit allows exactly one probe; success closes it", () => {
  const { accounts, pool } = makePool("round-robin", ["a"]);
  const a = accounts[0];
  for (let i = 0; i < 3; i++) a.failed(NOW);
  const t = NOW + 10_000;
  assert.equal(a.isHalfOpen(t), true);
  assert.equal(a.unavailable("m", t), undefined, "half-open admits a probe");
  const end = a.begin(t);
  assert.equal(a.runtime.probing, true, "begin() marks the probe");
  assert.equal(a.unavailable("m", t)?.status, "circuit_open", "a second request is refused");
  assert.equal(pool.candidates("m", {}, t).ready.length, 0);
  a.succeeded();
  end();
  assert.equal(a.runtime.probing, false);
  assert.equal(a.state.circuit.failures, 0);
  assert.equal(a.isHalfOpen(t), false);
  assert.equal(a.unavailable("m", t), undefined);
  // Closed: concurrent requests are fine again.
  a.begin(t);
  assert.equal(a.runtime.probing, false);
  assert.equal(a.unavailable("m", t), undefined);
});

Deno.test("a failed probe re-opens the circuit for openMs", () => {
  const { accounts } = makePool("round-robin", ["a"]);
  const a = accounts[0];
  for (let i = 0; i < 3; i++) a.failed(NOW);
  const t = NOW + 10_000;
  const end = a.begin(t);
  a.failed(t);
  end();
  assert.deepEqual(a.unavailable("m", t), { status: "circuit_open", until: t + 10_000 });
});

Deno.test("a request begun on a closed circuit is not a probe", () => {
  const { accounts } = makePool("round-robin", ["a"]);
  const a = accounts[0];
  a.begin(NOW);
  assert.equal(a.runtime.probing, false);
  assert.equal(a.runtime.inFlight, 1);
  assert.equal(a.runtime.served, 1);
  assert.equal(a.runtime.lastUsedAt, NOW);
});

Deno.test("setEnabled(true) clears cooldowns, auth error and circuit", () => {
  const { accounts } = makePool("round-robin", ["a"]);
  const a = accounts[0];
  const now = Date.now();
  a.rateLimited("*", now + 60_000, "429");
  a.rateLimited("m", now + 60_000, "429");
  a.authFailed("bad");
  for (let i = 0; i < 3; i++) a.failed(now);
  a.setEnabled(false);
  assert.equal(a.unavailable("m", now)?.status, "disabled");
  a.setEnabled(true);
  assert.equal(a.unavailable("m", now), undefined);
  assert.deepEqual(a.state.cooldowns, {});
  assert.equal(a.state.authError, null);
  assert.equal(a.state.circuit.failures, 0);
  assert.equal(a.state.disabled, false);
  assert.ok(a.state.resetAt >= now);
});

Deno.test("state changes are announced to StateTable listeners", () => {
  const table = new StateTable();
  const { accounts } = makePool("round-robin", ["a"], { table });
  const seen: string[] = [];
  const off = table.onChange((id) => seen.push(id));
  accounts[0].rateLimited("m", NOW + 1000, "429");
  accounts[0].failed(NOW);
  off();
  accounts[0].authFailed("x");
  assert.deepEqual(seen, ["p/a", "p/a"]);
  assert.equal(accounts[0].id, "p/a");
});

Deno.test("state lives in the table, so a rebuilt pool keeps cooldowns and rotation", () => {
  const table = new StateTable();
  const first = makePool("round-robin", ["a", "b"], { table });
  first.accounts[0].rateLimited("m", NOW + 60_000, "429");
  picks(first.pool, 1);
  const second = makePool("round-robin", ["a", "b"], { table });
  assert.equal(second.accounts[0].unavailable("m", NOW)?.status, "rate_limited");
  assert.ok(table.pool("p").cursor > 0);
});

// ---------------------------------------------------------------- account_state

function state(overrides: Partial<AccountState>): AccountState {
  return { ...emptyState(), ...overrides };
}

Deno.test("mergeState: the newer disabled decision wins", () => {
  const local = state({ disabled: true, disabledAt: 100 });
  const remote = state({ disabled: false, disabledAt: 200 });
  assert.equal(mergeState(local, remote, NOW).disabled, false);
  assert.equal(mergeState(remote, local, NOW).disabled, false);
  const olderRemote = state({ disabled: false, disabledAt: 50 });
  assert.equal(mergeState(local, olderRemote, NOW).disabled, true);
});

Deno.test("mergeState: the newer auth decision wins", () => {
  const local = state({ authError: null, authErrorAt: 300 });
  const remote = state({ authError: "401", authErrorAt: 200 });
  assert.equal(mergeState(local, remote, NOW).authError, null);
  const newer = state({ authError: "401", authErrorAt: 400 });
  const merged = mergeState(local, newer, NOW);
  assert.equal(merged.authError, "401");
  assert.equal(merged.authErrorAt, 400);
});

Deno.test("mergeState: cooldowns are united, the later until wins", () => {
  const local = state({
    cooldowns: {
      a: { until: NOW + 1000, reason: "local-a", at: 10 },
      b: { until: NOW + 9000, reason: "local-b", at: 10 },
    },
  });
  const remote = state({
    cooldowns: {
      a: { until: NOW + 5000, reason: "remote-a", at: 10 },
      b: { until: NOW + 2000, reason: "remote-b", at: 10 },
      c: { until: NOW + 3000, reason: "remote-c", at: 10 },
    },
  });
  const merged = mergeState(local, remote, NOW);
  assert.deepEqual(
    Object.fromEntries(Object.entries(merged.cooldowns).map(([k, c]) => [k, c.reason])),
    { a: "remote-a", b: "local-b", c: "remote-c" },
  );
});

Deno.test("mergeState: cooldowns older than resetAt and expired ones are dropped", () => {
  const local = state({
    resetAt: 500,
    cooldowns: { kept: { until: NOW + 1000, reason: "", at: 600 } },
  });
  const remote = state({
    resetAt: 100,
    cooldowns: {
      cleared: { until: NOW + 60_000, reason: "", at: 400 },
      expired: { until: NOW, reason: "", at: 700 },
    },
  });
  const merged = mergeState(local, remote, NOW);
  assert.deepEqual(Object.keys(merged.cooldowns), ["kept"]);
  assert.equal(merged.resetAt, 500);
});

Deno.test("mergeState: the newer circuit wins and the result is a copy", () => {
  const local = state({ circuit: { failures: 1, openUntil: 0, at: 10 } });
  const remote = state({ circuit: { failures: 5, openUntil: NOW + 1, at: 20 } });
  const merged = mergeState(local, remote, NOW);
  assert.deepEqual(merged.circuit, { failures: 5, openUntil: NOW + 1, at: 20 });
  assert.notEqual(merged.circuit, remote.circuit);
  assert.equal(mergeState(remote, local, NOW).circuit.failures, 5);
});

Deno.test("activeCooldown returns the later of the model's and '*'", () => {
  const s = state({
    cooldowns: {
      m: { until: NOW + 100, reason: "m", at: 0 },
      "*": { until: NOW + 50, reason: "all", at: 0 },
    },
  });
  assert.equal(activeCooldown(s, "m", NOW)?.reason, "m");
  assert.equal(activeCooldown(s, "other", NOW)?.reason, "all");
  assert.equal(activeCooldown(s, "m", NOW + 100), undefined);
});

Deno.test("pruneCooldowns drops expired cooldowns only", () => {
  const s = state({
    cooldowns: {
      old: { until: NOW - 1, reason: "", at: 0 },
      live: { until: NOW + 1, reason: "", at: 0 },
    },
  });
  assert.equal(pruneCooldowns(s, NOW), true);
  assert.deepEqual(Object.keys(s.cooldowns), ["live"]);
  assert.equal(pruneCooldowns(s, NOW), false);
});

Deno.test("sameState ignores expired cooldowns but sees live ones", () => {
  const a = state({ cooldowns: { x: { until: NOW - 1, reason: "", at: 0 } } });
  const b = state({});
  assert.equal(sameState(a, b, NOW), true);
  const c = state({ cooldowns: { x: { until: NOW + 1, reason: "", at: 0 } } });
  assert.equal(sameState(c, b, NOW), false);
});
