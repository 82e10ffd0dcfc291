import assert from "node:assert/strict";
import { compileArgs, TARGETS } from "../../scripts/compile.ts";
import { V8_FLAGS, v8FlagsArg } from "../../scripts/v8_flags.ts";
import denoConfig from "../../deno.json" with { type: "json" };

Deno.test("compileArgs: the binary gets every unstable feature deno.json enables", () => {
  const args = compileArgs("x86_64-unknown-linux-gnu");
  for (const feature of denoConfig.unstable) assert.ok(args.includes(`--unstable-${feature}`));
  assert.deepEqual(
    args.filter((a) => a.startsWith("--unstable-")).length,
    denoConfig.unstable.length,
  );
});

Deno.test("compileArgs: only the npm packages main.ts reaches are embedded", () => {
  assert.ok(compileArgs("aarch64-apple-darwin").includes("--exclude-unused-npm"));
});

Deno.test("compileArgs: one output per target, .exe on Windows, the bundle's entry last", () => {
  const outputs = TARGETS.map((target) => {
    const args = compileArgs(target, "out");
    assert.deepEqual(args.at(-1), "dist/bundle/main.js");
    assert.deepEqual(args[args.indexOf("--target") + 1], target);
    return args[args.indexOf("--output") + 1];
  });
  assert.deepEqual(new Set(outputs).size, TARGETS.length);
  assert.deepEqual(outputs.filter((o) => o.endsWith(".exe")), [
    "out/ccgate-x86_64-pc-windows-msvc.exe",
  ]);
  assert.ok(outputs.every((o) => o.startsWith("out/ccgate-")));
});

Deno.test("V8 flags: `deno task start` and the binaries run with the same ones", () => {
  assert.ok(V8_FLAGS.length > 0);
  assert.ok(denoConfig.tasks.start.includes(` ${v8FlagsArg()} `), denoConfig.tasks.start);
  assert.ok(compileArgs("x86_64-unknown-linux-gnu").includes(v8FlagsArg()));
});
