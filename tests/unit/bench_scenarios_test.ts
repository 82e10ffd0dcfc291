import assert from "node:assert/strict";
import { allScenarios, streamRampMs } from "../../scripts/bench/scenarios.ts";

Deno.test("bench scenarios: a stream scenario's ramp is one stream's length and follows its delay", () => {
  const paced = allScenarios(false).find((s) => s.name === "stream-c64-paced")!;
  assert.equal(streamRampMs(paced), 50 * 10);
  // `--event-delay-ms` rewrites the delay of every stream scenario: the ramp moves with it.
  paced.eventDelayMs = 20;
  assert.equal(streamRampMs(paced), 50 * 20);
  const dense = allScenarios(false).find((s) => s.name === "stream-c64")!;
  assert.equal(streamRampMs({ ...dense, ttfbMs: 30 }), 30 + 50 * 1);
});
