/**
 * Starts the real gateway (Hono on Deno.serve, port 0) for a test, with its own KV file.
 * @module
 */
import { mergeConfig, validateConfig } from "../../src/config/load.ts";
import type { Config } from "../../src/config/schema.ts";
import { setLogSink } from "../../src/observability/log.ts";
import { type RunningGateway, startGateway } from "../../src/serve.ts";

/** A test gateway. */
export interface TestGateway extends RunningGateway {
  /** The KV file. */
  kvPath: string;
  /** Log lines written while it ran. */
  logs: string[];
  /** Stops it and restores logging (idempotent: later calls return the first one's promise). */
  close(): Promise<void>;
  /** Closes it at the end of an `await using` scope. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Config a test starts from: port 0, fast sync, quiet logs. */
export function testConfig(overrides: Record<string, unknown>): Config {
  const base = {
    server: { host: "127.0.0.1", port: 0, shutdownTimeoutMs: 2000 },
    state: { syncIntervalMs: 100 },
    logging: { level: "debug", format: "json" },
  };
  return validateConfig(mergeConfig(base, overrides), "test");
}

let sinkDepth = 0;
const captured: string[][] = [];

/** Starts a gateway; `kvPath` lets a test restart on the same state. */
export async function startTestGateway(
  overrides: Record<string, unknown>,
  options: { kvPath?: string } = {},
): Promise<TestGateway> {
  const kvPath = options.kvPath ?? `${await Deno.makeTempDir({ prefix: "ccgate-test-" })}/state.kv`;
  const config = testConfig({ ...overrides, kv: { path: kvPath } });
  const logs: string[] = [];
  captured.push(logs);
  let restore: (() => void) | undefined;
  if (sinkDepth++ === 0) {
    restore = setLogSink((line) => {
      for (const c of captured) c.push(line);
      if (Deno.env.get("CCGATE_TEST_LOGS")) Deno.stderr.writeSync(new TextEncoder().encode(line));
    });
  }
  const running = await startGateway({ config });
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      await running.shutdown();
      captured.splice(captured.indexOf(logs), 1);
      if (--sinkDepth === 0) restore?.();
    })();
  return {
    ...running,
    kvPath,
    logs,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * Waits until the bookkeeping a gateway in this process queued after its responses (usage,
 * the request's log line) has run: a timer queued now fires after the ones queued before it.
 */
export function bookkept(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** POSTs JSON to the gateway. */
export function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** A minimal Messages request. */
export function messageBody(extra: Record<string, unknown> = {}) {
  return {
    model: "claude-sonnet-5-5",
    max_tokens: 64,
    messages: [{ role: "user", content: "hi" }],
    ...extra,
  };
}

/** Parses an SSE body into (event, data) pairs. */
export function parseSse(text: string): { event: string; data: any }[] {
  return text.split(/\n\n/).filter((b) => b.trim()).map((block) => {
    const event = block.match(/^event: (.*)$/m)?.[1] ?? "message";
    const data = block.match(/^data: (.*)$/m)?.[1];
    return { event, data: data ? JSON.parse(data) : undefined };
  });
}

/**
 * Provider fields for accounts tried in the order given (the priority strategy, priorities
 * 0, 1, 2…), from `[name, apiKey]` pairs.
 */
export function inPriorityOrder(...accounts: [name: string, apiKey: string][]) {
  return {
    strategy: "priority",
    accounts: accounts.map(([name, apiKey], priority) => ({ name, apiKey, priority })),
  };
}

/** A provider config for a fake upstream with N API-key accounts named k1..kN. */
export function anthropicProvider(
  name: string,
  baseUrl: string,
  keys: string[],
  extra: Record<string, unknown> = {},
) {
  return {
    name,
    type: "anthropic",
    baseUrl,
    accounts: keys.map((k, i) => ({ name: `${name}-${i + 1}`, apiKey: k })),
    ...extra,
  };
}
