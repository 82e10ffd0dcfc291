import assert from "node:assert/strict";
import { configJsonSchema, ConfigSchema } from "../../src/config/schema.ts";
import {
  ConfigError,
  loadConfig,
  mergeConfig,
  parseConfigText,
  validateConfig,
} from "../../src/config/load.ts";
import { envOverlay } from "../../src/config/env.ts";
import { formatPath, interpolateEnv } from "../../src/config/interpolate.ts";

/** Runs `fn` and returns the ConfigError it throws (fails when it throws something else). */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    return error;
  }
  assert.fail("expected a ConfigError");
}

/** Awaits `fn` and returns the ConfigError it rejects with (fails on anything else). */
async function configErrorAsync(fn: () => Promise<unknown>): Promise<ConfigError> {
  try {
    await fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    return error;
  }
  assert.fail("expected a ConfigError");
}

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "ccgate_config_test_" });
}

// ---------------------------------------------------------------- validation errors

Deno.test("validation error names the file, the field path and what was expected", () => {
  const err = configError(() =>
    validateConfig({ providers: [{ name: "x", type: "bogus" }] }, "/etc/ccgate/config.yaml")
  );
  assert.equal(err.name, "ConfigError");
  assert.equal(err.problems.length, 1);
  assert.match(err.problems[0], /^providers\[0\]\.type: /);
  assert.match(err.problems[0], /anthropic-compatible/);
  assert.match(err.problems[0], /expected/i);
  assert.match(err.message, /\/etc\/ccgate\/config\.yaml/);
  assert.match(err.message, /providers\[0\]\.type/);
});

Deno.test("validation error for a wrong type and out-of-range number names server.port", () => {
  let err = configError(() => validateConfig({ server: { port: "abc" } }, "c.yaml"));
  assert.equal(err.problems[0], "server.port: Expected number, received string");
  err = configError(() => validateConfig({ server: { port: 70000 } }, "c.yaml"));
  assert.match(err.problems[0], /^server\.port: .*65535/);
});

Deno.test("unknown top-level keys are rejected", () => {
  const err = configError(() => validateConfig({ bogus: 1 }, "c.yaml"));
  assert.match(err.problems[0], /bogus/);
});

Deno.test("duplicate provider names are reported at the second provider", () => {
  const err = configError(() =>
    validateConfig(
      { providers: [{ name: "x", type: "anthropic" }, { name: "x", type: "anthropic" }] },
      "c.yaml",
    )
  );
  assert.deepEqual(err.problems, ['providers[1].name: duplicate provider name "x"']);
});

Deno.test("duplicate account names within a provider are reported", () => {
  const err = configError(() =>
    validateConfig({
      providers: [{
        name: "p",
        type: "anthropic",
        accounts: [{ name: "a", apiKey: "k1" }, { name: "a", apiKey: "k2" }],
      }],
    }, "c.yaml")
  );
  assert.deepEqual(err.problems, ['providers[0].accounts[1].name: duplicate account name "a"']);
});

Deno.test("the same account name in two providers is allowed", () => {
  const config = validateConfig({
    providers: [
      { name: "p1", type: "anthropic", accounts: [{ name: "a", apiKey: "k1" }] },
      { name: "p2", type: "anthropic", accounts: [{ name: "a", apiKey: "k2" }] },
    ],
  }, "c.yaml");
  assert.equal(config.providers.length, 2);
});

Deno.test("an unknown provider in a route chain, defaultChain or profile is reported", () => {
  const err = configError(() =>
    validateConfig({
      providers: [{ name: "x", type: "anthropic" }],
      routes: [{ match: "m", chain: ["x", { provider: "nope" }] }],
      defaultChain: ["ghost"],
      profiles: { fast: { chain: ["phantom"] } },
    }, "c.yaml")
  );
  assert.ok(err.problems.includes('routes[0].chain[1]: unknown provider "nope"'), err.message);
  assert.ok(err.problems.includes('defaultChain[0]: unknown provider "ghost"'), err.message);
  assert.ok(
    err.problems.includes('profiles.fast.chain[0]: unknown provider "phantom"'),
    err.message,
  );
});

