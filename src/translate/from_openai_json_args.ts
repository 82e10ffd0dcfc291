/**
 * Tool-call arguments: OpenAI sends them as a JSON *string*, streamed in arbitrary fragments;
 * Anthropic wants an object (`input`), streamed as `input_json_delta` fragments whose
 * concatenation the client parses at `content_block_stop`. Upstreams send `""`, truncated JSON
 * (max_tokens), raw newlines inside strings, doubled objects and double-encoded strings
 * (protocols.md §3.8 #3, #10, #12); these helpers turn all of that into valid JSON objects.
 * @module
 */

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Parses a complete `arguments` string into a tool `input` object. Empty, invalid or non-object
 * arguments give `{}` (Anthropic requires an object); a double-encoded JSON string is unwrapped.
 */
export function parseToolArguments(raw: unknown): Record<string, unknown> {
  if (isPlainObject(raw)) return raw; // some servers send an object instead of a string
  if (typeof raw !== "string" || !raw.trim()) return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    if (!raw.trimStart().startsWith("{")) return {};
    // Truncated or sloppy JSON: keep the longest valid prefix, completed (what the Anthropic SDK's
    // partial-JSON parser would also make of it).
    const repair = new ToolArgsStream();
    const text = repair.push(raw) + repair.finish();
    try {
      value = JSON.parse(text);
    } catch {
      return {};
    }
  }
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      return {};
    }
  }
  return isPlainObject(value) ? value : {};
}

const WS = new Set([" ", "\t", "\n", "\r"]);
const HEX = /^[0-9a-fA-F]$/;
const NUMBER_CHAR = /^[-+.eE0-9]$/;
const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;
const LITERALS = new Set(["true", "false", "null"]);
const CONTROL_ESCAPES: Record<string, string> = {
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\b": "\\b",
  "\f": "\\f",
};

type Expect = "value" | "valueOrEnd" | "key" | "keyOrEnd" | "colon" | "after";

/**
 * Incremental validator for one tool call's streamed arguments. `push` returns the part of a
 * fragment that is safe to forward now; `finish` returns what must follow so that the
 * concatenation of everything returned is one valid JSON object:
 * - characters that keep the text a valid JSON-object prefix pass through at once (raw control
 *   characters inside strings are escaped on the way);
 * - commas, numbers and `true`/`false`/`null` are held until the next token proves them valid;
 * - anything after the top-level object is closed, or after invalid input, is dropped;
 * - arguments that do not start with `{` (e.g. a double-encoded string) are buffered and
 *   normalized by {@link parseToolArguments} at the end;
 * - truncated input is completed (`"abc` → `"abc"}`), no arguments at all give `{}`.
 */
export class ToolArgsStream {
  #mode: "empty" | "stream" | "buffer" | "done" | "broken" = "empty";
  #raw = "";
  #stack: ("{" | "[")[] = [];
  #expect: Expect = "value";
  #inString = false;
  #isKey = false;
  /** -1: no escape; 0: after a backslash; n > 0: hex digits of `\u` still to come. */
  #escape = -1;
  #token = "";
  #comma = "";
  #emitted = 0;

  /** True once the top-level object is closed: later fragments are ignored. */
  get complete(): boolean {
    return this.#mode === "done";
  }

  /** Characters forwarded so far (for output-size estimates). */
  get emittedLength(): number {
    return this.#emitted;
  }

