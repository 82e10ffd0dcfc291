/**
 * Keep-alive connections to upstream origins. An idle connection keeps one read pending: if the
 * server closes it (or sends anything) while it waits, it leaves the pool at once, and the next
 * request does not find it; when a request takes it, that read is the first read of its answer.
 * @module
 */

/** Idle connections kept per origin. */
const MAX_IDLE_PER_ORIGIN = 256;
/** An idle connection older than this is closed rather than reused (as fetch's pool does). */
const MAX_IDLE_MS = 90_000;
/** Each connection's read buffer; chunks handed out are copies, so it is reused. */
const BUFFER_BYTES = 16 * 1024;

/** One HTTP/1.1 connection to an origin. @internal */
export class Http1Connection {
  /** The socket. */
  readonly conn: Deno.Conn;
  /** The pool key (`scheme//host:port`). */
  readonly origin: string;
  /** The read buffer (grows for a long response head). */
  buffer: Uint8Array<ArrayBuffer> = new Uint8Array(BUFFER_BYTES);
  /** Closed, or not reusable. */
  closed = false;
  /** Served a request before (a failure before its answer may be a stale keep-alive). */
  reused = false;
  #idleRead?: Promise<number | null>;
  #idle = false;
  #idleSince = 0;

  /** Wraps an open socket. */
  constructor(conn: Deno.Conn, origin: string) {
    this.conn = conn;
    this.origin = origin;
  }

  /** Reads into the buffer from `offset`; the first read after the pool is the one it started. */
  read(offset: number): Promise<number | null> {
    const pending = this.#idleRead;
    if (pending && offset === 0) {
      this.#idleRead = undefined;
      return pending;
    }
    return this.conn.read(this.buffer.subarray(offset));
  }

  /** Closes the socket (idempotent); a pending read then fails. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#idle = false;
    try {
      this.conn.close();
    } catch { /* already closed by the peer */ }
  }

  /** @internal Parks the connection in the pool. */
  park(now: number): void {
    this.#idle = true;
    this.#idleSince = now;
    this.reused = true;
    this.conn.unref();
    const read = this.conn.read(this.buffer);
    this.#idleRead = read;
    const gone = () => {
      // Anything while idle (EOF, data, an error) means the connection cannot carry a request.
      if (this.#idle) {
        remove(this);
        this.close();
      }
    };
    read.then(gone, gone);
  }

  /** @internal Takes the connection out of the pool. */
  unpark(): void {
    this.#idle = false;
    this.conn.ref();
  }

  /** @internal When it was parked. */
  get idleSince(): number {
    return this.#idleSince;
  }
}

const idle = new Map<string, Http1Connection[]>();

/** An idle connection to `origin`, most recently used first, or undefined. @internal */
export function takeIdle(origin: string, now = Date.now()): Http1Connection | undefined {
  const list = idle.get(origin);
  if (!list) return undefined;
  while (list.length) {
    const c = list.pop()!;
    if (c.closed) continue;
    if (now - c.idleSince > MAX_IDLE_MS) {
      c.close();
      continue;
    }
    c.unpark();
    return c;
  }
  return undefined;
}

/** Returns a connection whose answer was read to the end; it is closed if the pool is full. @internal */
export function putIdle(c: Http1Connection, now = Date.now()): void {
  if (c.closed) return;
  let list = idle.get(c.origin);
  if (!list) idle.set(c.origin, list = []);
  // The oldest idle connection is first: drop it when it is past its age (or the pool is full).
  if (
    list.length && (list.length >= MAX_IDLE_PER_ORIGIN || now - list[0].idleSince > MAX_IDLE_MS)
  ) {
    list.shift()!.close();
  }
  list.push(c);
  c.park(now);
}

function remove(c: Http1Connection): void {
  const list = idle.get(c.origin);
  const i = list ? list.indexOf(c) : -1;
  if (i >= 0) list!.splice(i, 1);
}

/** Closes every idle connection (at shutdown; connections in use close when their answer ends). */
export function closeIdleConnections(): void {
  for (const list of idle.values()) for (const c of list.splice(0)) c.close();
}

/** How many idle connections the pool holds (tests, status). */
export function idleConnectionCount(): number {
  let n = 0;
  for (const list of idle.values()) n += list.length;
  return n;
}
