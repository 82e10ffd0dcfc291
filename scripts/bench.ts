/**
 * The ccgate benchmark (`deno task bench`). It starts, by itself and all on 127.0.0.1:
 *
 * - a fast fake upstream (scripts/bench/fake_upstream_server.ts), pinned to core 1;
 * - the minimal `Deno.serve` + `fetch` pass-through (scripts/bench/passthrough.ts), core 0;
 * - ccgate as a subprocess, bundled as `deno task start` runs it (`--from-source`: main.ts)
 *   with four API keys in one anthropic provider, client auth on and the default log level,
 *   its log going to a file, core 0;
 *
 * then drives each scenario with wrk (non-streaming throughput; Lua script for the POST body), the
 * closed-loop client (latency at one connection: every request timed, see closed_loop_client.ts)
 * or the Deno stream client (streams: time to first byte and total time of every stream), all on
 * core 1,
 * against the upstream directly, the pass-through and ccgate in turn, for several rounds, and
 * reports the medians: a markdown table on stdout, pass/fail lines for the targets of issue 5,
 * and JSON in bench-results/ (or `--out DIR`).
 *
 *   deno task bench                         # full run (5 s per run, 3 rounds)
 *   deno task bench --smoke                 # every scenario ~1 s, 1 round, low counts
 *   deno task bench --scenario small-c32 --scenario stream-c64 --rounds 5 --duration 10
 *
 * See `--help` and docs/performance.md.
 * @module
 */
import { join } from "node:path";
import { hasCommand, machineBusy, Pinning, sleep } from "./bench/processes.ts";
import {
  evaluateTargets,
  type MemoryReport,
  renderTable,
  type RunRecord,
  type ScenarioSummary,
  summariseScenario,
} from "./bench/report.ts";
import { TARGETS } from "./bench/scenarios.ts";
import { type PairedRecord, type PairedSummary, summarisePaired } from "./bench/paired.ts";
import { WRK_INSTALL } from "./bench/wrk.ts";
import { type BenchOptions, parseBenchOptions } from "./bench/options.ts";
import { machineFacts } from "./bench/machine.ts";
import { Bench, formatRun } from "./bench/runner.ts";
import { printReport, writeResults } from "./bench/output.ts";

function log(message: string): void {
  console.error(message);
}

