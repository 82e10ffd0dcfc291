/**
 * The one log line per request: filled as the call proceeds, written once when it ends.
 * @module
 */
import { logRequest } from "../observability/log.ts";
import type { Usage } from "./call.ts";

/** The request log line, filled as the call proceeds and written once. */
export interface RequestRecord {
  /** The request id (also sent back to the client). */
  id: string;
  /** Endpoint served, prefixed with `/p/{profile}/` for profile requests. */
  route: string;
  /** Model the client asked for. */
  model: string;
  /** Whether the client asked for a streamed answer. */
  stream: boolean;
  /** Provider of the last attempt. */
  provider?: string;
  /** Account of the last attempt. */
  account?: string;
  /** Model name sent upstream after mapping. */
  upstream_model?: string;
  /** HTTP status returned to the client. */
  status?: number;
  /** HTTP status of the last upstream response. */
  upstream_status?: number;
  /** Upstream attempts made so far. */
  attempts: number;
  /** One `account:status-or-verdict` entry per failed attempt, in order. */
  failovers?: string[];
  /** Total time spent waiting for a rate-limit reset. */
  waited_ms?: number;
  /** Whole request duration, set when the line is written. */
  latency_ms?: number;
  /** Time to the first upstream byte. */
  ttfb_ms?: number;
  /** Input tokens the upstream reported. */
  input_tokens?: number;
  /** Output tokens the upstream reported. */
  output_tokens?: number;
  /** Prompt-cache read tokens (omitted when zero). */
  cache_read_tokens?: number;
  /** Prompt-cache write tokens (omitted when zero). */
  cache_write_tokens?: number;
  /** Why the request failed, when it did. */
  error?: string;
}

/** Stamps the latency and logs the record (at warn for 5xx answers). */
export function writeRecord(record: RequestRecord, startedAt: number): void {
  record.latency_ms = Math.round((performance.now() - startedAt) * 10) / 10;
  const level = record.status !== undefined && record.status >= 500 ? "warn" : "info";
  logRequest(level, record as unknown as Record<string, unknown>);
}

/** Copies a response's usage into the record. */
export function recordUsage(record: RequestRecord, usage: Usage): void {
  record.input_tokens = usage.input_tokens;
  record.output_tokens = usage.output_tokens;
  record.cache_read_tokens = usage.cache_read_input_tokens || undefined;
  record.cache_write_tokens = usage.cache_creation_input_tokens || undefined;
}
