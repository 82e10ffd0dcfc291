import assert from "node:assert/strict";
import { directEndpoint } from "../../src/server/handler.ts";

Deno.test("directEndpoint takes exactly the two Messages API paths, with or without a query", () => {
  const cases: [string, string | undefined][] = [
    ["http://127.0.0.1:8082/v1/messages", "messages"],
    ["http://127.0.0.1:8082/v1/messages?beta=true", "messages"],
    ["http://localhost/v1/messages/count_tokens", "count_tokens"],
    ["http://[::1]:8082/v1/messages/count_tokens?beta=true", "count_tokens"],
    // Everything else is the Hono app's: profiles, other routes, near misses.
    ["http://127.0.0.1:8082/p/work/v1/messages", undefined],
    ["http://127.0.0.1:8082/v1/messages/", undefined],
    ["http://127.0.0.1:8082/v1/messages/batches", undefined],
    ["http://127.0.0.1:8082/v1/chat/completions", undefined],
    ["http://127.0.0.1:8082/v1/message", undefined],
    ["http://127.0.0.1:8082/?next=/v1/messages", undefined],
    ["http://127.0.0.1:8082", undefined],
  ];
  for (const [url, want] of cases) assert.equal(directEndpoint(url), want, url);
});
