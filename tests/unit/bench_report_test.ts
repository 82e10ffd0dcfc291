import assert from "node:assert/strict";
import { type PairedRecord, renderPaired, summarisePaired } from "../../scripts/bench/paired.ts";
import {
  evaluateTargets,
  type ScenarioSummary,
  type TargetSummary,
} from "../../scripts/bench/report.ts";
import type { LoadResult } from "../../scripts/bench/wrk.ts";

/** A target's medians: plausible defaults, with the fields a test is about overridden. */
function summary(
  target: TargetSummary["target"],
  fields: Partial<TargetSummary> = {},
): TargetSummary {
  return {
    target,
    rounds: 3,
    rps: 1000,
    p50Ms: 1,
    p99Ms: 2,
    addedP50Ms: 0.1,
    addedP99Ms: 0.2,
    ttfbP50Ms: NaN,
    ttfbP99Ms: NaN,
    addedTtfbP50Ms: NaN,
    ratioVsPassthrough: 1,
    peakRssMb: 100,
    cpuUsPerRequest: 100,
    stealPct: 0,
    errors: 0,
    maxOpen: 0,
    ...fields,
  };
}

const load = (rps: number, errors = 0): LoadResult => ({
  requests: rps * 5,
  durationS: 5,
  rps,
  p50Ms: 1,
  p90Ms: 2,
  p99Ms: 3,
  maxMs: 4,
  errors,
});

Deno.test("paired runs: medians of per-run ratios and CPU, failed runs left out", () => {
  const records: PairedRecord[] = [
    {
      scenario: "small-c32",
      round: 1,
      passthrough: load(1000),
      ccgate: load(500),
      passthroughCpuUs: 100,
      ccgateCpuUs: 210,
    },
    {
      scenario: "small-c32",
      round: 2,
      passthrough: load(800),
      ccgate: load(600, 2),
      passthroughCpuUs: 120,
      ccgateCpuUs: 190,
    },
    {
      scenario: "small-c32",
      round: 3,
      passthrough: load(900),
      ccgate: load(540),
      passthroughCpuUs: 110,
      ccgateCpuUs: 200,
    },
    { scenario: "small-c32", round: 4, error: "wrk failed" },
    { scenario: "body-150k", round: 1, passthrough: load(10), ccgate: load(10) },
  ];
  const s = summarisePaired("small-c32", records)!;
  assert.equal(s.rounds, 3);
  assert.equal(s.ratio, 0.6); // ratios 0.5, 0.75, 0.6
  assert.equal(s.passthroughRps, 900);
  assert.equal(s.ccgateRps, 540);
  assert.equal(s.passthroughCpuUs, 110);
  assert.equal(s.ccgateCpuUs, 200);
  assert.equal(s.errors, 3); // two failed requests and one failed run
  assert.equal(summarisePaired("stream-c64", records), undefined);
  const table = renderPaired([s]);
  assert.match(table, /\| small-c32 \| 3 \| 900 \| 540 \| 0\.60 \| 110 \| 200 \| 3 \|/);
});

Deno.test("targets: the verdict is the back-to-back ratio, the paired ratio is shown beside it", () => {
  const target = (name: TargetSummary["target"], rps: number, ratio: number) =>
    summary(name, { rps, ratioVsPassthrough: ratio });
  const summaries: ScenarioSummary[] = [{
    name: "small-c32",
    description: "",
    load: "wrk",
    targets: [target("passthrough", 1000, 1), target("ccgate", 920, 0.92)],
  }];
  const paired = [{
    scenario: "small-c32",
    rounds: 3,
    passthroughRps: 500,
    ccgateRps: 400,
    ratio: 0.8,
    passthroughCpuUs: 100,
    ccgateCpuUs: 125,
    errors: 0,
  }];
  const checks = evaluateTargets(summaries, { idle: {}, afterRun: {} }, paired);
  const small = checks.find((c) => c.name.startsWith("small non-streaming c=32"))!;
  assert.equal(small.pass, true);
  assert.match(small.detail, /^0\.92× \(920 vs 1000 req\/s\); paired run 0\.80×$/);
  const body = checks.find((c) => c.name.startsWith("150 KB"))!;
  assert.equal(body.pass, undefined);

  // A miss that rounds to the limit shows the digit that makes it a miss.
  summaries[0].targets[1] = target("ccgate", 899, 0.8987);
  const near = evaluateTargets(summaries, { idle: {}, afterRun: {} }, paired)
    .find((c) => c.name.startsWith("small non-streaming c=32"))!;
  assert.equal(near.pass, false);
  assert.match(near.detail, /^0\.899× \(899 vs 1000 req\/s\)/);
});

Deno.test("targets: added TTFB is judged at both paces, each against its own pass-through", () => {
  const target = (name: TargetSummary["target"], addedTtfb: number) =>
    summary(name, {
      rps: 64,
      p50Ms: 500,
      p99Ms: 520,
      ttfbP50Ms: 5,
      ttfbP99Ms: 9,
      addedTtfbP50Ms: addedTtfb,
      cpuUsPerRequest: 1000,
    });
  const scenario = (name: string, pt: number, gw: number): ScenarioSummary => ({
    name,
    description: "",
    load: "stream",
    targets: [target("passthrough", pt), target("ccgate", gw)],
  });
  const checks = evaluateTargets(
    [scenario("stream-c64-paced", 2.0, 2.4), scenario("stream-c64", 2.9, 5.8)],
    { idle: {}, afterRun: {} },
  );
  const paced = checks.find((c) => c.name.includes("10 ms apart"))!;
  assert.equal(paced.pass, true);
  assert.equal(paced.detail, "+2.400 ms vs +2.000 ms (limit +2.500 ms)");
  const dense = checks.find((c) => c.name.includes("1 ms apart"))!;
  assert.equal(dense.pass, false);
  assert.equal(dense.detail, "+5.800 ms vs +2.900 ms (limit +3.400 ms)");
});

Deno.test("targets: a verdict on runs with CPU steal stands and says it is unreliable", () => {
  const judge = (ptSteal: number, gwSteal: number) =>
    evaluateTargets([{
      name: "small-c32",
      description: "",
      load: "wrk",
      targets: [
        summary("passthrough", { stealPct: ptSteal }),
        summary("ccgate", { rps: 500, ratioVsPassthrough: 0.5, stealPct: gwSteal }),
      ],
    }], { idle: {}, afterRun: {} }).find((c) => c.name.startsWith("small non-streaming c=32"))!;
  const clean = judge(0.5, 4.9);
  assert.equal(clean.pass, false);
  assert.doesNotMatch(clean.detail, /unreliable/);
  const stolen = judge(12.25, 3);
  assert.equal(stolen.pass, false);
  assert.match(stolen.detail, /— unreliable: 12\.3 % of the gateway core stolen \(median\)$/);
});
