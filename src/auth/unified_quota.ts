/**
 * Reads the quota headers Claude subscription (OAuth) accounts get on every response
 * (`anthropic-ratelimit-unified-*`, undocumented; protocols.md §1.11), so the pool can prefer
 * accounts with headroom and park a rejected one until its window resets.
 *
 * Windows are discovered from header names (`…-unified-<window>-status|-utilization|-reset`), so
 * `5h`, `7d` and per-model ones such as `7d_oi` or `7d-sonnet` all work without a list.
 * @module
 */

/** One quota window (e.g. "5h", "7d"). */
export interface QuotaWindow {
  /** "allowed", "allowed_warning", "rejected", … */
  status?: string;
  /**
   * Fraction used, 0..1 (may exceed 1). Headers send a fraction; a value above 1.5 is taken to
   * be a percentage (as the usage endpoint reports) and divided by 100.
   */
  utilization?: number;
  /** Epoch ms when the window resets (headers send epoch seconds). */
  reset?: number;
}

/** A snapshot of one account's subscription quota. */
export interface UnifiedQuota {
  /** Overall status: "allowed" | "allowed_warning" | "rejected" (other values kept as sent). */
  status?: "allowed" | "allowed_warning" | "rejected" | string;
  /** The binding window as Anthropic names it: "five_hour", "seven_day", … */
  representativeClaim?: string;
  /** Overall reset, epoch ms. */
  reset?: number;
  /** Windows by the name in the header ("5h", "7d", "7d_oi", …). */
  windows: Record<string, QuotaWindow>;
  /** Pay-as-you-go extra usage. */
  overage?: { status?: string; disabledReason?: string; reset?: number };
  /** `fallback-percentage`, when sent. */
  fallbackPercentage?: number;
  /** When this snapshot was taken (epoch ms). */
  updatedAt: number;
}

/** What {@link quotaPressure} returns. */
export interface QuotaPressure {
  /** Highest utilization among live windows, 0 when unknown. */
  maxUtilization: number;
  /** The window with that utilization. */
  binding?: string;
  /** When that window resets (epoch ms). */
  resetAt?: number;
}

const PREFIX = "anthropic-ratelimit-unified-";
const FIELD = /^(.+)-(status|utilization|reset)$/;
/** Header values above this are percentages, not fractions (a fraction can exceed 1, but not by this much). */
const PERCENT_THRESHOLD = 1.5;

/**
 * Parses the unified headers of one response; undefined when there are none (API-key accounts,
 * third-party upstreams).
 */
export function parseUnifiedQuota(headers: Headers, now: number): UnifiedQuota | undefined {
  const quota: UnifiedQuota = { windows: {}, updatedAt: now };
  let seen = false;
  for (const [rawName, rawValue] of headers) {
    const name = rawName.toLowerCase();
    if (!name.startsWith(PREFIX)) continue;
    seen = true;
    const key = name.slice(PREFIX.length);
    const value = rawValue.trim();
    switch (key) {
      case "status":
        quota.status = value;
        continue;
      case "reset":
        quota.reset = parseReset(value);
        continue;
      case "representative-claim":
        quota.representativeClaim = value;
        continue;
      case "fallback-percentage":
        quota.fallbackPercentage = parseNumber(value);
        continue;
      case "overage-disabled-reason":
        (quota.overage ??= {}).disabledReason = value;
        continue;
    }
    const m = key.match(FIELD);
    if (!m) continue; // e.g. overage-in-use: not needed for routing
    const [, windowName, field] = m;
    if (windowName === "overage") {
      if (field === "status") (quota.overage ??= {}).status = value;
      if (field === "reset") (quota.overage ??= {}).reset = parseReset(value);
      continue;
    }
    const window = (quota.windows[windowName] ??= {});
    if (field === "status") window.status = value;
    else if (field === "reset") window.reset = parseReset(value);
    else window.utilization = normaliseUtilization(parseNumber(value));
  }
  return seen ? stripUndefined(quota) : undefined;
}