/** Runs the benchmark; returns the exit code. */
export async function runBenchmark(args: string[]): Promise<number> {
  let options: BenchOptions;
  try {
    const parsed = parseBenchOptions(args);
    if (typeof parsed === "number") return parsed;
    options = parsed;
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  try {
    Deno.statSync(join(options.gatewayDir, "main.ts"));
  } catch {
    console.error(`no main.ts in ${options.gatewayDir} (--gateway)`);
    return 2;
  }

  const cores = navigator.hardwareConcurrency;
  const taskset = await hasCommand("taskset");
  const pinning = new Pinning(taskset && cores >= 2);
  if (!taskset) log("warning: taskset not found (util-linux); processes are not pinned");
  else if (cores < 2) log("warning: fewer than 2 cores; processes are not pinned");
  const wrkInstalled = await hasCommand("wrk");
  const wrk = wrkInstalled && !options.noWrk;
  if (!wrkInstalled) {
    log(`warning: wrk not found; install it with:\n  ${WRK_INSTALL}`);
    log("         the Deno client stands in for non-streaming scenarios meanwhile");
  }

  const busy = await machineBusy(1000);
  if (busy !== undefined && busy > 0.1) {
    log(
      `warning: the machine is ${
        Math.round(busy * 100)
      }% busy before the benchmark starts; other processes will skew the results`,
    );
  }

  const tmp = await Deno.makeTempDir({ prefix: "ccgate-bench-" });
  const bench = new Bench(options, pinning, wrk, tmp);
  const cleanup = async () => {
    await bench.stopAll();
    if (!options.keep) await Deno.remove(tmp, { recursive: true }).catch(() => {});
  };
  const onSignal = () => {
    log("interrupted: stopping the benchmark's processes");
    cleanup().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);

  try {
    const facts = await machineFacts(
      wrk || (wrkInstalled ? "disabled" : false),
      pinning,
      options.gatewayDir,
    );
    const mode = options.smoke ? "smoke" : "full";
    log(`ccgate benchmark (${mode}): ${facts.cores} cores, deno ${facts.deno}, ${facts.wrk}`);
    log(`gateway: ${facts.gateway.dir} ${facts.gateway.version} ${facts.gateway.commit}`);
    if (options.label) log(`label: ${options.label}`);
    await bench.writeBodies();
    log(`large body: ${bench.large.body.length} bytes from ${bench.large.source}`);

    await bench.startUpstream();
    await bench.startPassthrough();
    await bench.startGateway("anthropic");
    log(
      `upstream ${bench.upstream!.url} (pid ${bench.upstream!.service.pid}), pass-through ${
        bench.passthrough!.url
      } (pid ${bench.passthrough!.service.pid}), ccgate ${bench.gateway!.url} (pid ${
        bench.gateway!.service.pid
      })`,
    );
    await bench.preflight();

    // Idle memory: started, a few requests served, settled.
    await sleep(1000);
    const memory: MemoryReport = {
      idle: { passthrough: await bench.rssMb("passthrough"), ccgate: await bench.rssMb("ccgate") },
      afterRun: {},
    };
    log(
      `idle RSS: pass-through ${memory.idle.passthrough?.toFixed(1)} MB, ccgate ${
        memory.idle.ccgate?.toFixed(1)
      } MB`,
    );

    // Warm-up (JIT, connection pools): not measured.
    const warmS = options.smoke ? 0.5 : 2;
    const small = options.all.find((s) => s.name === "small-c32")!;
    const stream = options.all.find((s) => s.name === "stream-c64")!;
    log(`warm-up: ${warmS} s non-streaming and ${warmS} s streaming per target`);
    for (const target of TARGETS) {
      for (const scenario of [small, stream]) {
        const url = bench.proc(target, scenario).url;
        await bench.load(scenario, url, warmS, `warmup-${target}`).catch((error) => {
          log(`warm-up of ${target} failed: ${(error as Error).message}`);
        });
      }
    }

    const records: RunRecord[] = [];
    const summaries: ScenarioSummary[] = [];
    const pairedRecords: PairedRecord[] = [];
    const pairedSummaries: PairedSummary[] = [];
    for (const scenario of options.scenarios) {
      log(`\n== ${scenario.name}: ${scenario.description}`);
      if (scenario.gateway === "openai") {
        const gw = await bench.startGateway("openai");
        const problem = await bench.probe(scenario, gw.url);
        if (problem) {
          const reason = `the gateway has no openai-compatible provider support (${problem})`;
          log(`not available: ${reason}`);
          await gw.service.stop();
          bench.openaiGateway = undefined;
          summaries.push(summariseScenario(scenario, [], reason));
          continue;
        }
      }
      for (let round = 1; round <= options.rounds; round++) {
        for (const target of TARGETS) {
          const record = await bench.run(scenario, target, round);
          records.push(record);
          const prefix = `  [round ${round}/${options.rounds}] ${target.padEnd(11)}`;
          log(
            record.error
              ? `${prefix} FAILED: ${record.error}`
              : `${prefix} ${formatRun(record, scenario.load)}`,
          );
          // Let the last run's connections close before the next target starts.
          await sleep(scenario.load === "hold" ? 1000 : 200);
        }
        if (options.paired && scenario.load !== "hold" && scenario.concurrency >= 2) {
          const p = await bench.paired(scenario, round);
          pairedRecords.push(p);
          const prefix = `  [round ${round}/${options.rounds}] paired     `;
          log(
            p.error || !p.passthrough || !p.ccgate
              ? `${prefix} FAILED: ${p.error}`
              : `${prefix} pass-through ${p.passthrough.rps.toFixed(1)} req/s, ccgate ${
                p.ccgate.rps.toFixed(1)
              } req/s (${(p.ccgate.rps / p.passthrough.rps).toFixed(2)}×), cpu ${
                p.passthroughCpuUs?.toFixed(0)
              } / ${p.ccgateCpuUs?.toFixed(0)} µs/req`,
          );
          await sleep(200);
        }
      }
      const pairedSummary = summarisePaired(scenario.name, pairedRecords);
      if (pairedSummary) pairedSummaries.push(pairedSummary);
      if (bench.openaiGateway) {
        await bench.openaiGateway.service.stop();
        bench.openaiGateway = undefined;
      }
      summaries.push(summariseScenario(scenario, records));
    }

    await sleep(2000);
    memory.afterRun = {
      passthrough: await bench.rssMb("passthrough"),
      ccgate: await bench.rssMb("ccgate"),
    };

    let logLines = 0;
    try {
      logLines = (await Deno.readTextFile(bench.gateway!.service.logFile)).split("\n").length - 1;
    } catch { /* no log */ }
    const results = {
      options,
      facts,
      busy,
      largeBody: { bytes: bench.large.body.length, source: bench.large.source },
      logLines,
      summaries,
      paired: pairedSummaries,
      memory,
      checks: evaluateTargets(summaries, memory, pairedSummaries),
      runs: records,
      pairedRuns: pairedRecords,
      table: renderTable(summaries, memory),
    };
    printReport(results);
    console.log(`\nJSON: ${await writeResults(results)}`);
    if (options.keep) console.log(`temporary files kept in ${tmp}`);
    return 0;
  } catch (error) {
    console.error(`benchmark failed: ${(error as Error).message}`);
    return 1;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    await cleanup();
  }
}

if (import.meta.main) {
  Deno.exit(await runBenchmark(Deno.args));
}
