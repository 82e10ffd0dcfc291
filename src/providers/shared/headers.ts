/**
 * Which headers cross the gateway, in each direction.
 * @module
 */

// Hop-by-hop headers, the client's credentials and the gateway's own control headers never
// reach the upstream; accept-encoding is the upstream client's (identity, or fetch's own, which
// it decompresses): the gateway reads every answer.
const DROP_REQUEST = new Set([
  "host",
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "content-length",
  "accept-encoding",
  "x-api-key",
  "authorization",
  "cookie",
  "x-account-name",
  "x-ccgate-profile",
  "forwarded",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
  "x-real-ip",
]);

// The upstream client has already decoded the body, so length and encoding no longer describe it.
const DROP_RESPONSE = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
  "content-encoding",
  "set-cookie",
  "alt-svc",
  "strict-transport-security",
]);

/** True when a client request header must not reach the upstream. */
export function isDroppedRequestHeader(name: string): boolean {
  return DROP_REQUEST.has(name);
}

/** The upstream's response headers that may go to the client, as a list (one pass, no Headers object). */
export function responseHeaderList(
  upstream: Headers,
  extra: Record<string, string> = {},
): [string, string][] {
  const out: [string, string][] = [];
  for (const [name, value] of upstream) {
    if (!DROP_RESPONSE.has(name) && !(name in extra)) out.push([name, value]);
  }
  for (const name in extra) out.push([name, extra[name]]);
  return out;
}

/** The betas left after stripping (undefined: drop the header). */
export function strippedBetas(
  value: string,
  strip: true | readonly string[] | undefined,
): string | undefined {
  if (!strip) return value;
  if (strip === true) return undefined;
  const kept = value.split(",").map((b) => b.trim()).filter((b) => b && !strip.includes(b));
  return kept.length ? kept.join(",") : undefined;
}
