import assert from "node:assert/strict";
import { afterResponse } from "../../src/util/after_response.ts";
import { setLogSink } from "../../src/observability/log.ts";

Deno.test("afterResponse runs its tasks after the current turn, in order, past a failing one", async () => {
  const lines: string[] = [];
  const restore = setLogSink((line) => lines.push(line));
  try {
    const ran: string[] = [];
    afterResponse(() => ran.push("a"));
    afterResponse(() => {
      throw new Error("boom");
    });
    afterResponse(() => ran.push("c"));
    await Promise.resolve();
    assert.equal(ran.length, 0, "not in this turn's microtasks");
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(ran, ["a", "c"]);
    assert.equal(lines.length, 1);
    assert.match(lines[0], /bookkeeping after a response failed/);
    assert.match(lines[0], /boom/);
    // A new batch after the first has run.
    afterResponse(() => ran.push("d"));
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(ran, ["a", "c", "d"]);
  } finally {
    restore();
  }
});
