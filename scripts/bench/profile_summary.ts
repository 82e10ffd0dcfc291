/**
 * Summarises a V8 CPU profile (`deno run --cpu-prof`, e.g. from `deno task bench --cpu-prof`):
 * the functions with the most self time, the most inclusive time, and self time per source
 * (project file, npm package, Deno runtime, GC/idle/program):
 *
 *   deno run -A scripts/bench/profile_summary.ts bench-results/profiles/CPU.….cpuprofile [--top 30]
 *     [--focus NAME]   only samples whose stack contains a function named NAME
 * @module
 */
import { parseArgs } from "node:util";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

/** A V8 CPU profile as written by `--cpu-prof`. */
export interface CpuProfile {
  /** Call tree nodes. */
  nodes: ProfileNode[];
  /** Node id of each sample. */
  samples: number[];
  /** Microseconds since the previous sample. */
  timeDeltas: number[];
  /** Start, µs. */
  startTime: number;
  /** End, µs. */
  endTime: number;
}

/** One row of a summary. */
export interface ProfileRow {
  /** Function (or source) name. */
  name: string;
  /** Milliseconds. */
  ms: number;
  /** Share of all sampled time, percent. */
  percent: number;
}

/** Where a URL comes from, shortened for the report. */
export function sourceOf(url: string): string {
  if (!url) return "(native / runtime)";
  const npm = url.match(/\/npm\/registry\.npmjs\.org\/((?:@[^/]+\/)?[^/]+)\//) ??
    url.match(/node_modules\/(?:\.deno\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)\//);
  if (npm) return `npm:${npm[1]}`;
  if (url.startsWith("ext:")) return url.split("/").slice(0, 2).join("/");
  const src = url.match(/\/(src\/.+|scripts\/.+|main\.ts)$/);
  if (src) return src[1];
  return url.replace(/^file:\/\//, "");
}

function frameName(f: CallFrame): string {
  const fn = f.functionName || "(anonymous)";
  if (!f.url) return fn;
  return `${fn} ${sourceOf(f.url)}:${f.lineNumber + 1}`;
}

/** Self, inclusive and per-source times of a profile. */
export function summariseProfile(
  profile: CpuProfile,
  focus?: string,
): { totalMs: number; self: ProfileRow[]; inclusive: ProfileRow[]; sources: ProfileRow[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const sources = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    let id: number | undefined = profile.samples[i];
    const stack: CallFrame[] = [];
    while (id !== undefined) {
      const node = byId.get(id);
      if (!node) break;
      stack.push(node.callFrame);
      id = parent.get(id);
    }
    if (focus && !stack.some((f) => f.functionName === focus)) continue;
    total += dt;
    const leaf = stack[0];
    const leafName = frameName(leaf);
    self.set(leafName, (self.get(leafName) ?? 0) + dt);
    const src = leaf.url ? sourceOf(leaf.url) : leaf.functionName || "(native / runtime)";
    sources.set(src, (sources.get(src) ?? 0) + dt);
    for (const name of new Set(stack.map(frameName))) {
      inclusive.set(name, (inclusive.get(name) ?? 0) + dt);
    }
  }
  const rows = (m: Map<string, number>) =>
    [...m].map(([name, ms]) => ({ name, ms, percent: (100 * ms) / total }))
      .sort((a, b) => b.ms - a.ms);
  return { totalMs: total, self: rows(self), inclusive: rows(inclusive), sources: rows(sources) };
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: { top: { type: "string", default: "25" }, focus: { type: "string" } },
  });
  if (!positionals.length) {
    console.error("usage: profile_summary.ts FILE.cpuprofile [--top N] [--focus FUNCTION]");
    Deno.exit(2);
  }
  const top = Number(values.top);
  for (const file of positionals) {
    const profile = JSON.parse(await Deno.readTextFile(file)) as CpuProfile;
    const s = summariseProfile(profile, values.focus);
    const show = (title: string, rows: ProfileRow[]) => {
      console.log(`\n${title}`);
      for (const r of rows.slice(0, top)) {
        console.log(
          `${r.ms.toFixed(0).padStart(8)} ms ${r.percent.toFixed(1).padStart(5)}%  ${r.name}`,
        );
      }
    };
    console.log(`${file}: ${s.totalMs.toFixed(0)} ms sampled`);
    show("self time by source", s.sources);
    show("self time by function", s.self);
    show("inclusive time by function", s.inclusive);
  }
}
