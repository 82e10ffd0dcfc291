/**
 * Thinking-signature hygiene. A thinking block's signature is only valid for the upstream
 * family that produced it: Anthropic rejects a block signed by Z.AI, and blocks this gateway
 * made from OpenAI `reasoning_content` carry no signature at all. When a conversation moves
 * between families, such blocks are dropped; native ones pass byte for byte.
 * @module
 */

import { bytesInclude } from "../protocol/anthropic_peek.ts";

/** Remembers which upstream family signed which thinking block (bounded, most recent kept). */
export class SignatureBook {
  readonly #families = new Map<string, string>();
  readonly #seen = new Set<string>();
  readonly #max: number;

  /**
   * Creates an empty book.
   * @param max How many signatures to remember.
   */
  constructor(max = 20_000) {
    this.#max = max;
  }

  static #key(signature: string): string {
    // Signatures are long; a prefix plus the length identifies one well enough.
    return `${signature.length}:${signature.slice(0, 96)}`;
  }

  /** Records that `family` signed `signature`. */
  note(signature: string, family: string): void {
    if (!signature) return;
    const key = SignatureBook.#key(signature);
    this.#seen.add(family);
    this.#families.delete(key);
    this.#families.set(key, family);
    if (this.#families.size > this.#max) this.#families.delete(this.#families.keys().next().value!);
  }

  /** The family that signed `signature`, when this process saw it. */
  familyOf(signature: string): string | undefined {
    return this.#families.get(SignatureBook.#key(signature));
  }

  /** True when some family other than `family` has signed blocks this process saw. */
  hasOtherFamilies(family: string): boolean {
    return this.#seen.size > (this.#seen.has(family) ? 1 : 0);
  }

  /** How many signatures are remembered. */
  get size(): number {
    return this.#families.size;
  }
}

type Block = { type?: string; signature?: string; [k: string]: unknown };
/** The part of an Anthropic message the thinking hygiene reads (both fields may be absent). */
export type Message = { role?: string; content?: unknown };

/**
 * Drops thinking blocks that `family` cannot verify: unsigned ones (made by translation) and
 * ones another family signed. Returns the new messages, or undefined when nothing changed.
 * `lastAssistantStripped` tells the caller to turn thinking off for this request: continuing a
 * tool turn without its thinking block is a 400 while thinking is enabled.
 */
export function stripForeignThinking(
  messages: unknown,
  family: string,
  book: SignatureBook,
): { messages: Message[]; lastAssistantStripped: boolean } | undefined {
  if (!Array.isArray(messages)) return undefined;
  let out: Message[] | undefined;
  let lastAssistant = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if ((messages[i] as Message)?.role === "assistant") {
      lastAssistant = i;
      break;
    }
  }
  let lastAssistantStripped = false;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as Message;
    if (m?.role !== "assistant" || !Array.isArray(m.content)) continue;
    const blocks = m.content as Block[];
    const kept = blocks.filter((b) => {
      if (b?.type !== "thinking") return true;
      if (!b.signature) return false;
      const signer = book.familyOf(b.signature);
      return signer === undefined || signer === family;
    });
    if (kept.length === blocks.length) continue;
    out ??= [...messages];
    out[i] = { ...m, content: kept.length ? kept : [{ type: "text", text: "(thinking omitted)" }] };
    if (i === lastAssistant) lastAssistantStripped = true;
  }
  return out ? { messages: out, lastAssistantStripped } : undefined;
}

/** Reads the signature from a `content_block_delta` event's data, if it is a signature_delta. */
export function signatureFromDelta(data: string): string | undefined {
  if (!data.includes('"signature_delta"')) return undefined;
  try {
    const sig = JSON.parse(data)?.delta?.signature;
    return typeof sig === "string" ? sig : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a raw body may hold thinking blocks `family` cannot verify, decided without parsing.
 * With every configured upstream in one family and no foreign signature seen, a foreign block
 * is impossible to recognise anyway, so the bytes are not even searched (a search of a 150 KB
 * body costs as much as parsing it).
 */
export function mayNeedHygiene(
  raw: Uint8Array,
  family: string,
  book: SignatureBook,
  mixedFamilies: boolean,
): boolean {
  if (!mixedFamilies && !book.hasOtherFamilies(family)) return false;
  return bytesInclude(raw, '"signature"');
}
