/**
 * Anthropic-shaped error responses. Every error the gateway itself produces on the Anthropic
 * door uses this shape so Claude Code and the SDKs parse it like an upstream error.
 * @module
 */

/** Anthropic `error.type` values, as documented for the Messages API. */
export type AnthropicErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "billing_error"
  | "permission_error"
  | "not_found_error"
  | "request_too_large"
  | "rate_limit_error"
  | "api_error"
  | "overloaded_error"
  | "timeout_error";

/** Default error type for an HTTP status. */
export function errorTypeForStatus(status: number): AnthropicErrorType {
  switch (status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 402:
      return "billing_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 504:
      return "timeout_error";
    case 529:
      return "overloaded_error";
    default:
      return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

/** The JSON body of an Anthropic error. */
export function anthropicErrorBody(
  type: AnthropicErrorType,
  message: string,
  requestId?: string,
): string {
  return JSON.stringify({
    type: "error",
    error: { type, message },
    ...(requestId ? { request_id: requestId } : {}),
  });
}

/** Options for {@link anthropicError}. */
export interface AnthropicErrorOptions {
  /** Overrides the type derived from the status. */
  type?: AnthropicErrorType;
  /** Echoed as `request-id` and in the body. */
  requestId?: string;
  /** Extra response headers (e.g. `retry-after`). */
  headers?: Record<string, string>;
}

/** Builds an Anthropic-shaped error response. */
export function anthropicError(
  status: number,
  message: string,
  options: AnthropicErrorOptions = {},
): Response {
  const headers = new Headers(options.headers);
  headers.set("content-type", "application/json");
  if (options.requestId) headers.set("request-id", options.requestId);
  const type = options.type ?? errorTypeForStatus(status);
  return new Response(anthropicErrorBody(type, message, options.requestId), { status, headers });
}

/** One SSE `error` event, as Anthropic sends it mid-stream. */
export function anthropicErrorEvent(type: AnthropicErrorType, message: string): string {
  return `event: error\ndata: ${JSON.stringify({ type: "error", error: { type, message } })}\n\n`;
}
