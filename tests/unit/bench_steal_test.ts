import assert from "node:assert/strict";
import { parseCoreTimes, stealPercent } from "../../scripts/bench/steal.ts";
import { renderStealNote, type RunRecord } from "../../scripts/bench/report.ts";

const stat = (cpu0Steal: number, cpu0Idle: number) =>
  [
    "cpu  1000 10 300 5000 5 0 100 50 0 0",
    `cpu0 532650 1150 133197 ${cpu0Idle} 571 0 65747 ${cpu0Steal} 0 0`,
    "cpu1 467130 0 214993 1392010 2364 0 76867 24593 0 0",
    "cpu10 1 1 1 1 1 1 1 999 0 0",
    "intr 123 4 5",
  ].join("\n");

Deno.test("steal: parses one core's ticks (not cpu10 for cpu1) or the all-cores line", () => {
  assert.deepEqual(parseCoreTimes(stat(19800, 1415589), 0), {
    steal: 19800,
    total: 532650 + 1150 + 133197 + 1415589 + 571 + 0 + 65747 + 19800,
  });
  assert.equal(parseCoreTimes(stat(0, 0), 1)?.steal, 24593);
  assert.equal(parseCoreTimes(stat(0, 0))?.steal, 50);
  assert.equal(parseCoreTimes(stat(0, 0), 7), undefined);
  assert.equal(parseCoreTimes("cpu0 1 2 x\n", 0), undefined);
  assert.equal(parseCoreTimes(undefined, 0), undefined);
});

Deno.test("steal: the share of the ticks between two readings that were stolen", () => {
  const before = parseCoreTimes(stat(100, 1000), 0);
  // 60 ticks stolen and 140 idle: 200 ticks passed, 30 % stolen.
  const after = parseCoreTimes(stat(160, 1140), 0);
  assert.equal(stealPercent(before, after), 30);
  assert.equal(stealPercent(before, before), undefined);
  assert.equal(stealPercent(undefined, after), undefined);
});

Deno.test("steal: the report names the runs that lost at least 5 % of a core", () => {
  const run = (
    target: RunRecord["target"],
    round: number,
    stealPct?: number,
    loadStealPct?: number,
  ): RunRecord => ({ scenario: "small-c1", target, round, stealPct, loadStealPct });
  assert.equal(renderStealNote([run("ccgate", 1, 4.9, 4.9), run("direct", 1)]), undefined);
  const note = renderStealNote([
    run("passthrough", 3, 22.4),
    run("ccgate", 3, 5),
    run("ccgate", 1, 1),
    run("ccgate", 2, 0, 12),
  ]);
  assert.match(
    note ?? "",
    /small-c1 passthrough round 3: 22\.4 %; small-c1 ccgate round 3: 5\.0 %; small-c1 ccgate round 2: 12\.0 % of the load's core\./,
  );
  assert.doesNotMatch(note ?? "", /round 1/);
});
