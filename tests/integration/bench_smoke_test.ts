/**
 * The benchmark itself, end to end in its seconds-long smoke mode: it must start its fake
 * upstream, the pass-through and both ccgate configs, get correct answers from each, measure
 * every target and judge the targets. No timing is asserted; this keeps the instrument from
 * rotting when the gateway's config or CLI changes.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../../", import.meta.url));

Deno.test("bench --smoke: measures direct, pass-through and ccgate in three kinds of scenario", async () => {
  const out = await Deno.makeTempDir({ prefix: "ccgate-bench-smoke-" });
  try {
    const scenarios = ["small-c32", "body-150k", "translated-stream-c64"];
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "scripts/bench.ts",
        "--smoke",
        "--no-wrk",
        "--no-paired",
        ...scenarios.flatMap((s) => ["--scenario", s]),
        "--out",
        out,
      ],
      cwd: repo,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(stdout);
    assert.equal(code, 0, new TextDecoder().decode(stderr).slice(-2000));

    const files = [...Deno.readDirSync(out)].map((e) => e.name);
    assert.equal(files.length, 1, `one JSON file in --out, got ${files}`);
    assert.match(files[0], /^bench-.*-smoke\.json$/);
    const results = JSON.parse(await Deno.readTextFile(`${out}/${files[0]}`));

    assert.deepEqual(results.summaries.map((s: { name: string }) => s.name), scenarios);
    for (const summary of results.summaries) {
      assert.equal(summary.unavailable, undefined, `${summary.name}: ${summary.unavailable}`);
      assert.deepEqual(
        summary.targets.map((t: { target: string }) => t.target),
        ["direct", "passthrough", "ccgate"],
      );
      for (const t of summary.targets) {
        const where = `${summary.name}/${t.target}`;
        assert.equal(t.errors, 0, where);
        assert.ok(t.rps > 0, `${where}: req/s ${t.rps}`);
        assert.ok(t.p50Ms > 0 && t.p99Ms >= t.p50Ms, `${where}: p50 ${t.p50Ms}, p99 ${t.p99Ms}`);
        assert.ok(t.cpuUsPerRequest > 0, `${where}: CPU per request ${t.cpuUsPerRequest}`);
        if (t.target !== "direct") assert.ok(t.peakRssMb > 0, `${where}: peak RSS`);
      }
    }
    // Each run records how much of its core the hypervisor took (from /proc/stat).
    for (const run of results.runs) {
      assert.equal(typeof run.stealPct, "number", `${run.scenario}/${run.target}: stealPct`);
    }
    // Every request went through ccgate's request log (default level, auth on).
    assert.ok(results.gatewayOptions.logLines > 0);
    assert.equal(results.gatewayOptions.clientAuth, true);
    assert.ok(results.memory.idle.ccgate > 0 && results.memory.idle.passthrough > 0);
    assert.equal(results.largeBody.bytes >= 100_000 && results.largeBody.bytes <= 160_000, true);

    // The scenarios run are judged; the others are reported as not measured.
    const judged = (prefix: string) =>
      results.checks.find((c: { name: string }) => c.name.startsWith(prefix));
    for (const prefix of ["small non-streaming c=32", "150 KB bodies", "translated streaming"]) {
      assert.equal(typeof judged(prefix)?.pass, "boolean", prefix);
    }
    assert.equal(judged("small non-streaming c=1: added p50")?.pass, undefined);
    assert.match(text, /\| body-150k \| ccgate \|/);
    assert.match(text, /^(PASS|MISS) +150 KB bodies/m);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
