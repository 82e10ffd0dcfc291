/**
 * The text half of the token estimate: one pass over the char codes that splits text roughly the
 * way the o200k pre-tokenizer regex does (words split at lower→upper case changes, digits in
 * groups of three, punctuation runs, whitespace runs) and adds each piece's average token count.
 * @module
 */

/** The kinds of pieces {@link scanPieces} reports (`size` in characters unless noted). */
export const Piece = {
  /** A Latin word with no prefix; `size` = letters. */
  Word: 0,
  /** A Latin word with a leading space or tab; `size` = letters. */
  WordSpace: 1,
  /** A Latin word with one leading punctuation character (`"name`, `_case`); `size` = letters. */
  WordPunct: 2,
  /** A punctuation run with an optional leading space and trailing newlines/slashes. */
  Punct: 3,
  /** A run of spaces/tabs standing alone. */
  Spaces: 4,
  /** A whitespace run ending in newlines. */
  Newlines: 5,
  /** Up to three digits. */
  Digits: 6,
  /** CJK, kana, Hangul and fullwidth characters inside a word. */
  Wide: 7,
  /** Letters of other scripts (Greek, Arabic, Devanagari…) inside a word. */
  Script: 8,
  /** Non-ASCII characters inside a punctuation run (symbols, emoji halves). */
  Symbol: 9,
  /** Cyrillic letters inside a word (o200k packs them denser than other scripts). */
  Cyrillic: 10,
} as const;

/** One of the {@link Piece} kinds. */
export type Piece = typeof Piece[keyof typeof Piece];

/** Receives each piece from {@link scanPieces}; `start`/`end` locate it in the text. */
export type PieceSink = (kind: Piece, size: number, start: number, end: number) => void;

// Character classes.
const LOWER = 0;
const UPPER = 1;
const DIGIT = 2;
const SPACE = 3;
const NEWLINE = 4;
const PUNCT = 5;
const WIDE = 6;
const SCRIPT = 7;
const CYRILLIC = 8;

/** The class of one UTF-16 code unit. */
function classOf(c: number): number {
  if (c >= 97 && c <= 122) return LOWER;
  if (c >= 65 && c <= 90) return UPPER;
  if (c >= 48 && c <= 57) return DIGIT;
  if (c === 10 || c === 13) return NEWLINE;
  if (c === 32 || c === 9 || c === 11 || c === 12) return SPACE;
  if (c < 128) return PUNCT;
  if (c >= 0xc0 && c <= 0x24f && c !== 0xd7 && c !== 0xf7) return LOWER; // accented Latin
  if (c >= 0x400 && c < 0x530) return CYRILLIC;
  if (c >= 0x300 && c < 0x2000) return SCRIPT; // marks, Greek, Armenian, Arabic, Indic…
  if ((c >= 0x2e80 && c < 0xd800) || (c >= 0xf900 && c < 0xfff0)) return WIDE;
  return PUNCT; // Latin-1 symbols, general punctuation, arrows, emoji (surrogates)
}

/**
 * The class of every UTF-16 code unit: one array read per character keeps the scan fast. Built
 * on the first scan, not at import: filling 65,536 entries warms up the optimising compiler,
 * which costs a gateway that never estimates ~3 MB of idle memory.
 */
let classTable: Uint8Array | undefined;

function classTableOnce(): Uint8Array {
  if (classTable) return classTable;
  classTable = new Uint8Array(65536);
  for (let c = 0; c < 65536; c++) classTable[c] = classOf(c);
  return classTable;
}

/** Letters of any script: they continue a word. */
function isLetter(cls: number): boolean {
  return cls <= UPPER || cls >= WIDE;
}

/**
 * Splits text roughly the way the o200k pre-tokenizer regex does and returns the estimated token
 * count; `sink`, when given, receives every piece (for calibration and tests).
 */
