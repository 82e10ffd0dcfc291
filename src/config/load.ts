/**
 * Loads the config: defaults < config file < `.env` < environment < CLI flags, then validates
 * the merged result with the zod schema. Errors name the file, the field and what was expected.
 *
 * `yaml` and `dotenv` are imported only when a YAML file or a `.env` file is actually read: a
 * gateway started from JSON or the environment alone never loads them (idle memory).
 * @module
 */
import { type Config, ConfigSchema } from "./schema.ts";
import { type EnvMap, envOverlay } from "./env.ts";
import { formatPath, interpolateEnv } from "./interpolate.ts";
import { homeDir } from "../util/paths.ts";

/** A config that failed to load; `message` lists every problem, one per line. */
export class ConfigError extends Error {
  /** Each problem on its own. */
  readonly problems: string[];
  /**
   * Builds the message from every problem, one per line.
   * @param source The file (or "environment") the problems came from.
   */
  constructor(source: string, problems: string[]) {
    super(`invalid config (${source}):\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** Options for {@link loadConfig}. */
export interface LoadOptions {
  /** Explicit config file (`--config`); an error when it does not exist. */
  file?: string;
  /** Values from CLI flags, highest precedence, in config shape. */
  flags?: Record<string, unknown>;
  /** The environment; defaults to `Deno.env`. */
  env?: EnvMap;
  /** The `.env` file to read; defaults to `./.env` when present. `false` skips it. */
  dotenvPath?: string | false;
}

/** The result of {@link loadConfig}. */
export interface LoadedConfig {
  /** The validated config. */
  config: Config;
  /** The config file used, if any. */
  file?: string;
}

/** Candidate config files, in the order they are tried when none is named. */
export function defaultConfigPaths(): string[] {
  const home = homeDir();
  const xdg = Deno.env.get("XDG_CONFIG_HOME") ?? (home ? `${home}/.config` : undefined);
  const local = ["ccgate.yaml", "ccgate.yml", "ccgate.json"];
  return [...local, ...(xdg ? [`${xdg}/ccgate/config.yaml`, `${xdg}/ccgate/config.json`] : [])];
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Finds the config file: the explicit one, `CCGATE_CONFIG`, then the default locations. */
export function findConfigFile(explicit: string | undefined, env: EnvMap): string | undefined {
  if (explicit) return explicit;
  if (env.CCGATE_CONFIG) return env.CCGATE_CONFIG;
  return defaultConfigPaths().find(exists);
}

/** Parses config text (YAML, or JSON for `.json` files). */
export async function parseConfigText(text: string, file: string): Promise<unknown> {
  const YAML = file.endsWith(".json") ? undefined : await import("yaml");
  try {
    if (!YAML) return JSON.parse(text);
    const doc = YAML.parseDocument(text, { prettyErrors: true });
    if (doc.errors.length) throw new Error(doc.errors.map((e) => e.message).join("; "));
    return doc.toJS() ?? {};
  } catch (error) {
    throw new ConfigError(file, [`cannot parse: ${(error as Error).message}`]);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Merges `over` onto `base`: objects deeply, arrays replaced — except `providers`, where
 * an overlay provider replaces a same-named one and new ones are appended.
 */
export function mergeConfig(base: unknown, over: unknown, key?: string): unknown {
  if (key === "providers" && Array.isArray(base) && Array.isArray(over)) {
    const out = [...base];
    for (const p of over) {
      const i = out.findIndex((b) => isPlainObject(b) && isPlainObject(p) && b.name === p.name);
      if (i < 0) out.push(p);
      // A file-defined provider wins over the env quick start of the same name.
    }
    return out;
  }
  if (isPlainObject(base) && isPlainObject(over)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = k in base ? mergeConfig(base[k], v, k) : v;
    return out;
  }
  return over === undefined ? base : over;
}

async function readDotenv(path: string | false | undefined): Promise<EnvMap> {
  if (path === false) return {};
  const file = path ?? ".env";
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound && path === undefined) return {};
    throw new ConfigError(file, [`cannot read .env: ${(error as Error).message}`]);
  }
  const { parse } = await import("dotenv");
  try {
    return parse(text);
  } catch (error) {
    throw new ConfigError(file, [`cannot read .env: ${(error as Error).message}`]);
  }
}

/** The environment as a plain map with `.env` values under the real environment. */
export async function effectiveEnv(
  options: Pick<LoadOptions, "env" | "dotenvPath"> = {},
): Promise<EnvMap> {
  const real = options.env ?? Deno.env.toObject();
  return { ...await readDotenv(options.dotenvPath), ...real };
}

/** Validates an already-merged raw config object. */
export function validateConfig(raw: unknown, source: string): Config {
  const result = ConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new ConfigError(
    source,
    result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`),
  );
}

/** Loads, merges and validates the config. Throws {@link ConfigError}. */
export async function loadConfig(options: LoadOptions = {}): Promise<LoadedConfig> {
  const env = await effectiveEnv(options);
  const file = findConfigFile(options.file, env);
  let fromFile: unknown = {};
  if (file) {
    let text: string;
    try {
      text = Deno.readTextFileSync(file);
    } catch (error) {
      throw new ConfigError(file, [`cannot read: ${(error as Error).message}`]);
    }
    const errors: string[] = [];
    fromFile = interpolateEnv(await parseConfigText(text, file), env, errors);
    if (errors.length) throw new ConfigError(file, errors);
    if (!isPlainObject(fromFile)) {
      throw new ConfigError(file, ["(root): expected a mapping of settings"]);
    }
  }
  const { overlay, errors } = envOverlay(env);
  if (errors.length) throw new ConfigError("environment", errors);
  const merged = mergeConfig(mergeConfig(fromFile, overlay), options.flags ?? {});
  return { config: validateConfig(merged, file ?? "environment and defaults"), file };
}
