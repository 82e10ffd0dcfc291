/**
 * OpenAI-shaped error responses for the `/v1/chat/completions` door:
 * `{"error":{"message","type","param","code"}}` (protocols.md §3.4). openai-node reads `type`,
 * `param` and `code` from that object and raises `APIError` on an `error` payload mid-stream.
 * @module
 */
import { errorTypeForStatus } from "./anthropic_error.ts";
import { openAIErrorType } from "../translate/common.ts";

/** Options for {@link openAIError}. */
export interface OpenAIErrorOptions {
  /** Overrides the type derived from the status (`invalid_request_error`, `server_error`…). */
  type?: string;
  /** OpenAI's machine-readable `code` (`model_not_found`…); null by default. */
  code?: string | null;
  /** The request parameter at fault (`messages[0].role`); null by default. */
  param?: string | null;
  /** Extra response headers (e.g. `retry-after`). */
  headers?: Record<string, string>;
}

/** The OpenAI error type for an HTTP status (via the Anthropic type of the same status). */
export function openAIErrorTypeForStatus(status: number): string {
  return openAIErrorType(errorTypeForStatus(status));
}

/** The JSON body of an OpenAI error. */
export function openAIErrorBody(
  type: string,
  message: string,
  param: string | null = null,
  code: string | null = null,
): string {
  return JSON.stringify({ error: { message, type, param, code } });
}

/** Builds an OpenAI-shaped error response. */
export function openAIError(
  status: number,
  message: string,
  options: OpenAIErrorOptions = {},
): Response {
  const headers = new Headers(options.headers);
  headers.set("content-type", "application/json");
  const type = options.type ?? openAIErrorTypeForStatus(status);
  const body = openAIErrorBody(type, message, options.param ?? null, options.code ?? null);
  return new Response(body, { status, headers });
}

/** Upstream headers worth keeping on a translated error: retry hints and the request id. */
const KEPT_HEADERS = ["retry-after", "retry-after-ms", "x-should-retry", "request-id"];

/**
 * Converts an Anthropic error (status + body text) to the OpenAI shape. The status is kept; the
 * type maps via {@link openAIErrorType}; `code` carries the original Anthropic type (e.g.
 * `overloaded_error`) since the OpenAI type loses it. A body that is not an Anthropic error is
 * quoted (shortened) as the message. `request-id` is also sent as `x-request-id`, the header
 * openai-node exposes as `requestID`.
 */
export function openAIErrorFromAnthropic(
  status: number,
  anthropicBodyText: string,
  headers?: Headers | Record<string, string>,
): Response {
  let anthropicType = errorTypeForStatus(status) as string;
  let message = "";
  try {
    const parsed = JSON.parse(anthropicBodyText);
    const error = parsed?.error;
    if (typeof error?.type === "string") anthropicType = error.type;
    if (typeof error?.message === "string") message = error.message;
    else if (typeof parsed?.message === "string") message = parsed.message;
  } catch {
    // Not JSON (an HTML error page from a proxy, say): the text itself is the best message.
  }
  if (!message) {
    const text = anthropicBodyText.trim().replace(/\s+/g, " ");
    message = text ? text.slice(0, 500) : `Upstream returned HTTP ${status}`;
  }
  const source = headers instanceof Headers ? headers : new Headers(headers ?? {});
  const kept: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = source.get(name);
    if (value !== null) kept[name] = value;
  }
  const requestId = source.get("request-id") ?? source.get("x-request-id");
  if (requestId) kept["x-request-id"] = requestId;
  return openAIError(status, message, {
    type: openAIErrorType(anthropicType),
    code: anthropicType,
    headers: kept,
  });
}

/**
 * One SSE line carrying an error in the middle of a Chat Completions stream:
 * `data: {"error":{...}}` + blank line (no `event:` name; openai-node raises `APIError` on it).
 */
export function openAIErrorChunk(type: string, message: string): string {
  return `data: ${openAIErrorBody(type, message)}\n\n`;
}
