import assert from "node:assert/strict";
import { armDeadline, tickerRunning } from "../../src/upstream/deadlines.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("a deadline fires once after it passes; a cancelled one never does", async () => {
  let fired = 0;
  let cancelledFired = 0;
  armDeadline(50, () => fired++);
  armDeadline(50, () => cancelledFired++).cancel();
  await sleep(30);
  assert.equal(fired, 0, "not before it passes");
  await sleep(250);
  assert.equal(fired, 1, "within a tick after it passed");
  assert.equal(cancelledFired, 0);
  await sleep(150);
  assert.equal(fired, 1, "only once");
});

Deno.test("touch moves an idle deadline forward", async () => {
  let fired = false;
  const deadline = armDeadline(150, () => (fired = true));
  for (let i = 0; i < 4; i++) {
    await sleep(80);
    deadline.touch(150);
  }
  assert.equal(fired, false, "touched every 80 ms: still armed after 320 ms");
  await sleep(450);
  assert.equal(fired, true, "fires once the touches stop");
});

Deno.test("a deadline of 0 ms is disarmed; the ticker stops on its own once nothing is armed", async () => {
  let fired = false;
  armDeadline(0, () => (fired = true));
  armDeadline(1000, () => {}).cancel();
  // Kept through the cancel, so one request at a time does not start an interval each.
  assert.equal(tickerRunning(), true);
  await sleep(250);
  assert.equal(tickerRunning(), false, "stopped by the first tick with nothing armed");
  assert.equal(fired, false);
});