Deno.test("anthropic-compatible without baseUrl or preset is an error; with either it is fine", () => {
  const err = configError(() =>
    validateConfig({ providers: [{ name: "x", type: "anthropic-compatible" }] }, "c.yaml")
  );
  assert.deepEqual(err.problems, [
    'providers[0].baseUrl: provider "x" needs a baseUrl or a preset',
  ]);
  validateConfig({
    providers: [{ name: "x", type: "anthropic-compatible", preset: "zai" }],
  }, "c.yaml");
  validateConfig({
    providers: [{ name: "x", type: "anthropic-compatible", baseUrl: "https://example.com" }],
  }, "c.yaml");
  // anthropic needs neither.
  validateConfig({ providers: [{ name: "x", type: "anthropic" }] }, "c.yaml");
});

Deno.test("several problems are all listed", () => {
  const err = configError(() =>
    validateConfig({
      providers: [
        { name: "a", type: "anthropic-compatible" },
        { name: "a", type: "anthropic" },
      ],
    }, "c.yaml")
  );
  assert.equal(err.problems.length, 2);
  assert.equal(err.message.split("\n").length, 3);
});

// ---------------------------------------------------------------- defaults

Deno.test("defaults are applied to an empty config", () => {
  const c = validateConfig({}, "defaults");
  assert.equal(c.server.port, 8082);
  assert.equal(c.server.host, "127.0.0.1");
  assert.equal(c.server.bodyLimit, 32 * 1024 * 1024);
  assert.equal(c.server.shutdownTimeoutMs, 10_000);
  assert.equal(c.server.cors.enabled, false);
  assert.deepEqual(c.server.cors.origins, ["*"]);
  assert.deepEqual(c.auth.clientKeys, []);
  assert.equal(c.timeouts.connectMs, 30_000);
  assert.equal(c.timeouts.readMs, 180_000);
  assert.equal(c.timeouts.requestMs, 600_000);
  assert.equal(c.failover.maxAttempts, 16);
  assert.equal(c.failover.maxWaitMs, 120_000);
  assert.equal(c.failover.defaultCooldownMs, 30_000);
  assert.equal(c.failover.maxCooldownMs, 6 * 3600_000);
  assert.equal(c.failover.stickyTtlMs, 3600_000);
  assert.equal(c.circuit.failureThreshold, 5);
  assert.equal(c.circuit.openMs, 30_000);
  assert.equal(c.state.syncIntervalMs, 1000);
  assert.deepEqual(c.providers, []);
  assert.deepEqual(c.routes, []);
  assert.equal(c.defaultChain, undefined);
  assert.deepEqual(c.modelFallback, {});
  assert.equal(c.logging.level, "info");
  assert.equal(c.logging.format, "auto");
});

Deno.test("provider and account defaults are applied", () => {
  const c = validateConfig({
    providers: [{ name: "p", type: "anthropic", accounts: [{ name: "a", apiKey: "k" }] }],
  }, "c.yaml");
  const p = c.providers[0];
  assert.equal(p.strategy, "round-robin");
  assert.equal(p.enabled, true);
  assert.deepEqual(p.models, {});
  assert.deepEqual(p.headers, {});
  assert.equal(p.accounts[0].weight, 1);
  assert.equal(p.accounts[0].priority, 0);
  assert.equal(p.accounts[0].enabled, true);
});

Deno.test("bodyLimit accepts size strings", () => {
  assert.equal(
    validateConfig({ server: { bodyLimit: "2mb" } }, "c").server.bodyLimit,
    2 * 1024 ** 2,
  );
  assert.equal(validateConfig({ server: { bodyLimit: "1.5kb" } }, "c").server.bodyLimit, 1536);
  assert.equal(validateConfig({ server: { bodyLimit: 100 } }, "c").server.bodyLimit, 100);
  configError(() => validateConfig({ server: { bodyLimit: "lots" } }, "c"));
});

// ---------------------------------------------------------------- interpolation

Deno.test("${VAR} and ${VAR:-default} are interpolated in nested strings", () => {
  const errors: string[] = [];
  const out = interpolateEnv(
    {
      providers: [{
        accounts: [{ apiKey: "${KEY_A}" }, { apiKey: "pre-${KEY_B:-fallback}-post" }],
      }],
      n: 5,
      flag: true,
      nothing: null,
    },
    { KEY_A: "alpha" },
    errors,
  );
  assert.deepEqual(errors, []);
  assert.deepEqual(out, {
    providers: [{ accounts: [{ apiKey: "alpha" }, { apiKey: "pre-fallback-post" }] }],
    n: 5,
    flag: true,
    nothing: null,
  });
});

