/**
 * Resident memory of a process from /proc/<pid>/status: current (VmRSS) and peak (VmHWM). The
 * peak can be reset between runs by writing 5 to /proc/<pid>/clear_refs (Linux ≥ 4.0), so each
 * run reports its own peak; where that is not permitted, a sampler records the largest VmRSS.
 * Also the CPU time a process used (/proc/<pid>/stat), for CPU per request.
 * @module
 */

/** One reading of a process's memory, in KiB. */
export interface RssReading {
  /** Resident set size now (VmRSS). */
  rssKb: number;
  /** Peak resident set size since start or the last reset (VmHWM). */
  hwmKb: number;
}

/** Reads VmRSS and VmHWM of `pid`; undefined when the process is gone or /proc is absent. */
export async function readRss(pid: number): Promise<RssReading | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(`/proc/${pid}/status`);
  } catch {
    return undefined;
  }
  const field = (name: string) => {
    const m = text.match(new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, "m"));
    return m ? Number(m[1]) : NaN;
  };
  return { rssKb: field("VmRSS"), hwmKb: field("VmHWM") };
}

/** Resets the peak RSS (VmHWM) of `pid` to its current RSS; false when not permitted. */
export async function resetPeak(pid: number): Promise<boolean> {
  try {
    await Deno.writeTextFile(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** Samples VmRSS of a process at a fixed interval and keeps the largest value. */
export class RssSampler {
  readonly #pid: number;
  readonly #intervalMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #maxKb = 0;
  #pending: Promise<void> = Promise.resolve();

  /** @param pid Process to watch. @param intervalMs Sampling interval. */
  constructor(pid: number, intervalMs = 100) {
    this.#pid = pid;
    this.#intervalMs = intervalMs;
  }

  /** Starts sampling (and takes one sample at once). */
  start(): void {
    const sample = () => {
      this.#pending = readRss(this.#pid).then((r) => {
        if (r && r.rssKb > this.#maxKb) this.#maxKb = r.rssKb;
      });
    };
    sample();
    this.#timer = setInterval(sample, this.#intervalMs);
  }

  /** Stops sampling; resolves to the largest VmRSS seen, in KiB. */
  async stop(): Promise<number> {
    clearInterval(this.#timer);
    await this.#pending;
    return this.#maxKb;
  }
}

/**
 * Measures the peak RSS of `pid` while `work` runs: resets VmHWM first when allowed, samples
 * VmRSS meanwhile, and returns the larger of the two peaks in MiB (undefined without /proc),
 * the RSS at the start and the CPU time the process used meanwhile.
 */
export async function peakRssDuring<T>(
  pid: number | undefined,
  work: () => Promise<T>,
): Promise<{ result: T; peakMb?: number; cpuMs?: number; startRssMb?: number }> {
  if (pid === undefined) return { result: await work() };
  const reset = await resetPeak(pid);
  const startRss = await readRss(pid);
  const cpuBefore = await readCpuMs(pid);
  const sampler = new RssSampler(pid);
  sampler.start();
  let result: T;
  let sampled = 0;
  try {
    result = await work();
  } finally {
    sampled = await sampler.stop();
  }
  const cpuAfter = await readCpuMs(pid);
  const end = await readRss(pid);
  const peakKb = Math.max(sampled, reset && end ? end.hwmKb : 0, end?.rssKb ?? 0);
  return {
    result,
    peakMb: peakKb > 0 ? peakKb / 1024 : undefined,
    cpuMs: cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : undefined,
    startRssMb: startRss ? startRss.rssKb / 1024 : undefined,
  };
}

let clockTicks: number | undefined;

/** CPU time (user + system) `pid` has used so far, in ms; undefined without /proc. */
export async function readCpuMs(pid: number): Promise<number | undefined> {
  if (clockTicks === undefined) {
    clockTicks = 100;
    try {
      const out = await new Deno.Command("getconf", { args: ["CLK_TCK"], stdout: "piped" })
        .output();
      const n = Number(new TextDecoder().decode(out.stdout).trim());
      if (Number.isFinite(n) && n > 0) clockTicks = n;
    } catch { /* keep 100 */ }
  }
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    // Fields after "(comm) ": state is the first; utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
  } catch {
    return undefined;
  }
}
