/**
 * Request deadlines on one shared ticker. Deno 2's `setTimeout` builds a Node-compatible
 * `Timeout` per call, which costs several microseconds per request when every request and
 * every stream arms its own; one interval checking a set of deadlines costs next to nothing.
 * Deadlines fire within one tick (100 ms) after they pass — fine for timeouts of seconds. The
 * ticker stops at the first tick that finds nothing armed.
 * @module
 */

const TICK_MS = 100;

/** One armed deadline. */
export class Deadline {
  /** performance.now() at which it fires. */
  at: number;
  readonly #onExpire: () => void;
  #active = true;
  /** Set by {@link Deadline.touch}; the ticker moves the deadline on its next round. */
  #idleMs = 0;

  /** @internal Use {@link armDeadline}. */
  constructor(at: number, onExpire: () => void) {
    this.at = at;
    this.#onExpire = onExpire;
  }

  /**
   * Marks activity on an idle timer: the next tick moves the deadline to `ms` from then. Costs
   * a field write instead of a clock read, for callers that touch it per stream event; the
   * timer then fires between `ms` and `ms` + two ticks after the last activity.
   */
  touch(ms: number): void {
    this.#idleMs = ms;
  }

  /** Disarms it. */
  cancel(): void {
    if (!this.#active) return;
    this.#active = false;
    active.delete(this);
  }

  /** @internal Called by the ticker: fires when due, unless touched since the last round. */
  check(now: number): void {
    if (this.#idleMs > 0) {
      this.at = now + this.#idleMs;
      this.#idleMs = 0;
    } else if (this.at <= now) this.#fire();
  }

  #fire(): void {
    this.cancel();
    this.#onExpire();
  }
}

const active = new Set<Deadline>();
let ticker: ReturnType<typeof setInterval> | undefined;

function tick(): void {
  // Stopped here, not when the last deadline is cancelled: one request at a time would
  // otherwise start and clear an interval per request.
  if (active.size === 0) return stopTicker();
  const now = performance.now();
  for (const deadline of active) deadline.check(now);
}

function stopTicker(): void {
  if (ticker !== undefined) clearInterval(ticker);
  ticker = undefined;
}

/** Arms a deadline `ms` from now; `ms <= 0` means none (a disarmed deadline is returned). */
export function armDeadline(ms: number, onExpire: () => void): Deadline {
  const deadline = new Deadline(performance.now() + ms, onExpire);
  if (ms <= 0) return deadline;
  active.add(deadline);
  ticker ??= setInterval(tick, TICK_MS);
  return deadline;
}

/** @internal For tests: whether the shared ticker is running. */
export function tickerRunning(): boolean {
  return ticker !== undefined;
}
