/**
 * `${VAR}` and `${VAR:-default}` interpolation in config string values, so secrets stay in
 * the environment. Errors name the field whose variable is missing.
 * @module
 */
import type { EnvMap } from "./env.ts";

const PATTERN = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Formats a field path as `providers[0].accounts[1].apiKey`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || "(root)";
}

/** Returns a copy of `value` with every `${VAR}` in its strings replaced. */
export function interpolateEnv(
  value: unknown,
  env: EnvMap,
  errors: string[],
  path: PropertyKey[] = [],
): unknown {
  if (typeof value === "string") {
    return value.replace(PATTERN, (whole, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== "") return v;
      if (fallback !== undefined) return fallback;
      errors.push(
        `${formatPath(path)}: environment variable ${name} is not set (used as ${whole})`,
      );
      return "";
    });
  }
  if (Array.isArray(value)) {
    return value.map((v, i) => interpolateEnv(v, env, errors, [...path, i]));
  }
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = interpolateEnv(v, env, errors, [...path, k]);
    }
    return out;
  }
  return value;
}
