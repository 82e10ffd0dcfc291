import assert from "node:assert/strict";
import {
  cooldownUntil,
  parseDuration,
  parseRetryAfter,
  rateLimitResetAt,
} from "../../src/pool/rate_limit_reset.ts";

// A whole second, so HTTP dates (second precision) round-trip exactly.
const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const OPTIONS = { defaultMs: 30_000, maxMs: 6 * 3600_000 };

const iso = (ms: number) => new Date(ms).toISOString();

Deno.test("parseRetryAfter: delta seconds", () => {
  assert.equal(parseRetryAfter("30", NOW), NOW + 30_000);
  assert.equal(parseRetryAfter(" 2 ", NOW), NOW + 2000);
  assert.equal(parseRetryAfter("1.5", NOW), NOW + 1500);
  assert.equal(parseRetryAfter("0", NOW), NOW);
});

Deno.test("parseRetryAfter: HTTP date", () => {
  const at = NOW + 90_000;
  assert.equal(parseRetryAfter(new Date(at).toUTCString(), NOW), at);
});

Deno.test("parseRetryAfter: missing or garbage gives undefined", () => {
  assert.equal(parseRetryAfter(null, NOW), undefined);
  assert.equal(parseRetryAfter("", NOW), undefined);
  assert.equal(parseRetryAfter("soon", NOW), undefined);
});

Deno.test("parseDuration: OpenAI-style durations", () => {
  assert.equal(parseDuration("6m0s"), 360_000);
  assert.equal(parseDuration("1s"), 1000);
  assert.equal(parseDuration("250ms"), 250);
  assert.equal(parseDuration("1h2m3.5s"), 3_723_500);
  assert.equal(parseDuration("0.5s"), 500);
  assert.equal(parseDuration(" 2s "), 2000);
});

Deno.test("parseDuration: anything else gives undefined", () => {
  assert.equal(parseDuration(""), undefined);
  assert.equal(parseDuration("abc"), undefined);
  assert.equal(parseDuration("5"), undefined);
  assert.equal(parseDuration("1m30"), undefined);
  assert.equal(parseDuration("5x"), undefined);
  assert.equal(parseDuration("1s and more"), undefined);
});

Deno.test("rateLimitResetAt: retry-after seconds", () => {
  assert.equal(rateLimitResetAt(new Headers({ "retry-after": "12" }), NOW), NOW + 12_000);
});

Deno.test("rateLimitResetAt: retry-after HTTP date", () => {
  const at = NOW + 45_000;
  const h = new Headers({ "retry-after": new Date(at).toUTCString() });
  assert.equal(rateLimitResetAt(h, NOW), at);
});

Deno.test("rateLimitResetAt: retry-after-ms wins over retry-after", () => {
  const h = new Headers({ "retry-after-ms": "1500", "retry-after": "60" });
  assert.equal(rateLimitResetAt(h, NOW), NOW + 1500);
  // A non-numeric retry-after-ms is ignored.
  const bad = new Headers({ "retry-after-ms": "soon", "retry-after": "60" });
  assert.equal(rateLimitResetAt(bad, NOW), NOW + 60_000);
});

Deno.test("rateLimitResetAt: retry-after wins over anthropic per-limit resets", () => {
  const h = new Headers({
    "retry-after": "5",
    "anthropic-ratelimit-tokens-remaining": "0",
    "anthropic-ratelimit-tokens-reset": iso(NOW + 60_000),
  });
  assert.equal(rateLimitResetAt(h, NOW), NOW + 5000);
});

Deno.test("rateLimitResetAt: the exhausted anthropic limit's reset wins over earlier ones", () => {
  const h = new Headers({
    "anthropic-ratelimit-requests-remaining": "10",
    "anthropic-ratelimit-requests-reset": iso(NOW + 5_000),
    "anthropic-ratelimit-tokens-remaining": "0",
    "anthropic-ratelimit-tokens-reset": iso(NOW + 40_000),
  });
  assert.equal(rateLimitResetAt(h, NOW), NOW + 40_000);
});

Deno.test("rateLimitResetAt: the latest of several exhausted limits", () => {
  const h = new Headers({
    "anthropic-ratelimit-input-tokens-remaining": "0",
    "anthropic-ratelimit-input-tokens-reset": iso(NOW + 20_000),
    "anthropic-ratelimit-output-tokens-remaining": "0",
    "anthropic-ratelimit-output-tokens-reset": iso(NOW + 50_000),
    "anthropic-ratelimit-requests-remaining": "3",
    "anthropic-ratelimit-requests-reset": iso(NOW + 90_000),
  });
  assert.equal(rateLimitResetAt(h, NOW), NOW + 50_000);
});

