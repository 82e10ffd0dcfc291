/**
 * Tool input schemas (Anthropic `input_schema`) made acceptable as OpenAI `function.parameters`.
 * OpenAI takes JSON Schema almost as is; Gemini's OpenAI endpoint accepts only an OpenAPI 3.0
 * subset and answers 400 to `$schema`, `$ref`, `anyOf`, `additionalProperties`, untyped
 * properties, `required` names that are not properties… (protocols.md §3.8; peers: Wei-Shaw/sub2api,
 * router-for-me/CLIProxyAPI#575).
 * @module
 */

/** How strictly a tool schema is cleaned. */
export type SchemaDialect = "openai" | "gemini" | "plain";

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Returns an object schema usable as `function.parameters` for the given upstream dialect.
 * Never throws and never mutates its input; a missing or non-object schema becomes
 * `{type:"object", properties:{}}`.
 */
export function cleanSchema(schema: unknown, dialect: SchemaDialect): Record<string, unknown> {
  if (!isObject(schema)) return { type: "object", properties: {} };
  if (dialect === "gemini") return geminiRoot(schema);
  // OpenAI (and "plain" upstreams that follow it) accept full JSON Schema: only the draft marker
  // (rejected by some OpenAI-compatible servers) goes, and the root must say it is an object.
  const { $schema: _drop, ...rest } = schema;
  const out: Json = structuredClone(rest);
  if (out.type === undefined) out.type = "object";
  if (out.type === "object" && !isObject(out.properties)) out.properties = {};
  return out;
}

// ------------------------------------------------------------------------------------ gemini

/** Keys Gemini's Schema object knows; everything else is dropped. */
const GEMINI_KEYS = new Set([
  "type",
  "description",
  "properties",
  "required",
  "items",
  "enum",
  "title",
  "nullable",
  "format",
]);

/** Formats Gemini accepts, per type (other formats are dropped, not rejected by us). */
const GEMINI_FORMATS: Record<string, Set<string>> = {
  string: new Set(["enum", "date-time"]),
  integer: new Set(["int32", "int64"]),
  number: new Set(["float", "double"]),
};

/** Bounded so a hostile or cyclic schema cannot blow the stack. */
const MAX_DEPTH = 32;

interface Ctx {
  root: Json;
  /** `$ref` targets being expanded right now (cycle guard). */
  expanding: Set<string>;
}

function geminiRoot(schema: Json): Json {
  const ctx: Ctx = { root: schema, expanding: new Set() };
  const out = geminiNode(schema, ctx, 0);
  // Gemini requires the parameters root to be an OBJECT schema.
  if (out.type !== "object") {
    return {
      type: "object",
      properties: {},
      ...(out.description ? { description: out.description } : {}),
    };
  }
  if (!isObject(out.properties)) out.properties = {};
  return out;
}

