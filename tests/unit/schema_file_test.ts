import assert from "node:assert/strict";
import { configJsonSchema } from "../../src/config/schema.ts";

Deno.test("docs/config.schema.json is the schema the code generates (run `deno task schema`)", async () => {
  const file = JSON.parse(
    await Deno.readTextFile(new URL("../../docs/config.schema.json", import.meta.url)),
  );
  assert.deepEqual(file, await configJsonSchema());
});