Deno.test("rateLimitResetAt: with nothing exhausted, the earliest anthropic reset", () => {
  const h = new Headers({
    "anthropic-ratelimit-requests-remaining": "10",
    "anthropic-ratelimit-requests-reset": iso(NOW + 30_000),
    "anthropic-ratelimit-tokens-remaining": "500",
    "anthropic-ratelimit-tokens-reset": iso(NOW + 8_000),
  });
  assert.equal(rateLimitResetAt(h, NOW), NOW + 8_000);
});

Deno.test("rateLimitResetAt: unified reset (epoch seconds)", () => {
  const resetSec = Math.floor(NOW / 1000) + 3600;
  const h = new Headers({ "anthropic-ratelimit-unified-reset": String(resetSec) });
  assert.equal(rateLimitResetAt(h, NOW), resetSec * 1000);
});

Deno.test("rateLimitResetAt: unified reset wins over a non-exhausted per-limit reset", () => {
  const resetSec = Math.floor(NOW / 1000) + 600;
  const h = new Headers({
    "anthropic-ratelimit-unified-reset": String(resetSec),
    "anthropic-ratelimit-requests-remaining": "4",
    "anthropic-ratelimit-requests-reset": iso(NOW + 1_000),
  });
  assert.equal(rateLimitResetAt(h, NOW), resetSec * 1000);
});

Deno.test("rateLimitResetAt: OpenAI x-ratelimit-reset-* durations, the later one", () => {
  const h = new Headers({
    "x-ratelimit-reset-requests": "1s",
    "x-ratelimit-reset-tokens": "6m0s",
  });
  assert.equal(rateLimitResetAt(h, NOW), NOW + 360_000);
  const only = new Headers({ "x-ratelimit-reset-tokens": "250ms" });
  assert.equal(rateLimitResetAt(only, NOW), NOW + 250);
});

Deno.test("rateLimitResetAt: no usable header gives undefined", () => {
  assert.equal(rateLimitResetAt(new Headers(), NOW), undefined);
  const junk = new Headers({
    "anthropic-ratelimit-tokens-reset": "not a date",
    "x-ratelimit-reset-requests": "later",
    "anthropic-ratelimit-unified-reset": "soon",
  });
  assert.equal(rateLimitResetAt(junk, NOW), undefined);
});

Deno.test("cooldownUntil: falls back to the default when no reset is announced", () => {
  assert.deepEqual(cooldownUntil(new Headers(), NOW, OPTIONS), {
    until: NOW + 30_000,
    announced: false,
  });
});

Deno.test("cooldownUntil: an announced reset within bounds is used as is", () => {
  assert.deepEqual(cooldownUntil(new Headers({ "retry-after": "20" }), NOW, OPTIONS), {
    until: NOW + 20_000,
    announced: true,
  });
});

Deno.test("cooldownUntil: clamps to now + max", () => {
  const h = new Headers({ "retry-after": String(48 * 3600) });
  assert.deepEqual(cooldownUntil(h, NOW, OPTIONS), {
    until: NOW + OPTIONS.maxMs,
    announced: true,
  });
});

Deno.test("cooldownUntil: at least one second", () => {
  const h = new Headers({ "retry-after-ms": "10" });
  assert.equal(cooldownUntil(h, NOW, OPTIONS).until, NOW + 1000);
  assert.equal(cooldownUntil(new Headers({ "retry-after": "0" }), NOW, OPTIONS).until, NOW + 1000);
});

Deno.test("cooldownUntil: a reset in the past gets the one-second floor", () => {
  const past = new Headers({ "retry-after": new Date(NOW - 3600_000).toUTCString() });
  assert.deepEqual(cooldownUntil(past, NOW, OPTIONS), { until: NOW + 1000, announced: true });
  const staleAnthropic = new Headers({
    "anthropic-ratelimit-tokens-remaining": "0",
    "anthropic-ratelimit-tokens-reset": iso(NOW - 60_000),
  });
  assert.equal(cooldownUntil(staleAnthropic, NOW, OPTIONS).until, NOW + 1000);
  const staleUnified = new Headers({
    "anthropic-ratelimit-unified-reset": String(Math.floor(NOW / 1000) - 100),
  });
  assert.equal(cooldownUntil(staleUnified, NOW, OPTIONS).until, NOW + 1000);
});
