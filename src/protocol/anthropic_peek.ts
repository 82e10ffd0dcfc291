/**
 * Reads what routing needs from a Messages request without parsing the whole body. Claude
 * Code's bodies are 50–150 KB with `model` first and `stream` last; parsing and re-serialising
 * them on every request would cost more than the rest of the gateway together. Anything not
 * in that shape returns undefined and takes the full parse.
 * @module
 */

/** The fields read from the edges of a body. */
export interface BodyPeek {
  /** The top-level `model`. */
  model: string;
  /** The top-level `stream`. */
  stream: boolean;
}

const decoder = new TextDecoder();
const HEAD = /^\s*\{\s*"model"\s*:\s*"((?:[^"\\]|\\.)*)"\s*,/;
const TAIL = /,\s*"stream"\s*:\s*(true|false)\s*\}\s*$/;

/**
 * Peeks `model` (the first key) and `stream` (the last key). Sound for valid JSON: the first
 * key of the top-level object and a value directly before its closing brace are top-level.
 * Validity itself is left to the upstream, which answers bad JSON with a 400.
 */
export function peekMessagesBody(raw: Uint8Array): BodyPeek | undefined {
  if (raw.length < 32) return undefined;
  const head = decoder.decode(raw.subarray(0, Math.min(raw.length, 512))).match(HEAD);
  if (!head) return undefined;
  const tail = decoder.decode(raw.subarray(Math.max(raw.length - 48, 0))).match(TAIL);
  if (!tail) return undefined;
  let model = head[1];
  if (model.includes("\\")) {
    try {
      model = JSON.parse(`"${model}"`);
    } catch {
      return undefined;
    }
  }
  return model ? { model, stream: tail[1] === "true" } : undefined;
}

/**
 * True when the UTF-8 bytes contain `needle` (an ASCII pattern). Decodes once and uses the
 * engine's string search, which beats a byte loop by far on 100 KB bodies.
 */
export function bytesInclude(haystack: Uint8Array, needle: string): boolean {
  return haystack.length >= needle.length && decoder.decode(haystack).includes(needle);
}
