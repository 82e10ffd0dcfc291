/**
 * Reads when a rate limit ends from upstream response headers. The answer bounds a
 * cooldown; a cooldown always ends by itself at this time.
 * @module
 */

/** Parses a `retry-after` value: delta seconds or an HTTP date. Returns epoch ms. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return now + Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : date;
}

/** Parses OpenAI-style durations such as `1s`, `6m0s`, `250ms`, `1h2m3.5s`. Returns ms. */
export function parseDuration(value: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let matched = "";
  for (const m of value.trim().matchAll(re)) {
    const n = Number(m[1]);
    total += m[2] === "h" ? n * 3600_000 : m[2] === "m" ? n * 60_000 : m[2] === "s" ? n * 1000 : n;
    matched += m[0];
  }
  return matched.length && matched === value.trim() ? Math.round(total) : undefined;
}

const ANTHROPIC_LIMITS = ["requests", "tokens", "input-tokens", "output-tokens"];

/**
 * The reset time (epoch ms) a 429 response announces, or undefined when it names none.
 * Order: `retry-after-ms`, `retry-after`, Anthropic's per-limit resets (the exhausted limits'
 * latest, else the earliest), the unified (subscription) reset, OpenAI's `x-ratelimit-reset-*`.
 */
export function rateLimitResetAt(headers: Headers, now: number): number | undefined {
  const retryAfterMs = headers.get("retry-after-ms");
  if (retryAfterMs && /^\d+(\.\d+)?$/.test(retryAfterMs.trim())) {
    return now + Math.round(Number(retryAfterMs));
  }
  const retryAfter = parseRetryAfter(headers.get("retry-after"), now);
  if (retryAfter !== undefined) return retryAfter;

  let exhausted: number | undefined;
  let earliest: number | undefined;
  for (const limit of ANTHROPIC_LIMITS) {
    const reset = headers.get(`anthropic-ratelimit-${limit}-reset`);
    if (!reset) continue;
    const at = Date.parse(reset);
    if (Number.isNaN(at)) continue;
    if (headers.get(`anthropic-ratelimit-${limit}-remaining`) === "0") {
      exhausted = Math.max(exhausted ?? 0, at);
    }
    earliest = Math.min(earliest ?? Infinity, at);
  }
  if (exhausted !== undefined) return exhausted;

  const unified = headers.get("anthropic-ratelimit-unified-reset");
  if (unified && /^\d+$/.test(unified.trim())) return Number(unified) * 1000;
  if (earliest !== undefined) return earliest;

  let openai: number | undefined;
  for (const name of ["x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"]) {
    const value = headers.get(name);
    const ms = value ? parseDuration(value) : undefined;
    if (ms !== undefined) openai = Math.max(openai ?? 0, now + ms);
  }
  return openai;
}

/**
 * The cooldown end for a 429: the announced reset clamped to [now + 1 s, now + max], or
 * `now + fallback` when none is announced. A reset already in the past gets the 1 s floor, so
 * a stale header can never lock an account.
 */
export function cooldownUntil(
  headers: Headers,
  now: number,
  options: { defaultMs: number; maxMs: number },
): { until: number; announced: boolean } {
  const reset = rateLimitResetAt(headers, now);
  if (reset === undefined) return { until: now + options.defaultMs, announced: false };
  return { until: Math.min(Math.max(reset, now + 1000), now + options.maxMs), announced: true };
}
