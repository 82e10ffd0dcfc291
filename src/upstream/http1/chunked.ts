/**
 * An incremental decoder for HTTP/1.1 chunked transfer coding: bytes go in as they arrive from
 * the socket, the data pieces come out as views into those same bytes (no copy here).
 * @module
 */
import { ProtocolError } from "./response_head.ts";

const SIZE = 0;
const EXTENSION = 1;
const SIZE_LF = 2;
const DATA = 3;
const DATA_CR = 4;
const DATA_LF = 5;
const TRAILER_START = 6;
const TRAILER_LINE = 7;
const TRAILER_LF = 8;
const END_LF = 9;
const DONE = 10;

// A chunk-size line longer than this is not a chunk size (16 hex digits already overflow).
const MAX_SIZE_DIGITS = 15;

/** Decodes one chunked body. */
export class ChunkedDecoder {
  #state = SIZE;
  #size = 0;
  #digits = 0;
  #remaining = 0;

  /** The terminating chunk and its trailers have been read. */
  get done(): boolean {
    return this.#state === DONE;
  }

  /**
   * Decodes `input`; returns the data pieces in it (views into `input`) and how many bytes of
   * `input` belong to the body (fewer than its length only once {@link done}).
   */
  push(input: Uint8Array): { pieces: Uint8Array[]; used: number } {
    const pieces: Uint8Array[] = [];
    let i = 0;
    const n = input.length;
    while (i < n && this.#state !== DONE) {
      switch (this.#state) {
        case DATA: {
          const take = Math.min(this.#remaining, n - i);
          pieces.push(input.subarray(i, i + take));
          i += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = DATA_CR;
          break;
        }
        case SIZE: {
          const b = input[i++];
          const digit = b >= 48 && b <= 57
            ? b - 48
            : b >= 97 && b <= 102
            ? b - 87
            : b >= 65 && b <= 70
            ? b - 55
            : -1;
          if (digit >= 0) {
            if (++this.#digits > MAX_SIZE_DIGITS) throw new ProtocolError("chunk size too large");
            this.#size = this.#size * 16 + digit;
          } else if (this.#digits === 0) {
            throw new ProtocolError("invalid chunk size");
          } else if (b === 13) {
            this.#state = SIZE_LF;
          } else if (b === 59 || b === 32 || b === 9) {
            this.#state = EXTENSION; // chunk extensions (and whitespace before them) are ignored
          } else {
            throw new ProtocolError("invalid chunk size");
          }
          break;
        }
        case EXTENSION:
          if (input[i++] === 13) this.#state = SIZE_LF;
          break;
        case SIZE_LF:
          if (input[i++] !== 10) throw new ProtocolError("invalid chunk size line");
          if (this.#size === 0) {
            this.#state = TRAILER_START;
          } else {
            this.#remaining = this.#size;
            this.#state = DATA;
          }
          this.#size = 0;
          this.#digits = 0;
          break;
        case DATA_CR:
          if (input[i++] !== 13) throw new ProtocolError("chunk data longer than its size");
          this.#state = DATA_LF;
          break;
        case DATA_LF:
          if (input[i++] !== 10) throw new ProtocolError("chunk data longer than its size");
          this.#state = SIZE;
          break;
        case TRAILER_START:
          // An empty line ends the body; anything else is a trailer field, skipped.
          this.#state = input[i++] === 13 ? END_LF : TRAILER_LINE;
          break;
        case TRAILER_LINE:
          if (input[i++] === 13) this.#state = TRAILER_LF;
          break;
        case TRAILER_LF:
          if (input[i++] !== 10) throw new ProtocolError("invalid trailer line");
          this.#state = TRAILER_START;
          break;
        case END_LF:
          if (input[i++] !== 10) throw new ProtocolError("invalid end of chunked body");
          this.#state = DONE;
          break;
      }
    }
    return { pieces, used: i };
  }
}