Deno.test("a set variable wins over its default; an empty default is allowed", () => {
  const errors: string[] = [];
  assert.equal(interpolateEnv("${X:-d}", { X: "set" }, errors), "set");
  assert.equal(interpolateEnv("[${X:-}]", {}, errors), "[]");
  assert.deepEqual(errors, []);
});

Deno.test("a missing variable is an error naming the field", () => {
  const errors: string[] = [];
  interpolateEnv({ providers: [{ accounts: [{}, { apiKey: "${MISSING_KEY}" }] }] }, {}, errors);
  assert.equal(errors.length, 1);
  assert.match(errors[0], /^providers\[0\]\.accounts\[1\]\.apiKey: /);
  assert.match(errors[0], /MISSING_KEY/);
});

Deno.test("an empty variable counts as missing", () => {
  const errors: string[] = [];
  interpolateEnv({ k: "${EMPTY}" }, { EMPTY: "" }, errors);
  assert.equal(errors.length, 1);
  assert.match(errors[0], /^k: .*EMPTY/);
});

Deno.test("formatPath formats indexes and keys", () => {
  assert.equal(
    formatPath(["providers", 0, "accounts", 1, "apiKey"]),
    "providers[0].accounts[1].apiKey",
  );
  assert.equal(formatPath([]), "(root)");
  assert.equal(formatPath(["server", "port"]), "server.port");
});

