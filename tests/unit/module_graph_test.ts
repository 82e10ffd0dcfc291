/**
 * Guards what the gateway's module graph pulls in, where a one-line import change would cost idle
 * memory without failing any behaviour test.
 * @module
 */
import assert from "node:assert/strict";

/** The npm specifiers `deno info` lists for `main.ts` (static and dynamic imports). */
async function npmSpecifiers(): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "main.ts"],
    cwd: new URL("../../", import.meta.url),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string }[];
  };
  return info.modules.map((m) => m.specifier).filter((s) => s.startsWith("npm:"));
}

Deno.test("the gateway imports zod only through zod/v3 (zod 4's entry points load every locale)", async () => {
  const zod = (await npmSpecifiers()).filter((s) => /^npm:\/?zod@/.test(s));
  assert.ok(zod.length > 0, "zod is imported");
  for (const specifier of zod) assert.match(specifier, /^npm:\/?zod@[^/]+\/v3$/);
});
