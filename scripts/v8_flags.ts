/**
 * The V8 flags ccgate runs with, wherever it is started from a release: `deno task start`
 * (deno.json), the compiled binaries (scripts/compile.ts) and the benchmark, which must measure
 * what users run. A test keeps the three in step.
 *
 * `--no-allocation-site-pretenuring`: V8 learns per allocation site whether its objects live
 * long, and then allocates them in the old generation. A gateway serves streams, whose objects
 * live for the whole stream, with the same code that serves quick JSON requests; once streams
 * have taught V8 to pretenure, the JSON requests' objects go to the old generation too and drag
 * young ones along. Measured (docs/performance.md, "Session 12"): after 2 s of streaming, small
 * requests at c=32 served 27 % fewer requests with a p99 of 14–21 ms instead of 7–8, and 11–14
 * full GCs in 5 s instead of 3–5; with the flag, no change after streaming.
 * @module
 */

/** The flags. */
export const V8_FLAGS: readonly string[] = ["--no-allocation-site-pretenuring"];

/** The flags as one `deno run` / `deno compile` argument. */
export function v8FlagsArg(): string {
  return `--v8-flags=${V8_FLAGS.join(",")}`;
}
