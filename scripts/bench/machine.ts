/**
 * Facts about the machine and the tools, recorded with every benchmark result.
 * @module
 */
import { join } from "node:path";
import { commandFirstLine, type Pinning } from "./processes.ts";

/** Facts about the machine and the tools, for the report. */
export async function machineFacts(
  wrk: boolean | "disabled",
  pinning: Pinning,
  gatewayDir: string,
) {
  let cpuModel = "unknown";
  let memTotalGb = NaN;
  try {
    const cpuinfo = await Deno.readTextFile("/proc/cpuinfo");
    cpuModel = cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? cpuModel;
    const meminfo = await Deno.readTextFile("/proc/meminfo");
    const kb = Number(meminfo.match(/^MemTotal:\s+(\d+)/m)?.[1]);
    memTotalGb = Math.round((kb / 1024 / 1024) * 10) / 10;
  } catch { /* not Linux */ }
  const commit = await commandFirstLine("git", ["-C", gatewayDir, "rev-parse", "--short", "HEAD"]);
  const dirty = await commandFirstLine("git", ["-C", gatewayDir, "status", "--porcelain", "src"]);
  const version = await commandFirstLine(Deno.execPath(), [
    "run",
    "-A",
    join(gatewayDir, "main.ts"),
    "--version",
  ]);
  return {
    cores: navigator.hardwareConcurrency,
    cpuModel,
    memTotalGb,
    os: `${Deno.build.os} ${Deno.osRelease()}`,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    wrk: wrk === true
      ? await commandFirstLine("wrk", ["-v"])
      : wrk === "disabled"
      ? "wrk not used (--no-wrk): Deno client for non-streaming load"
      : "wrk not installed: Deno client for non-streaming load",
    pinning: pinning.enabled ? "taskset: gateway/pass-through core 0, upstream/load core 1" : "off",
    gateway: {
      dir: gatewayDir,
      version: version ?? "unknown",
      commit: commit && /^[0-9a-f]+$/.test(commit)
        ? `${commit}${dirty ? " (src/ has uncommitted changes)" : ""}`
        : "unknown (not a git checkout)",
    },
  };
}

/** What {@link machineFacts} finds. */
export type MachineFacts = Awaited<ReturnType<typeof machineFacts>>;
