import assert from "node:assert/strict";
import { parseBenchOptions } from "../../scripts/bench/options.ts";
import { streamRampMs } from "../../scripts/bench/scenarios.ts";

function parse(args: string[]) {
  const options = parseBenchOptions(args);
  assert.equal(typeof options, "object", `parseBenchOptions(${args.join(" ")}) returned a code`);
  return options as Exclude<typeof options, number>;
}

Deno.test("bench options: smoke shortens runs; --scenario picks; --out is resolved", () => {
  const full = parse([]);
  assert.equal(full.rounds, 3);
  assert.equal(full.durationS, 5);
  assert.equal(full.scenarios.length, full.all.length);
  assert.match(full.outDir, /bench-results$/);

  const smoke = parse(["--smoke", "--scenario", "body-150k", "--out", "rel/dir"]);
  assert.equal(smoke.rounds, 1);
  assert.equal(smoke.durationS, 1);
  assert.deepEqual(smoke.scenarios.map((s) => s.name), ["body-150k"]);
  assert.equal(smoke.outDir, `${Deno.cwd()}/rel/dir`);
});

Deno.test("bench options: ccgate runs as the bundle unless --from-source or --cpu-prof", () => {
  assert.equal(parse([]).fromSource, false);
  assert.equal(parse(["--from-source"]).fromSource, true);
  // A profile of minified code would not say which module a function is in.
  assert.equal(parse(["--cpu-prof"]).fromSource, true);
});

Deno.test("bench options: --event-delay-ms moves every stream scenario's pace and ramp", () => {
  const before = parse([]).all.find((s) => s.name === "stream-c64")!;
  const options = parse(["--event-delay-ms", "7"]);
  const streams = options.all.filter((s) => s.load === "stream");
  assert.ok(streams.length >= 3);
  for (const s of streams) assert.equal(s.eventDelayMs, 7, s.name);
  const after = options.all.find((s) => s.name === "stream-c64")!;
  assert.ok(streamRampMs(after) > streamRampMs(before));
  // Non-streaming scenarios are untouched.
  assert.equal(options.all.find((s) => s.name === "small-c32")!.eventDelayMs, undefined);
});

Deno.test("bench options: usage errors stop with code 2, --help with 0", () => {
  const errors = console.error;
  const logs = console.log;
  console.error = () => {};
  console.log = () => {};
  try {
    assert.equal(parseBenchOptions(["--scenario", "nope"]), 2);
    assert.equal(parseBenchOptions(["--event-delay-ms=-1"]), 2);
    assert.equal(parseBenchOptions(["--gateway-log-level", "loud"]), 2);
    assert.equal(parseBenchOptions(["--help"]), 0);
    assert.throws(
      () => parseBenchOptions(["--rounds", "0"]),
      /--rounds: expected a positive number/,
    );
  } finally {
    console.error = errors;
    console.log = logs;
  }
});