Deno.test("loadConfig reports a missing variable with the file and the field", async () => {
  const dir = await tempDir();
  try {
    const file = `${dir}/ccgate.yaml`;
    await Deno.writeTextFile(
      file,
      "providers:\n  - name: p\n    type: anthropic\n    accounts:\n      - name: a\n        apiKey: ${NOT_SET_ANYWHERE}\n",
    );
    const err = await configErrorAsync(() => loadConfig({ file, env: {}, dotenvPath: false }));
    assert.match(err.message, new RegExp(file.replaceAll(".", "\\.")));
    assert.match(err.problems[0], /^providers\[0\]\.accounts\[0\]\.apiKey: .*NOT_SET_ANYWHERE/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadConfig interpolates from the environment and .env", async () => {
  const dir = await tempDir();
  try {
    const file = `${dir}/ccgate.yaml`;
    const dotenv = `${dir}/.env`;
    await Deno.writeTextFile(
      file,
      "providers:\n  - name: p\n    type: anthropic\n    accounts:\n      - name: a\n        apiKey: ${FROM_ENV}\n      - name: b\n        apiKey: ${FROM_DOTENV}\n",
    );
    await Deno.writeTextFile(dotenv, "FROM_DOTENV=dot-secret\n");
    const { config } = await loadConfig({
      file,
      env: { FROM_ENV: "env-secret" },
      dotenvPath: dotenv,
    });
    assert.deepEqual(config.providers[0].accounts.map((a) => a.apiKey), [
      "env-secret",
      "dot-secret",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------- env quick start

Deno.test("ANTHROPIC_API_KEY=k1,k2 gives an anthropic provider with two accounts", () => {
  const { overlay, errors } = envOverlay({ ANTHROPIC_API_KEY: "k1, k2" });
  assert.deepEqual(errors, []);
  assert.deepEqual(overlay.providers, [{
    name: "anthropic",
    type: "anthropic",
    accounts: [{ name: "anthropic-1", apiKey: "k1" }, { name: "anthropic-2", apiKey: "k2" }],
  }]);
  const config = validateConfig(overlay, "environment");
  assert.equal(config.providers[0].accounts.length, 2);
  assert.equal(config.providers[0].type, "anthropic");
});

Deno.test("ZAI_API_KEY gives an anthropic-compatible provider with the zai preset", () => {
  const { overlay } = envOverlay({ ZAI_API_KEY: "z1" });
  const providers = overlay.providers as Record<string, unknown>[];
  assert.equal(providers.length, 1);
  assert.equal(providers[0].name, "zai");
  assert.equal(providers[0].type, "anthropic-compatible");
  assert.equal(providers[0].preset, "zai");
  assert.equal(providers[0].baseUrl, undefined);
  assert.deepEqual(providers[0].accounts, [{ name: "zai-1", apiKey: "z1" }]);
  validateConfig(overlay, "environment");
});

Deno.test("OPENAI_API_KEY + OPENAI_BASE_URL give an openai-compatible provider", () => {
  const { overlay } = envOverlay({
    OPENAI_API_KEY: "o1",
    OPENAI_BASE_URL: "https://openrouter.example/api/v1",
  });
  const providers = overlay.providers as Record<string, unknown>[];
  assert.equal(providers[0].type, "openai-compatible");
  assert.equal(providers[0].baseUrl, "https://openrouter.example/api/v1");
  assert.deepEqual(providers[0].accounts, [{ name: "openai-1", apiKey: "o1" }]);
  const defaulted = envOverlay({ OPENAI_API_KEY: "o1" }).overlay.providers as Record<
    string,
    unknown
  >[];
  assert.equal(defaulted[0].baseUrl, "https://api.openai.com/v1");
});

Deno.test("server, auth, timeout, retry, alias, token and header variables map onto config", () => {
  const { overlay, errors } = envOverlay({
    PORT: "9000",
    HOST: "0.0.0.0",
    PROXY_API_KEY: "client-key-1, client-key-2",
    REQUEST_TIMEOUT: "90",
    MAX_RETRIES: "3",
    BIG_MODEL: "big-m",
    MIDDLE_MODEL: "mid-m",
    SMALL_MODEL: "small-m",
    MAX_TOKENS_LIMIT: "8192",
    MIN_TOKENS_LIMIT: "100",
    CUSTOM_HEADER_X_FOO: "bar",
    CUSTOM_HEADER_: "ignored",
  });
  assert.deepEqual(errors, []);
  const c = validateConfig(overlay, "environment");
  assert.equal(c.server.port, 9000);
  assert.equal(c.server.host, "0.0.0.0");
  assert.deepEqual(c.auth.clientKeys, ["client-key-1", "client-key-2"]);
  assert.equal(c.timeouts.requestMs, 90_000);
  assert.equal(c.failover.maxAttempts, 4);
  assert.deepEqual(c.aliases, { big: "big-m", middle: "mid-m", small: "small-m" });
  assert.deepEqual(c.tokens, { max: 8192, min: 100 });
  assert.deepEqual(c.customHeaders, { "x-foo": "bar" });
  // Untouched sections keep their defaults.
  assert.equal(c.failover.maxWaitMs, 120_000);
});

Deno.test("REQUEST_TIMEOUT accepts fractional seconds; MAX_RETRIES=0 means one attempt", () => {
  const { overlay } = envOverlay({ REQUEST_TIMEOUT: "1.5", MAX_RETRIES: "0" });
  assert.deepEqual(overlay.timeouts, { requestMs: 1500 });
  assert.deepEqual(overlay.failover, { maxAttempts: 1 });
});

Deno.test("an empty environment gives an empty overlay", () => {
  const { overlay, errors } = envOverlay({});
  assert.deepEqual(overlay, {});
  assert.deepEqual(errors, []);
});

Deno.test("an invalid PORT is an error naming the variable", () => {
  for (const bad of ["abc", "-1"]) {
    const { errors } = envOverlay({ PORT: bad });
    assert.equal(errors.length, 1, bad);
    assert.match(errors[0], /PORT/);
    assert.match(errors[0], new RegExp(bad));
  }
});

Deno.test("loadConfig rejects an invalid PORT as an environment problem", async () => {
  const dir = await tempDir();
  try {
    const file = `${dir}/empty.yaml`;
    await Deno.writeTextFile(file, "");
    const err = await configErrorAsync(() =>
      loadConfig({ file, env: { PORT: "abc" }, dotenvPath: false })
    );
    assert.match(err.message, /\(environment\)/);
    assert.match(err.problems[0], /PORT/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a PORT out of range fails validation at server.port", () => {
  const { overlay, errors } = envOverlay({ PORT: "70000" });
  assert.deepEqual(errors, []);
  const err = configError(() => validateConfig(overlay, "environment"));
  assert.match(err.problems[0], /^server\.port/);
});

Deno.test("ANTHROPIC_BASE_URL is never used as an upstream", () => {
  const { overlay } = envOverlay({
    ANTHROPIC_API_KEY: "k1",
    ANTHROPIC_BASE_URL: "http://127.0.0.1:8082",
  });
  const providers = overlay.providers as Record<string, unknown>[];
  assert.equal(providers[0].baseUrl, undefined);
  assert.ok(!JSON.stringify(overlay).includes("127.0.0.1:8082"));
  // Only ANTHROPIC_BASE_URL without a key creates nothing.
  assert.deepEqual(envOverlay({ ANTHROPIC_BASE_URL: "http://127.0.0.1:8082" }).overlay, {});
});

// ---------------------------------------------------------------- precedence and files

Deno.test("precedence: flags > environment > .env > config file > defaults", async () => {
  const dir = await tempDir();
  try {
    const file = `${dir}/ccgate.yaml`;
    const dotenv = `${dir}/.env`;
    await Deno.writeTextFile(
      file,
      [
        "server:",
        "  port: 1001",
        "  host: file-host",
        "timeouts:",
        "  requestMs: 1000",
        "  readMs: 1111",
        "aliases:",
        "  big: file-big",
        "  small: file-small",
        "",
      ].join("\n"),
    );
    await Deno.writeTextFile(dotenv, "PORT=2002\nHOST=dotenv-host\nBIG_MODEL=dotenv-big\n");

    // File alone (no env, .env skipped): file values, defaults elsewhere.
    let c = (await loadConfig({ file, env: {}, dotenvPath: false })).config;
    assert.equal(c.server.port, 1001);
    assert.equal(c.server.host, "file-host");
    assert.equal(c.timeouts.requestMs, 1000);
    assert.equal(c.timeouts.readMs, 1111);
    assert.equal(c.timeouts.connectMs, 30_000, "default under the file");

    // .env over the file.
    c = (await loadConfig({ file, env: {}, dotenvPath: dotenv })).config;
    assert.equal(c.server.port, 2002);
    assert.equal(c.server.host, "dotenv-host");
    assert.equal(c.aliases.big, "dotenv-big");
    assert.equal(c.aliases.small, "file-small", "objects merge deeply");

    // Environment over .env.
    c =
      (await loadConfig({ file, env: { PORT: "3003", REQUEST_TIMEOUT: "3" }, dotenvPath: dotenv }))
        .config;
    assert.equal(c.server.port, 3003);
    assert.equal(c.server.host, "dotenv-host");
    assert.equal(c.timeouts.requestMs, 3000);
    assert.equal(c.timeouts.readMs, 1111);

    // Flags over everything.
    c = (await loadConfig({
      file,
      env: { PORT: "3003" },
      dotenvPath: dotenv,
      flags: { server: { port: 4004 } },
    })).config;
    assert.equal(c.server.port, 4004);
    assert.equal(c.server.host, "dotenv-host");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a provider defined in the file wins over the env quick start of the same name", async () => {
  const dir = await tempDir();
  try {
    const file = `${dir}/ccgate.yaml`;
    await Deno.writeTextFile(
      file,
      "providers:\n  - name: anthropic\n    type: anthropic\n    accounts:\n      - name: mine\n        apiKey: file-key\n",
    );
    const { config } = await loadConfig({
      file,
      env: { ANTHROPIC_API_KEY: "env-1,env-2", ZAI_API_KEY: "z" },
      dotenvPath: false,
    });
    assert.deepEqual(config.providers.map((p) => p.name), ["anthropic", "zai"]);
    assert.deepEqual(config.providers[0].accounts.map((a) => a.name), ["mine"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mergeConfig merges objects deeply and replaces arrays", () => {
  assert.deepEqual(
    mergeConfig({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, e: 2 }),
    { a: { b: 1, c: [3] }, d: 1, e: 2 },
  );
  assert.deepEqual(mergeConfig({ a: 1 }, undefined), { a: 1 });
});

Deno.test("YAML and JSON config files are both accepted", async () => {
  const dir = await tempDir();
  try {
    const yaml = `${dir}/c.yaml`;
    const json = `${dir}/c.json`;
    await Deno.writeTextFile(yaml, "server:\n  port: 7001\n");
    await Deno.writeTextFile(json, JSON.stringify({ server: { port: 7002 } }));
    assert.equal(
      (await loadConfig({ file: yaml, env: {}, dotenvPath: false })).config.server.port,
      7001,
    );
    const loaded = await loadConfig({ file: json, env: {}, dotenvPath: false });
    assert.equal(loaded.config.server.port, 7002);
    assert.equal(loaded.file, json);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an empty YAML file gives the defaults", async () => {
  const dir = await tempDir();
  try {
    const file = `${dir}/empty.yaml`;
    await Deno.writeTextFile(file, "");
    const { config } = await loadConfig({ file, env: {}, dotenvPath: false });
    assert.equal(config.server.port, 8082);
    assert.equal(config.failover.maxWaitMs, 120_000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CCGATE_CONFIG names the config file when no file is given", async () => {
  const dir = await tempDir();
  try {
    const file = `${dir}/from-env.yaml`;
    await Deno.writeTextFile(file, "server:\n  port: 7003\n");
    const loaded = await loadConfig({ env: { CCGATE_CONFIG: file }, dotenvPath: false });
    assert.equal(loaded.file, file);
    assert.equal(loaded.config.server.port, 7003);
    // An explicit file wins over CCGATE_CONFIG.
    const other = `${dir}/explicit.json`;
    await Deno.writeTextFile(other, '{"server":{"port":7004}}');
    const explicit = await loadConfig({
      file: other,
      env: { CCGATE_CONFIG: file },
      dotenvPath: false,
    });
    assert.equal(explicit.config.server.port, 7004);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a YAML syntax error is a ConfigError naming the file", async () => {
  const dir = await tempDir();
  try {
    const file = `${dir}/broken.yaml`;
    await Deno.writeTextFile(file, "server:\n  port: [1, 2\n  host: x\n");
    const err = await configErrorAsync(() => loadConfig({ file, env: {}, dotenvPath: false }));
    assert.ok(err.message.includes(file), err.message);
    assert.match(err.problems[0], /^cannot parse/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a JSON syntax error is a ConfigError naming the file", async () => {
  const err = await configErrorAsync(() => parseConfigText("{ not json", "/x/ccgate.json"));
  assert.ok(err.message.includes("/x/ccgate.json"));
  assert.match(err.problems[0], /^cannot parse/);
});

Deno.test("a config file that is not a mapping is rejected", async () => {
  const dir = await tempDir();
  try {
    const file = `${dir}/list.yaml`;
    await Deno.writeTextFile(file, "- a\n- b\n");
    const err = await configErrorAsync(() => loadConfig({ file, env: {}, dotenvPath: false }));
    assert.ok(err.message.includes(file));
    assert.match(err.problems[0], /mapping/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a missing explicit config file or .env is a ConfigError", async () => {
  const dir = await tempDir();
  try {
    const missing = `${dir}/nope.yaml`;
    let err = await configErrorAsync(() =>
      loadConfig({ file: missing, env: {}, dotenvPath: false })
    );
    assert.ok(err.message.includes(missing));
    const file = `${dir}/ok.yaml`;
    await Deno.writeTextFile(file, "{}\n");
    err = await configErrorAsync(() =>
      loadConfig({ file, env: {}, dotenvPath: `${dir}/missing.env` })
    );
    assert.ok(err.message.includes(`${dir}/missing.env`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("validation errors from a file name that file", async () => {
  const dir = await tempDir();
  try {
    const file = `${dir}/bad.yaml`;
    await Deno.writeTextFile(file, "providers:\n  - name: x\n    type: nope\n");
    const err = await configErrorAsync(() => loadConfig({ file, env: {}, dotenvPath: false }));
    assert.ok(err.message.includes(file));
    assert.match(err.problems[0], /^providers\[0\]\.type/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------- JSON Schema

Deno.test("configJsonSchema describes the config file", async () => {
  const schema = await configJsonSchema();
  assert.equal(typeof schema, "object");
  const properties = schema.properties as Record<string, unknown>;
  assert.ok(properties, "has properties");
  for (const key of ["providers", "server", "routes", "failover", "aliases", "profiles"]) {
    assert.ok(key in properties, `missing ${key}`);
  }
  // It is plain JSON.
  assert.deepEqual(JSON.parse(JSON.stringify(schema)), schema);
  // The schema object parses what its own defaults produce.
  assert.ok(ConfigSchema.safeParse({}).success);
});
