/**
 * The headers of an upstream answer as read off the wire: a list of lower-case name and value
 * pairs behind the `Headers` interface. A `Headers` object validates and lower-cases every field
 * as it is filled and sorts them on every iteration; an answer's headers come from a parser
 * that already holds them lower-cased, and most are only looked up or passed on once.
 * @module
 */

/** Read-mostly `Headers` over a list of `[lower-case name, value]` pairs. */
export class HeaderList implements Headers {
  readonly #list: [string, string][];

  /** Wraps `list` (not copied; names must be lower-case). */
  constructor(list: [string, string][]) {
    this.#list = list;
  }

  /** The value of `name`; repeated fields joined with ", " as `Headers` does. */
  get(name: string): string | null {
    const key = name.toLowerCase();
    let out: string | null = null;
    for (const [n, v] of this.#list) {
      if (n === key) out = out === null ? v : `${out}, ${v}`;
    }
    return out;
  }

  /** True when `name` is present. */
  has(name: string): boolean {
    const key = name.toLowerCase();
    for (const [n] of this.#list) if (n === key) return true;
    return false;
  }

  /** Adds a field. */
  append(name: string, value: string): void {
    this.#list.push([name.toLowerCase(), value]);
  }

  /** Replaces every field named `name` with one. */
  set(name: string, value: string): void {
    this.delete(name);
    this.#list.push([name.toLowerCase(), value]);
  }

  /** Removes every field named `name`. */
  delete(name: string): void {
    const key = name.toLowerCase();
    for (let i = this.#list.length - 1; i >= 0; i--) {
      if (this.#list[i][0] === key) this.#list.splice(i, 1);
    }
  }

  /** Every `set-cookie` value. */
  getSetCookie(): string[] {
    return this.#list.filter(([n]) => n === "set-cookie").map(([, v]) => v);
  }

  /** Calls `callback` per field, in wire order. */
  forEach(callback: (value: string, key: string, parent: this) => void, thisArg?: unknown): void {
    for (const [n, v] of this.#list) callback.call(thisArg, v, n, this);
  }

  /** The fields in wire order (repeated names stay separate). */
  entries(): IterableIterator<[string, string]> {
    return this.#list.values() as IterableIterator<[string, string]>;
  }

  /** The names in wire order. */
  keys(): IterableIterator<string> {
    return this.#list.map(([n]) => n).values() as IterableIterator<string>;
  }

  /** The values in wire order. */
  values(): IterableIterator<string> {
    return this.#list.map(([, v]) => v).values() as IterableIterator<string>;
  }

  /** Same as {@link entries}. */
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}
