/**
 * The answer when no account could serve a call: a 429 with the soonest reset, the last
 * upstream error passed on, or a gateway error saying why.
 * @module
 */
import { scrubSecrets } from "../observability/log.ts";
import { maskKnownSecretsInBytes } from "../observability/secrets.ts";
import { responseHeaderList } from "../providers/shared/headers.ts";
import type { Verdict } from "../upstream/outcome.ts";
import { eligible } from "./availability.ts";
import type { MessagesCall } from "./call.ts";
import { type RequestRecord, writeRecord } from "./request_record.ts";
import type { Chain } from "./router.ts";
import type { WireProtocol } from "../protocol/wire.ts";

/** A failed attempt that the loop moves past. */
export interface Failure {
  /** How the upstream outcome was classified. */
  verdict: Verdict;
  /** Human-readable reason, used in the final error message. */
  message: string;
  /** Upstream HTTP status, when there was a response. */
  status?: number;
  /** Upstream error body, passed on when every target failed with a server error. */
  body?: Uint8Array<ArrayBuffer>;
  /** Upstream response headers, filtered before being passed on. */
  headers?: Headers;
}

/** Builds the exhausted answer and writes the request's log line. */
export function exhausted(
  call: MessagesCall,
  wire: WireProtocol,
  chains: Chain[],
  last: Failure | undefined,
  soonest: number | undefined,
  record: RequestRecord,
): Response {
  const now = Date.now();
  const counts: Record<string, number> = {};
  for (const [target, account] of eligible(chains, call)) {
    const status = account.unavailable(target.model, now)?.status ?? "available";
    counts[status] = (counts[status] ?? 0) + 1;
  }
  const summary = Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(", ");
  let response: Response;
  if (soonest !== undefined && (!last || last.verdict === "rate_limited" || counts.rate_limited)) {
    const seconds = Math.max(1, Math.ceil((soonest - now) / 1000));
    response = wire.errorResponse(
      429,
      `All upstream accounts for ${call.model} are rate limited (${summary}); the soonest resets in ${seconds}s`,
      {
        requestId: call.id,
        headers: {
          "retry-after": String(seconds),
          "x-should-retry": seconds <= 60 ? "true" : "false",
        },
      },
    );
  } else if (last?.status && last.body && last.verdict === "server_error") {
    // Every target failed the same transient way: pass the last upstream answer on.
    const headers = responseHeaderList(last.headers ?? new Headers());
    response = new Response(maskKnownSecretsInBytes(last.body), { status: last.status, headers });
  } else if (last) {
    response = wire.errorResponse(
      502,
      // Failure messages can carry upstream text and URLs: no credential goes back out.
      scrubSecrets(
        `No upstream account could serve ${call.model} (${summary}); last error: ${last.message}`,
      ),
      {
        requestId: call.id,
      },
    );
  } else {
    response = wire.errorResponse(
      503,
      `No upstream account is available for ${call.model} (${summary})`,
      {
        requestId: call.id,
        type: "api_error",
      },
    );
  }
  record.status = response.status;
  record.error = last?.message ?? summary;
  writeRecord(record, call.startedAt);
  return response;
}
