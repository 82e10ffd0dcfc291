/**
 * The server's request handler: the Messages API, which carries nearly all of a gateway's
 * traffic, goes straight to its door; everything else goes through the Hono app.
 *
 * Hono's dispatch (router, context, middleware chain) costs 3–4 % of a small request's CPU
 * (paired runs, docs/performance.md). The direct path does exactly what the app's route does
 * for these two paths — client auth, then the door — and leaves every other case, including
 * every rejection, to the app so the answers stay the app's. A door that throws gets the same
 * 500 from `Deno.serve`'s `onError` as from the app's.
 * @module
 */
import type { Hono } from "hono";
import type { Gateway } from "../gateway.ts";
import type { Endpoint } from "../routing/call.ts";
import { clientKeyAccepted } from "./client_auth.ts";
import { handleMessages } from "./messages_door.ts";

/** The endpoint a request's path names, when it is one of the direct routes. */
export function directEndpoint(url: string): Endpoint | undefined {
  // The path starts at the first "/" after the scheme's "//"; only the query may follow it.
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return undefined;
  const q = url.indexOf("?", start);
  const path = q < 0 ? url.slice(start) : url.slice(start, q);
  if (path === "/v1/messages") return "messages";
  if (path === "/v1/messages/count_tokens") return "count_tokens";
  return undefined;
}

/** The `Deno.serve` handler for `gateway`: direct routes first, then `app`. */
export function createHandler(
  gateway: Gateway,
  app: Hono,
): (request: Request) => Response | Promise<Response> {
  return (request) => {
    // CORS adds headers to every answer, and a failed key check answers 401: both are the
    // app's to do.
    if (request.method !== "POST" || gateway.config.server.cors.enabled) return app.fetch(request);
    const endpoint = directEndpoint(request.url);
    if (!endpoint) return app.fetch(request);
    if (!clientKeyAccepted(request.headers, gateway.config.auth.clientKeys)) {
      return app.fetch(request);
    }
    return handleMessages(gateway, request, endpoint);
  };
}
