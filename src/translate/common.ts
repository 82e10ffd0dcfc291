/**
 * Mapping rules shared by both translation directions (protocols.md §3.6): stop/finish reasons,
 * usage, tool ids, error types.
 * @module
 */
import { type AnthropicErrorType, errorTypeForStatus } from "../protocol/anthropic_error.ts";
import type { Usage } from "../routing/call.ts";
import type { ChatUsage } from "./openai_types.ts";

/** Anthropic `stop_reason` → OpenAI `finish_reason`. */
export function finishReasonFor(stopReason: string | null | undefined): string | null {
  switch (stopReason) {
    case null:
    case undefined:
      return null;
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "tool_use":
      return "tool_calls";
    case "refusal":
      return "content_filter";
    default:
      return "stop";
  }
}

/** OpenAI `finish_reason` → Anthropic `stop_reason` (tool calls present always win). */
export function stopReasonFor(
  finishReason: string | null | undefined,
  hasToolUse: boolean,
): string {
  if (hasToolUse) return "tool_use";
  switch (finishReason) {
    case "length":
      return "max_tokens";
    case "tool_calls":
    case "function_call":
      // Claimed tool calls without any: ending the turn is the only safe reading.
      return "end_turn";
    case "content_filter":
      return "refusal";
    default:
      return "end_turn";
  }
}

/** OpenAI usage → Anthropic usage (`prompt_tokens` includes cached tokens; Anthropic's input does not). */
export function anthropicUsageFrom(
  usage: ChatUsage | null | undefined,
): Usage & { output_tokens: number; input_tokens: number } {
  const cached = usage?.prompt_tokens_details?.cached_tokens ?? 0;
  const written = usage?.prompt_tokens_details?.cache_write_tokens ?? 0;
  return {
    input_tokens: Math.max((usage?.prompt_tokens ?? 0) - cached - written, 0),
    output_tokens: usage?.completion_tokens ?? 0,
    cache_read_input_tokens: cached,
    cache_creation_input_tokens: written,
  };
}

/** Anthropic usage → OpenAI usage. */
export function openAIUsageFrom(usage: Usage | null | undefined): ChatUsage {
  const cached = usage?.cache_read_input_tokens ?? 0;
  const written = usage?.cache_creation_input_tokens ?? 0;
  const prompt = (usage?.input_tokens ?? 0) + cached + written;
  const completion = usage?.output_tokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: {
      cached_tokens: cached,
      ...(written ? { cache_write_tokens: written } : {}),
    },
  };
}

/**
 * Makes a tool-call id valid for Anthropic (`^[a-zA-Z0-9_-]+$`). Deterministic, so a
 * `tool_use.id` and the later `tool_result.tool_use_id` still match (Kimi sends `functions.Bash:0`).
 */
export function sanitizeToolId(id: string | undefined | null): string {
  if (!id) return `toolu_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
  const clean = id.replace(/[^A-Za-z0-9_-]/g, "_");
  return clean || "toolu_empty";
}

/** Anthropic error type → OpenAI error type (HTTP status stays as it is). */
export function openAIErrorType(type: string): string {
  switch (type) {
    case "invalid_request_error":
    case "not_found_error":
    case "request_too_large":
    case "billing_error":
      return "invalid_request_error";
    case "authentication_error":
      return "authentication_error";
    case "permission_error":
      return "permission_error";
    case "rate_limit_error":
      return "rate_limit_error";
    default:
      return "server_error";
  }
}

/** An HTTP status of an OpenAI-format error → the Anthropic error type. */
export function anthropicErrorTypeForOpenAI(status: number, type?: string): AnthropicErrorType {
  if (type === "insufficient_quota") return "rate_limit_error";
  // OpenAI-compatible upstreams signal overload with 503; Anthropic clients know it as 529's type.
  if (status === 503) return "overloaded_error";
  // 402 has no OpenAI meaning beyond a client error.
  return status === 402 ? "invalid_request_error" : errorTypeForStatus(status);
}

/** A new Anthropic-style message id. */
export function newMessageId(): string {
  return `msg_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
}
