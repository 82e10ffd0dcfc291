/**
 * The one log line per request: filled as the call proceeds, written once when it ends.
 * @module
 */
import { logRequest } from "../observability/log.ts";
import type { Usage } from "./call.ts";

/** The request log line, filled as the call proceeds and written once. */
export interface RequestRecord {
  id: string;
  route: string;
  model: string;
  stream: boolean;
  provider?: string;
  account?: string;
  upstream_model?: string;
  status?: number;
  upstream_status?: number;
  attempts: number;
  failovers?: string[];
  waited_ms?: number;
  latency_ms?: number;
  ttfb_ms?: number;
  input_tokens?: number;
  output_tokens?: number;
  cache_read_tokens?: number;
  cache_write_tokens?: number;
  error?: string;
}

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