function resolveRef(ref: string, ctx: Ctx): Json | undefined {
  if (ref === "#") return ctx.root;
  if (!ref.startsWith("#/")) return undefined; // remote refs cannot be fetched
  let node: unknown = ctx.root;
  for (const raw of ref.slice(2).split("/")) {
    const key = decodeURIComponent(raw).replaceAll("~1", "/").replaceAll("~0", "~");
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  return isObject(node) ? node : undefined;
}

/** Folds `$ref`, `allOf`, `anyOf`/`oneOf` and type arrays into one plain schema node. */
function flatten(schema: Json, ctx: Ctx, depth: number): Json {
  let node: Json = { ...schema };
  if (typeof node.$ref === "string") {
    const ref = node.$ref;
    const target = ctx.expanding.has(ref) || depth > MAX_DEPTH ? undefined : resolveRef(ref, ctx);
    const { $ref: _r, ...siblings } = node;
    if (!target) {
      // Unresolvable or recursive: an untyped object is the most honest approximation.
      node = { type: "object", ...siblings };
    } else {
      ctx.expanding.add(ref);
      try {
        node = { ...flatten(target, ctx, depth + 1), ...siblings };
      } finally {
        ctx.expanding.delete(ref);
      }
    }
  }
  if (Array.isArray(node.allOf)) {
    const parts = node.allOf.filter(isObject).map((p) => flatten(p, ctx, depth + 1));
    const { allOf: _a, ...own } = node;
    node = mergeAll([...parts, own]);
  }
  for (const key of ["anyOf", "oneOf"] as const) {
    if (!Array.isArray(node[key])) continue;
    const branches = (node[key] as unknown[]).filter(isObject);
    const nonNull = branches.find((b) => b.type !== "null");
    const hasNull = branches.some((b) => b.type === "null");
    const { [key]: _x, ...own } = node;
    node = nonNull ? { ...flatten(nonNull, ctx, depth + 1), ...own } : own;
    if (hasNull) node.nullable = true;
  }
  if (Array.isArray(node.type)) {
    const types = node.type.filter((t) => typeof t === "string");
    if (types.includes("null")) node.nullable = true;
    node.type = types.find((t) => t !== "null");
  }
  return node;
}

function mergeAll(parts: Json[]): Json {
  const out: Json = {};
  const properties: Json = {};
  const required = new Set<string>();
  for (const part of parts) {
    for (const [k, v] of Object.entries(part)) {
      if (k === "properties" && isObject(v)) Object.assign(properties, v);
      else if (k === "required" && Array.isArray(v)) v.forEach((r) => required.add(String(r)));
      else if (v !== undefined) out[k] = v;
    }
  }
  if (Object.keys(properties).length) out.properties = properties;
  if (required.size) out.required = [...required];
  return out;
}

function inferType(node: Json): string {
  if (isObject(node.properties)) return "object";
  if (node.items !== undefined) return "array";
  if (Array.isArray(node.enum)) return "string";
  // An untyped ("any") value: Gemini insists on a type, and a string can carry anything.
  return "string";
}

function geminiNode(schema: Json, ctx: Ctx, depth: number): Json {
  const node = flatten(schema, ctx, depth);
  if (node.const !== undefined && node.enum === undefined) node.enum = [node.const];
  const type = typeof node.type === "string" ? node.type : inferType(node);
  const out: Json = { type };
  for (const [key, value] of Object.entries(node)) {
    if (!GEMINI_KEYS.has(key) || key === "type") continue;
    switch (key) {
      case "description":
      case "title":
        if (typeof value === "string") out[key] = value;
        break;
      case "nullable":
        if (value === true) out.nullable = true;
        break;
      case "format":
        if (typeof value === "string" && GEMINI_FORMATS[type]?.has(value)) out.format = value;
        break;
      case "enum":
        // Gemini enums are string-only.
        if (Array.isArray(value) && type === "string") {
          const values = value.filter((v) => v !== null).map(String);
          if (values.length) out.enum = values;
        }
        break;
    }
  }
  if (type === "object") {
    // Property names are user data: iterate them separately so a property called "pattern" or
    // "format" is never mistaken for a keyword (router-for-me/CLIProxyAPI#575).
    const properties: Json = {};
    if (isObject(node.properties) && depth < MAX_DEPTH) {
      for (const [name, sub] of Object.entries(node.properties)) {
        properties[name] = isObject(sub) ? geminiNode(sub, ctx, depth + 1) : { type: "string" };
      }
    }
    out.properties = properties;
    if (Array.isArray(node.required)) {
      // Gemini rejects required names that are not defined properties.
      const required = node.required.filter((r) => typeof r === "string" && r in properties);
      if (required.length) out.required = [...new Set(required)];
    }
  } else if (type === "array") {
    const items = Array.isArray(node.items) ? node.items[0] : node.items;
    out.items = isObject(items) && depth < MAX_DEPTH
      ? geminiNode(items, ctx, depth + 1)
      : { type: "string" };
  }
  return out;
}