  /** Feeds one `arguments` fragment; returns the text to forward now (may be ""). */
  push(fragment: string): string {
    let out = "";
    for (const c of fragment) {
      if (this.#mode === "done" || this.#mode === "broken") break;
      if (this.#mode === "buffer") {
        this.#raw += c;
        continue;
      }
      if (this.#mode === "empty") {
        if (WS.has(c)) continue;
        if (c !== "{") {
          this.#mode = "buffer";
          this.#raw = c;
          continue;
        }
        this.#mode = "stream";
      }
      out += this.#step(c);
    }
    this.#emitted += out.length;
    return out;
  }

  /** Ends the arguments; returns the text that makes everything forwarded one JSON object. */
  finish(): string {
    let out = "";
    switch (this.#mode) {
      case "empty":
        out = "{}";
        break;
      case "buffer":
        out = JSON.stringify(parseToolArguments(this.#raw));
        break;
      case "stream":
      case "broken":
        out = this.#completion();
        break;
    }
    this.#mode = "done";
    this.#emitted += out.length;
    return out;
  }

  #completion(): string {
    let out = "";
    if (this.#inString) {
      if (this.#escape === 0) out += "\\";
      else if (this.#escape > 0) out += "0".repeat(this.#escape);
      out += '"';
      this.#inString = false;
      this.#expect = this.#isKey ? "colon" : "after";
    } else if (this.#token) {
      // A held number/literal: forward it when it is valid, else drop it (and its comma).
      if (this.#tokenValid()) {
        out += this.#comma + this.#token;
        this.#expect = "after";
      } else if (this.#comma) {
        this.#expect = "after";
      }
    } else if (this.#comma) {
      this.#expect = "after"; // the held comma was never forwarded
    }
    if (this.#expect === "colon") out += ":null";
    else if (this.#expect === "value") out += "null";
    for (let i = this.#stack.length - 1; i >= 0; i--) out += this.#stack[i] === "{" ? "}" : "]";
    return out;
  }

  #tokenValid(): boolean {
    return LITERALS.has(this.#token) || NUMBER.test(this.#token);
  }

  #step(c: string): string {
    if (this.#inString) return this.#stringChar(c);
    if (this.#token) {
      const literal = /^[a-z]/.test(this.#token);
      if ((literal && /^[a-z]$/.test(c)) || (!literal && NUMBER_CHAR.test(c))) {
        this.#token += c;
        return "";
      }
      if (!this.#tokenValid()) return this.#break();
      const out = this.#comma + this.#token;
      this.#comma = "";
      this.#token = "";
      this.#expect = "after";
      return out + this.#step(c);
    }
    if (WS.has(c)) return "";
    switch (this.#expect) {
      case "value":
      case "valueOrEnd":
        if (c === "{" || c === "[") {
          this.#stack.push(c);
          this.#expect = c === "{" ? "keyOrEnd" : "valueOrEnd";
          return this.#flushComma() + c;
        }
        if (c === '"') {
          this.#inString = true;
          this.#isKey = false;
          return this.#flushComma() + c;
        }
        if (/^[-0-9tfn]$/.test(c)) {
          this.#token = c;
          return "";
        }
        if (c === "]" && this.#expect === "valueOrEnd") return this.#close(c);
        if (c === "]" && this.#comma) return this.#dropComma(c); // sloppy trailing comma
        return this.#break();
      case "key":
      case "keyOrEnd":
        if (c === '"') {
          this.#inString = true;
          this.#isKey = true;
          return this.#flushComma() + c;
        }
        if (c === "}" && this.#expect === "keyOrEnd") return this.#close(c);
        if (c === "}" && this.#comma) return this.#dropComma(c); // sloppy trailing comma
        return this.#break();
      case "colon":
        if (c !== ":") return this.#break();
        this.#expect = "value";
        return c;
      case "after": {
        const top = this.#stack[this.#stack.length - 1];
        if (c === ",") {
          this.#comma = ",";
          this.#expect = top === "{" ? "key" : "value";
          return "";
        }
        if ((c === "}" && top === "{") || (c === "]" && top === "[")) return this.#close(c);
        return this.#break();
      }
    }
  }

  #stringChar(c: string): string {
    if (this.#escape === 0) {
      if (c === "u") this.#escape = 4;
      else if ('"\\/bfnrt'.includes(c)) this.#escape = -1;
      else return this.#break();
      return c;
    }
    if (this.#escape > 0) {
      if (!HEX.test(c)) return this.#break();
      this.#escape--;
      if (this.#escape === 0) this.#escape = -1;
      return c;
    }
    if (c === "\\") {
      this.#escape = 0;
      return c;
    }
    if (c === '"') {
      this.#inString = false;
      this.#expect = this.#isKey ? "colon" : "after";
      return c;
    }
    const code = c.charCodeAt(0);
    if (code < 0x20) return CONTROL_ESCAPES[c] ?? `\\u${code.toString(16).padStart(4, "0")}`;
    return c;
  }

  #flushComma(): string {
    const comma = this.#comma;
    this.#comma = "";
    return comma;
  }

  #close(c: string): string {
    this.#stack.pop();
    const out = this.#flushComma() + c;
    if (this.#stack.length === 0) this.#mode = "done";
    else this.#expect = "after";
    return out;
  }

  #dropComma(c: string): string {
    this.#comma = "";
    return this.#close(c);
  }

  #break(): string {
    this.#mode = "broken";
    return "";
  }
}