/**
 * How close the account is to its limit: the highest utilization among windows whose reset is
 * still ahead or unknown (a window past its reset has started over, so its numbers are stale). A rejected
 * window without a utilization counts as 1; a rejected overall status with no window data
 * counts as 1 until the overall reset.
 */
export function quotaPressure(q: UnifiedQuota | undefined, now: number): QuotaPressure {
  const result: QuotaPressure = { maxUtilization: 0 };
  if (!q) return result;
  for (const [name, w] of Object.entries(q.windows)) {
    if (w.reset !== undefined && w.reset <= now) continue; // no reset header: not known stale
    const used = w.utilization ?? (w.status === "rejected" ? 1 : undefined);
    if (used === undefined || (result.binding !== undefined && used <= result.maxUtilization)) {
      continue;
    }
    result.maxUtilization = used;
    result.binding = name;
    result.resetAt = w.reset;
  }
  if (result.binding === undefined && q.status === "rejected" && isLive(q.reset, now)) {
    const top: QuotaPressure = { maxUtilization: 1, resetAt: q.reset };
    if (q.representativeClaim) top.binding = q.representativeClaim;
    return top;
  }
  if (result.resetAt === undefined) delete result.resetAt;
  return result;
}

/**
 * Until when a rejected account cannot serve (epoch ms), or undefined when it is not rejected
 * or the rejection is stale. The account counts as rejected when the overall status is
 * "rejected", or — when no overall status was sent — when any window is. A per-model window
 * rejected under an "allowed" overall status does not block the account (other models still
 * work). The time is the representative claim's window reset, else the latest reset among the
 * rejected windows, else the overall reset; only times still ahead count.
 */
export function rejectedUntil(q: UnifiedQuota | undefined, now: number): number | undefined {
  if (!q) return undefined;
  const rejected = Object.entries(q.windows).filter(([, w]) => w.status === "rejected");
  if (q.status !== undefined ? q.status !== "rejected" : rejected.length === 0) return undefined;

  const claimed = q.representativeClaim
    ? windowForClaim(q.representativeClaim, Object.keys(q.windows))
    : undefined;
  const claimedReset = claimed ? q.windows[claimed].reset : undefined;
  if (isLive(claimedReset, now)) return claimedReset;

  let latest: number | undefined;
  for (const [, w] of rejected) {
    if (isLive(w.reset, now) && (latest === undefined || w.reset! > latest)) latest = w.reset;
  }
  if (latest !== undefined) return latest;
  return isLive(q.reset, now) ? q.reset : undefined;
}

/**
 * Maps a representative claim ("five_hour", "seven_day", "seven_day_sonnet", …) to a window
 * name from the headers ("5h", "7d", "7d-sonnet", …), or undefined when none matches.
 */
export function windowForClaim(claim: string, windowNames: readonly string[]): string | undefined {
  const canon = (s: string) =>
    s.toLowerCase().replace(/five_hour|five-hour/, "5h").replace(/seven_day|seven-day/, "7d")
      .replace(/[-_]/g, "");
  const wanted = canon(claim);
  return windowNames.find((n) => n === claim) ?? windowNames.find((n) => canon(n) === wanted);
}

function isLive(reset: number | undefined, now: number): reset is number {
  return reset !== undefined && reset > now;
}

/** Epoch seconds (as sent) → ms; values already in ms or ISO dates are tolerated. */
function parseReset(value: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(value)) {
    const n = Number(value);
    return Math.round(n < 1e11 ? n * 1000 : n);
  }
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : parsed;
}

function parseNumber(value: string): number | undefined {
  if (!/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function normaliseUtilization(n: number | undefined): number | undefined {
  if (n === undefined || n < 0) return undefined;
  return n > PERCENT_THRESHOLD ? n / 100 : n;
}

/** Drops undefined fields so snapshots compare and serialise cleanly (e.g. into KV). */
function stripUndefined(q: UnifiedQuota): UnifiedQuota {
  for (const w of Object.values(q.windows)) {
    for (const k of Object.keys(w) as (keyof QuotaWindow)[]) if (w[k] === undefined) delete w[k];
  }
  for (const k of Object.keys(q) as (keyof UnifiedQuota)[]) if (q[k] === undefined) delete q[k];
  return q;
}
