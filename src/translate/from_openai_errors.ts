/**
 * Error payloads that OpenAI-compatible servers put inside a 200 stream (`data: {"error":…}`)
 * → Anthropic error types, so Claude Code retries them the way it retries Anthropic's own.
 * @module
 */
import type { AnthropicErrorType } from "../protocol/anthropic_error.ts";
import { anthropicErrorTypeForOpenAI } from "./common.ts";

const str = (v: unknown): string => (typeof v === "string" ? v : "");

/**
 * An upstream in-stream error object → Anthropic error type: an HTTP-like numeric `code`/`status`
 * decides when present, else keywords in `type`/`code`/`message`.
 */
export function errorTypeOf(error: Record<string, unknown>): AnthropicErrorType {
  const type = str(error.type) || str(error.code);
  const status = Number(error.status ?? error.code);
  if (Number.isInteger(status) && status >= 400 && status < 600) {
    return anthropicErrorTypeForOpenAI(status, type);
  }
  const text = `${type} ${str(error.message)}`.toLowerCase();
  if (/overload|capacity|unavailable/.test(text)) return "overloaded_error";
  if (/rate.?limit|quota|too many/.test(text)) return "rate_limit_error";
  if (/timeout|timed out/.test(text)) return "timeout_error";
  if (/auth|api.?key/.test(text)) return "authentication_error";
  if (/permission|forbidden/.test(text)) return "permission_error";
  if (/context.?length|too long|invalid|bad.?request/.test(text)) return "invalid_request_error";
  return "api_error";
}