export function scanPieces(text: string, sink?: PieceSink): number {
  const CLASS = classTableOnce();
  const n = text.length;
  let total = 0;
  let i = 0;
  // 0: none; 1: a space/tab, 2: one punctuation character — either joins the next word.
  let prefix = 0;
  while (i < n) {
    const cls = CLASS[text.charCodeAt(i)];
    if (isLetter(cls)) {
      // A word is Upper* Lower*: an upper-case letter after a lower-case one starts a new word.
      const start = prefix ? i - 1 : i;
      let latin = 0;
      let wide = 0;
      let script = 0;
      let cyrillic = 0;
      let sawLower = false;
      for (; i < n; i++) {
        const c = CLASS[text.charCodeAt(i)];
        if (c === LOWER) {
          sawLower = true;
          latin++;
        } else if (c === UPPER) {
          if (sawLower) break;
          latin++;
        } else if (c === WIDE) wide++;
        else if (c === SCRIPT) script++;
        else if (c === CYRILLIC) cyrillic++;
        else break;
      }
      if (latin) {
        const kind = prefix === 0 ? Piece.Word : prefix === 1 ? Piece.WordSpace : Piece.WordPunct;
        total += cost(kind, latin);
        sink?.(kind, latin, start, i);
      }
      if (wide) {
        total += wide * WIDE_CHAR;
        sink?.(Piece.Wide, wide, start, i);
      }
      if (script) {
        total += script * SCRIPT_CHAR;
        sink?.(Piece.Script, script, start, i);
      }
      if (cyrillic) {
        total += cyrillic * CYRILLIC_CHAR;
        sink?.(Piece.Cyrillic, cyrillic, start, i);
      }
      prefix = 0;
    } else if (cls === DIGIT) {
      if (prefix === 1) {
        // A space before digits stands alone (digits take no prefix).
        total += 1;
        sink?.(Piece.Spaces, 1, i - 1, i);
      }
      prefix = 0;
      let j = i;
      while (j < n && CLASS[text.charCodeAt(j)] === DIGIT) j++;
      // o200k has a token for every 1–3 digit group.
      total += Math.ceil((j - i) / 3);
      if (sink) {
        for (let k = i; k < j; k += 3) {
          sink(Piece.Digits, Math.min(3, j - k), k, Math.min(k + 3, j));
        }
      }
      i = j;
    } else if (cls === PUNCT) {
      const start = prefix === 1 ? i - 1 : i;
      let j = i;
      let symbols = 0;
      for (; j < n; j++) {
        const c = text.charCodeAt(j);
        if (CLASS[c] !== PUNCT) break;
        if (c >= 128) symbols++;
      }
      if (
        prefix === 0 && j === i + 1 && j < n && symbols === 0 && isLetter(CLASS[text.charCodeAt(j)])
      ) {
        prefix = 2; // `"name`: a lone punctuation character joins the word after it
        i = j;
        continue;
      }
      // Newlines and slashes right after punctuation belong to the same piece (`{\n`, `,\n`).
      for (; j < n; j++) {
        const c = text.charCodeAt(j);
        if (c !== 10 && c !== 13 && c !== 47) break;
      }
      total += cost(Piece.Punct, j - start) + symbols * SYMBOL_CHAR;
      sink?.(Piece.Punct, j - start, start, j);
      if (symbols) sink?.(Piece.Symbol, symbols, start, j);
      prefix = 0;
      i = j;
    } else {
      // Whitespace: everything up to the last newline is one piece; of the spaces after it, the
      // last one joins a following word or punctuation run.
      let j = i;
      let lastNewline = -1;
      for (; j < n; j++) {
        const c = CLASS[text.charCodeAt(j)];
        if (c === NEWLINE) lastNewline = j;
        else if (c !== SPACE) break;
      }
      let k = i;
      if (lastNewline >= 0) {
        k = lastNewline + 1;
        total += cost(Piece.Newlines, k - i);
        sink?.(Piece.Newlines, k - i, i, k);
      }
      const spaces = j - k;
      prefix = 0;
      if (spaces > 0 && j === n) {
        total += cost(Piece.Spaces, spaces);
        sink?.(Piece.Spaces, spaces, k, j);
      } else if (spaces > 0) {
        if (spaces > 1) {
          total += cost(Piece.Spaces, spaces - 1);
          sink?.(Piece.Spaces, spaces - 1, k, j - 1);
        }
        prefix = 1;
      }
      i = j;
    }
  }
  return total;
}

// Average o200k tokens per piece, indexed by piece size (a longer piece adds the matching EXTRA
// per character beyond the table), measured with gpt-tokenizer over the pieces this scanner
// produces from the Claude Code fixtures, this repository's sources and docs. Re-measure them
// whenever the scanner changes.
// deno-fmt-ignore
const WORD: readonly number[] = [
  0, 1, 1, 1.05, 1.03, 1.05, 1.2, 1.18, 1.28, 1.45, 1.35, 1.35, 1.5, 1.7, 1.8,
];
// deno-fmt-ignore
const WORD_SPACE: readonly number[] = [
  0, 1, 1, 1.01, 1.01, 1.02, 1.06, 1.05, 1.1, 1.15, 1.13, 1.19, 1.24, 1.2, 1.38, 1.3, 1.4,
];
// deno-fmt-ignore
const WORD_PUNCT: readonly number[] = [
  0, 1.02, 1.09, 1.24, 1.18, 1.37, 1.48, 1.52, 1.66, 2, 1.7, 1.97, 2.3, 2.6, 2.8,
];
const PUNCT_RUN: readonly number[] = [0, 1, 1, 1.08, 1.24, 1.46, 2, 2.5, 2.6, 3.5, 4.3, 5, 5.5];
const EXTRA_WORD = 0.3;
const EXTRA_PUNCT = 0.5;
// Runs of spaces and of newlines are single tokens in o200k at every length seen.
const WHITESPACE_RUN = 1;
// Per character, measured on short samples (zh, ja, ko / el, ar, hi / ru / emoji).
const WIDE_CHAR = 0.7;
const SCRIPT_CHAR = 0.4;
const CYRILLIC_CHAR = 0.26;
const SYMBOL_CHAR = 0.5;

/** Sizes up to this are looked up in {@link COST}. */
const MAX_SIZE = 63;

function lookup(table: readonly number[], size: number, extra: number): number {
  const last = table.length - 1;
  return size <= last ? table[size] : table[last] + (size - last) * extra;
}

/** Tokens of a Latin word, punctuation or whitespace piece. */
function pieceCost(kind: Piece, size: number): number {
  switch (kind) {
    case Piece.Word:
      return lookup(WORD, size, EXTRA_WORD);
    case Piece.WordSpace:
      return lookup(WORD_SPACE, size, EXTRA_WORD);
    case Piece.WordPunct:
      return lookup(WORD_PUNCT, size, EXTRA_WORD);
    case Piece.Punct:
      return lookup(PUNCT_RUN, size, EXTRA_PUNCT);
    default:
      return WHITESPACE_RUN;
  }
}

/** {@link pieceCost} precomputed for sizes up to {@link MAX_SIZE}: `COST[kind * 64 + size]`. */
const COST = new Float64Array(6 * (MAX_SIZE + 1)).map((_, i) =>
  pieceCost(Math.floor(i / (MAX_SIZE + 1)) as Piece, i % (MAX_SIZE + 1))
);

function cost(kind: Piece, size: number): number {
  return size <= MAX_SIZE ? COST[kind * (MAX_SIZE + 1) + size] : pieceCost(kind, size);
}

/** Estimated o200k token count of one text. */
export function estimateTextTokens(text: string): number {
  return scanPieces(text);
}
