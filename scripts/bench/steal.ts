/**
 * CPU time the hypervisor took from a core (the "steal" column of /proc/stat). On a shared VM a
 * neighbour can take a fifth or more of a core for seconds at a time: the process on it then
 * serves fewer requests and is charged more CPU per request, and a run's numbers say more about
 * the neighbour than about the gateway. Each run records the share stolen from the core its
 * target was pinned to and from the load's core, so the report can flag such runs.
 * @module
 */

/** Cumulative ticks of one core (or of all cores). */
export interface CoreTimes {
  /** Ticks stolen by the hypervisor. */
  steal: number;
  /** All ticks: user, nice, system, idle, iowait, irq, softirq, steal. */
  total: number;
}

/** The times of `core` (undefined: the all-cores line) in a /proc/stat text. */
export function parseCoreTimes(stat: string | undefined, core?: number): CoreTimes | undefined {
  if (stat === undefined) return undefined;
  const name = core === undefined ? "cpu" : `cpu${core}`;
  const line = stat.split("\n").find((l) => l.startsWith(`${name} `));
  if (!line) return undefined;
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (ticks.length < 8 || ticks.some((t) => !Number.isFinite(t))) return undefined;
  return { steal: ticks[7], total: ticks.reduce((a, b) => a + b, 0) };
}

/** Reads /proc/stat now (undefined off Linux). */
export async function readProcStat(): Promise<string | undefined> {
  try {
    return await Deno.readTextFile("/proc/stat");
  } catch {
    return undefined;
  }
}

/** Percentage of the ticks between two readings of a core that were stolen. */
export function stealPercent(before?: CoreTimes, after?: CoreTimes): number | undefined {
  if (!before || !after) return undefined;
  const total = after.total - before.total;
  return total > 0 ? ((after.steal - before.steal) / total) * 100 : undefined;
}
