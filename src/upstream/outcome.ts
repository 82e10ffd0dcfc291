/**
 * Classifies an upstream answer: serve it, hand it to the client as it is, or fail over
 * (and what that means for the account).
 * @module
 */
import { scrubSecrets } from "../observability/log.ts";

/** What the failover loop does with an upstream status. */
export type Verdict =
  /** 2xx: serve it. */
  | "ok"
  /** The request itself is wrong (400, 404, 413, 422, …): return it, do not retry elsewhere. */
  | "client_error"
  /** 429: cool the account down for this model, fail over. */
  | "rate_limited"
  /** 401/402/403: the credential cannot serve; mark auth_error, fail over. */
  | "auth_error"
  /** 408, 5xx, 529: count toward the circuit, fail over. */
  | "server_error";

/** The verdict for an HTTP status. */
export function verdictFor(status: number): Verdict {
  if (status >= 200 && status < 300) return "ok";
  if (status === 429) return "rate_limited";
  if (status === 401 || status === 402 || status === 403) return "auth_error";
  if (status === 408 || status >= 500) return "server_error";
  return "client_error";
}

/** The verdict for an Anthropic SSE `error` event's `error.type` seen before any byte was sent. */
export function verdictForErrorType(type: string | undefined): Verdict {
  switch (type) {
    case "rate_limit_error":
      return "rate_limited";
    case "authentication_error":
    case "permission_error":
    case "billing_error":
      return "auth_error";
    case "invalid_request_error":
    case "not_found_error":
    case "request_too_large":
      return "client_error";
    default:
      return "server_error";
  }
}

/**
 * Reads `error.message` from an Anthropic (or OpenAI) error body, for logs, status and the
 * gateway's own error messages; credentials are masked (some upstreams repeat the key in a 401).
 */
export function errorMessageOf(text: string): string {
  let message = text.slice(0, 200);
  try {
    const json = JSON.parse(text);
    const found = json?.error?.message ?? json?.message;
    if (typeof found === "string") message = found.slice(0, 300);
  } catch {
    // not JSON
  }
  return scrubSecrets(message);
}
