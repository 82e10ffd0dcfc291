/**
 * Is a change faster? Runs two ccgate builds side by side, both pinned to the gateway core and
 * loaded at the same time (the paired method of scripts/bench/paired.ts), and prints the median
 * ratio of their req/s and CPU per request over several rounds:
 *
 *   deno run -A scripts/bench/compare.ts --base /tmp/ccgate-before [--head DIR]
 *     [--load small|large|stream] [--rounds 4] [--duration 8] [--concurrency 16]
 *
 * `--base` and `--head` are checkouts (e.g. `git worktree add /tmp/ccgate-before HEAD~1`);
 * `--head` defaults to this repository. Each round alternates which build's load starts first.
 * On this shared VM back-to-back runs drift by 10–20 %; side by side the ratio holds to ~±3 %.
 * @module
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { baseHeaders, BENCH_MODEL, claudeCodeRequest, repoRoot, smallBody } from "./bodies.ts";
import { CLIENT_KEY, LOAD_CPU, type Proc, startCcgate, startFakeUpstream } from "./launch.ts";
import { hasCommand, Pinning, type Service } from "./processes.ts";
import { readCpuMs } from "./rss.ts";
import { LARGE_BODY_BYTES } from "./scenarios.ts";
import { median } from "./stats.ts";
import { spawnStreamClient } from "./stream_client.ts";
import { type LoadResult, runWrk } from "./wrk.ts";

interface Build extends Proc {
  label: "base" | "head";
}

/** Runs the comparison; returns the exit code. */
export async function compare(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      base: { type: "string" },
      head: { type: "string" },
      load: { type: "string", default: "small" },
      rounds: { type: "string", default: "4" },
      duration: { type: "string", default: "8" },
      concurrency: { type: "string", default: "16" },
    },
  });
  const load = values.load;
  if (!values.base || !["small", "large", "stream"].includes(load)) {
    console.error(
      "usage: compare.ts --base DIR [--head DIR] [--load small|large|stream] [--rounds N]",
    );
    return 2;
  }
  if (load !== "stream" && !(await hasCommand("wrk"))) {
    console.error("wrk is missing: apt-get update && apt-get install -y wrk");
    return 2;
  }
  const rounds = Number(values.rounds);
  const durationS = Number(values.duration);
  const concurrency = Number(values.concurrency);
  const pinning = new Pinning((await hasCommand("taskset")) && navigator.hardwareConcurrency >= 2);
  const tmp = await Deno.makeTempDir({ prefix: "ccgate-compare-" });
  const services: Service[] = [];
  try {
    const upstream = await startFakeUpstream(pinning, join(tmp, "upstream.log"), [
      "--event-delay-ms",
      "1",
    ]);
    services.push(upstream.service);
    const builds: Build[] = [];
    for (const label of ["base", "head"] as const) {
      const proc = await startCcgate({
        name: `ccgate (${label})`,
        gatewayDir: resolve(label === "base" ? values.base : values.head ?? repoRoot()),
        kind: "anthropic",
        upstreamUrl: upstream.url,
        clientAuth: true,
        tmp,
        pinning,
        denoFlags: [],
        logFile: join(tmp, `ccgate-${label}.log`),
      });
      services.push(proc.service);
      builds.push({ ...proc, label });
    }

    const large = claudeCodeRequest(LARGE_BODY_BYTES);
    const body = load === "small"
      ? smallBody(false)
      : load === "large"
      ? large.body
      : smallBody(true);
    const headers = load === "large"
      ? { ...large.headers, ...baseHeaders(CLIENT_KEY) }
      : baseHeaders(CLIENT_KEY);
    const path = load === "large" ? large.path : "/v1/messages";
    const bodyFile = join(tmp, "body.json");
    await Deno.writeFile(bodyFile, body);
    const run = (build: Build, seconds: number): Promise<LoadResult> =>
      load === "stream"
        ? spawnStreamClient({
          url: build.url + path,
          bodyFile,
          headers,
          sse: true,
          concurrency,
          durationS: seconds,
          warmupS: 0.5,
          timeoutS: 15,
          cpu: LOAD_CPU,
          pinning,
        })
        : runWrk({
          url: build.url + path,
          bodyFile,
          headers,
          concurrency,
          durationS: seconds,
          cpu: LOAD_CPU,
          pinning,
          scriptFile: join(tmp, `wrk-${build.label}.lua`),
        });

    console.error(`${load} load, model ${BENCH_MODEL}, ${concurrency} connections per build`);
    await Promise.all(builds.map((b) => run(b, 2))); // warm-up
    const rpsRatios: number[] = [];
    const cpuRatios: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 ? builds : [...builds].reverse();
      const before = await Promise.all(builds.map((b) => readCpuMs(b.service.pid)));
      const results = new Map<string, LoadResult>();
      await Promise.all(order.map(async (b) => results.set(b.label, await run(b, durationS))));
      const after = await Promise.all(builds.map((b) => readCpuMs(b.service.pid)));
      const cpu = builds.map((b, i) =>
        ((after[i]! - before[i]!) * 1000) / Math.max(results.get(b.label)!.requests, 1)
      );
      const [base, head] = builds.map((b) => results.get(b.label)!);
      rpsRatios.push(head.rps / base.rps);
      cpuRatios.push(cpu[1] / cpu[0]);
      console.error(
        `round ${round}: base ${base.rps.toFixed(0)} req/s ${cpu[0].toFixed(0)} µs/req, ` +
          `head ${head.rps.toFixed(0)} req/s ${cpu[1].toFixed(0)} µs/req, errors ${
            base.errors + head.errors
          }`,
      );
    }
    console.log(
      `head/base over ${rounds} rounds (median): req/s ${median(rpsRatios).toFixed(3)}×, ` +
        `CPU per request ${median(cpuRatios).toFixed(3)}× ` +
        `(req/s ratios ${rpsRatios.map((r) => r.toFixed(2)).join(", ")})`,
    );
    return 0;
  } finally {
    await Promise.all(services.map((s) => s.stop(5000)));
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  Deno.exit(await compare(Deno.args));
}
