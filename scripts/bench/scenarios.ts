/**
 * The benchmark's scenarios and the targets each one runs against.
 * @module
 */

/** What is measured: the fake upstream itself, the minimal pass-through, or the gateway. */
export type TargetName = "direct" | "passthrough" | "ccgate";

/** Targets in the order every round runs them (interleaved, so drift hits all alike). */
export const TARGETS: readonly TargetName[] = ["direct", "passthrough", "ccgate"];

/** One scenario. */
export interface Scenario {
  /** Name used by `--scenario`. */
  name: string;
  /** One line for the report. */
  description: string;
  /**
   * wrk (non-streaming throughput), the closed-loop client (non-streaming latency at one
   * connection, where wrk's histogram is wrong), the Deno stream client over a duration, or N
   * streams held open.
   */
  load: "wrk" | "closed-loop" | "stream" | "hold";
  /** Which body: small JSON, small streaming, or the ~150 KB Claude Code request. */
  body: "small" | "small-stream" | "claude-code";
  /** Connections (wrk) or requests in flight (stream client). */
  concurrency: number;
  /** Hold mode: streams opened together. */
  count?: number;
  /** Hold mode: openings spread over this many ms. */
  rampMs?: number;
  /** Events per stream. */
  events?: number;
  /** Upstream delay before the response headers, ms. */
  ttfbMs?: number;
  /** Upstream delay between events, ms. */
  eventDelayMs?: number;
  /** The gateway instance: the Anthropic pool, or an openai-compatible provider (translation). */
  gateway: "anthropic" | "openai";
}

/**
 * Stream mode: the workers' first requests are spread over one stream's nominal length (time
 * to first byte plus the events' delays). A closed loop whose C workers start together keeps
 * its equal-length streams phase-locked, so every request arrives in a burst of C and its TTFB
 * is mostly the time to serve the other C − 1 first; real clients are not synchronised.
 * Derived, so `--event-delay-ms` moves it too.
 */
export function streamRampMs(scenario: Scenario): number {
  return (scenario.ttfbMs ?? 0) + (scenario.events ?? 0) * (scenario.eventDelayMs ?? 0);
}

/** Size of the Claude Code body, bytes. */
export const LARGE_BODY_BYTES = 150_000;

/** Every scenario, in run order; smoke mode shrinks the counts. */
export function allScenarios(smoke: boolean): Scenario[] {
  const openStreams = smoke ? 200 : 1000;
  return [
    {
      name: "small-c1",
      description: "small non-streaming request, 1 connection",
      load: "closed-loop",
      body: "small",
      concurrency: 1,
      gateway: "anthropic",
    },
    {
      name: "small-c32",
      description: "small non-streaming request, 32 connections",
      load: "wrk",
      body: "small",
      concurrency: 32,
      gateway: "anthropic",
    },
    {
      name: "small-c128",
      description: "small non-streaming request, 128 connections",
      load: "wrk",
      body: "small",
      concurrency: 128,
      gateway: "anthropic",
    },
    {
      name: "body-150k",
      description: `Claude Code request padded to ${
        LARGE_BODY_BYTES / 1000
      } KB, non-streaming answer, 32 connections`,
      load: "wrk",
      body: "claude-code",
      concurrency: 32,
      gateway: "anthropic",
    },
    {
      name: "stream-c64",
      description: "Anthropic SSE, 50 events 1 ms apart, 64 streams in flight",
      load: "stream",
      body: "small-stream",
      concurrency: 64,
      events: 50,
      ttfbMs: 0,
      eventDelayMs: 1,
      gateway: "anthropic",
    },
    {
      // Real models stream a few tokens per event at ~50–150 tokens/s: an event every
      // 10–40 ms. At that pace the gateway's core is not saturated, so added TTFB is the
      // gateway's own delay; at 1 ms (above) it is mostly queueing behind other streams.
      name: "stream-c64-paced",
      description:
        "Anthropic SSE, 50 events 10 ms apart (a fast model's pace), 64 streams in flight",
      load: "stream",
      body: "small-stream",
      concurrency: 64,
      events: 50,
      ttfbMs: 0,
      eventDelayMs: 10,
      gateway: "anthropic",
    },
    {
      name: "translated-stream-c64",
      description:
        "Anthropic request → openai-compatible provider → OpenAI SSE translated back, 50 events, 64 in flight",
      load: "stream",
      body: "small-stream",
      concurrency: 64,
      events: 50,
      ttfbMs: 0,
      eventDelayMs: 1,
      gateway: "openai",
    },
    {
      name: "open-streams",
      description: `${openStreams} streams open at once (50 events, ${
        smoke ? 20 : 100
      } ms apart): peak RSS`,
      load: "hold",
      body: "small-stream",
      concurrency: openStreams,
      count: openStreams,
      rampMs: smoke ? 200 : 1000,
      events: 50,
      ttfbMs: 0,
      eventDelayMs: smoke ? 20 : 100,
      gateway: "anthropic",
    },
  ];
}
