/**
 * Glob matching for model maps and routes: `*` matches any run of characters.
 * @module
 */

const cache = new Map<string, RegExp>();

/** True when `model` matches `pattern` (exact, or a glob with `*`). */
export function matchesModel(pattern: string, model: string): boolean {
  if (!pattern.includes("*")) return pattern === model;
  let re = cache.get(pattern);
  if (!re) {
    re = new RegExp(
      `^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`,
    );
    cache.set(pattern, re);
  }
  return re.test(model);
}

/** Maps `model` through a pattern table: an exact key first, then globs in order. */
export function mapModel(table: Record<string, string>, model: string): string | undefined {
  if (Object.hasOwn(table, model)) return table[model];
  for (const [pattern, target] of Object.entries(table)) {
    if (matchesModel(pattern, model)) return target;
  }
  return undefined;
}
