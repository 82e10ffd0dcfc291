/**
 * Reads an upstream answer off an HTTP/1.1 connection: the head (interim 1xx answers skipped),
 * then the body by its framing (length, chunked, or until close), handing the connection back
 * to the pool once the body has been read to its end.
 * @module
 */
import { concatBytes } from "../../util/bytes.ts";
import { type BodyChunks, bytesChunks, chunksToStream, streamChunks } from "../body_chunks.ts";
import { Http1Answer } from "./answer.ts";
import { ChunkedDecoder } from "./chunked.ts";
import { type Http1Connection, putIdle } from "./pool.ts";
import {
  headEnd,
  MAX_HEAD_BYTES,
  parseResponseHead,
  ProtocolError,
  type ResponseHead,
} from "./response_head.ts";

/**
 * A reused keep-alive connection failed before any byte of its answer: safe to send again.
 * @internal
 */
export class StaleConnection extends Error {}

/**
 * Reads the answer to the request just written on `c`. `detach` is called once the connection
 * is done with (body read, failed or cancelled).
 * @internal
 */
export async function readResponse(
  c: Http1Connection,
  method: string,
  detach: () => void,
): Promise<Http1Answer> {
  let length = 0;
  let end = -1;
  let head: ResponseHead;
  // Only a connection that never answered this request may have it sent again.
  let answered = false;
  for (;;) {
    let searched = 0;
    while (end < 0) {
      if (length === c.buffer.byteLength) {
        if (length >= MAX_HEAD_BYTES) throw new ProtocolError("upstream response head too large");
        const grown = new Uint8Array(Math.min(length * 2, MAX_HEAD_BYTES));
        grown.set(c.buffer);
        c.buffer = grown;
      }
      let n: number | null;
      try {
        n = await c.read(length);
      } catch (error) {
        if (!answered && c.reused) {
          throw new StaleConnection(`upstream connection closed: ${(error as Error).message}`);
        }
        throw error;
      }
      if (n === null) {
        if (!answered && c.reused) throw new StaleConnection("upstream connection closed");
        throw new ProtocolError(
          answered
            ? "upstream closed the connection before the end of the response head"
            : "upstream closed the connection without an answer",
        );
      }
      answered = true;
      length += n;
      end = headEnd(c.buffer, searched, length);
      searched = Math.max(0, length - 3);
    }
    head = parseResponseHead(c.buffer.subarray(0, end));
    if (head.status >= 200) break;
    if (head.status === 101) throw new ProtocolError("upstream switched protocols");
    // 1xx interim answer (100 Continue, 103 Early Hints): the real one follows.
    c.buffer.copyWithin(0, end, length);
    length -= end;
    end = headEnd(c.buffer, 0, length);
  }
  if (head.status > 599) throw new ProtocolError(`upstream answered status ${head.status}`);
  const answer = (body: ConstructorParameters<typeof Http1Answer>[3]) =>
    new Http1Answer(head.status, head.statusText, head.headers, body);
  const encoding = head.encoding;

  let finished = false;
  const done = (reuse: boolean) => {
    if (finished) return;
    finished = true;
    detach();
    if (reuse && !head.close) putIdle(c);
    else c.close();
  };
  if (method === "HEAD" || head.status === 204 || head.status === 205 || head.status === 304) {
    done(length === end);
    return answer(null);
  }
  const framed = head.chunked
    ? "chunked"
    : head.contentLength >= 0 && !head.transferEncoded
    ? "length"
    : "close";
  const decoder = framed === "chunked" ? new ChunkedDecoder() : undefined;
  let remaining = head.contentLength;

  // Bytes that arrived with the head: often the whole answer.
  const first = c.buffer.subarray(end, length);
  let queued: Uint8Array<ArrayBuffer> | undefined;
  let complete = false;
  if (framed === "chunked") {
    const { pieces, used } = decoder!.push(first);
    queued = join(pieces);
    complete = decoder!.done;
    if (complete) done(used === first.byteLength);
  } else if (framed === "length") {
    const take = Math.min(remaining, first.byteLength);
    queued = first.slice(0, take);
    remaining -= take;
    complete = remaining === 0;
    if (complete) done(first.byteLength === take);
  } else if (first.byteLength) {
    queued = first.slice();
  }
  if (complete && !encoding) return answer(queued!);

  const chunks = complete
    ? bytesChunks(queued!)
    : new WireBody(c, framed, decoder, remaining, queued, done);
  return answer(encoding && encoding !== "identity" ? decode(chunks, encoding) : chunks);
}

/** The rest of a body, read off the connection as the caller asks for it. */
class WireBody implements BodyChunks {
  readonly #c: Http1Connection;
  readonly #framed: "chunked" | "length" | "close";
  readonly #decoder?: ChunkedDecoder;
  readonly #done: (reuse: boolean) => void;
  #remaining: number;
  #queued?: Uint8Array<ArrayBuffer>;
  #ended = false;

  constructor(
    c: Http1Connection,
    framed: "chunked" | "length" | "close",
    decoder: ChunkedDecoder | undefined,
    remaining: number,
    queued: Uint8Array<ArrayBuffer> | undefined,
    done: (reuse: boolean) => void,
  ) {
    this.#c = c;
    this.#framed = framed;
    this.#decoder = decoder;
    this.#remaining = remaining;
    this.#queued = queued;
    this.#done = done;
  }

  async next(): Promise<Uint8Array<ArrayBuffer> | null> {
    const queued = this.#queued;
    this.#queued = undefined;
    if (queued?.byteLength) return queued;
    while (!this.#ended) {
      let n: number | null;
      try {
        n = await this.#c.read(0);
      } catch (error) {
        this.#end(false);
        throw error;
      }
      if (n === null) {
        this.#end(false);
        if (this.#framed === "close") return null;
        throw new ProtocolError("upstream closed the connection before the body was complete");
      }
      const bytes = this.#c.buffer.subarray(0, n);
      if (this.#framed === "close") return bytes.slice();
      let chunk: Uint8Array<ArrayBuffer>;
      if (this.#framed === "length") {
        const take = Math.min(this.#remaining, n);
        chunk = bytes.slice(0, take);
        this.#remaining -= take;
        if (this.#remaining === 0) this.#end(take === n);
      } else {
        let result;
        try {
          result = this.#decoder!.push(bytes);
        } catch (error) {
          this.#end(false);
          throw error;
        }
        chunk = join(result.pieces);
        if (this.#decoder!.done) this.#end(result.used === n);
      }
      if (chunk.byteLength) return chunk;
    }
    return null;
  }

  cancel(): void {
    this.#end(false);
  }

  #end(reuse: boolean): void {
    this.#ended = true;
    this.#done(reuse);
  }
}

// An owned copy of the pieces, as one chunk (pieces are views into the connection's buffer).
function join(pieces: Uint8Array[]): Uint8Array<ArrayBuffer> {
  return pieces.length === 1 ? pieces[0].slice() as Uint8Array<ArrayBuffer> : concatBytes(pieces);
}

function decode(chunks: BodyChunks, encoding: string): BodyChunks {
  if (encoding !== "gzip" && encoding !== "x-gzip" && encoding !== "deflate") {
    chunks.cancel();
    throw new ProtocolError(`upstream answered with unsupported content-encoding ${encoding}`);
  }
  const format = encoding === "deflate" ? "deflate" : "gzip";
  return streamChunks(
    chunksToStream(chunks).pipeThrough(new DecompressionStream(format)) as ReadableStream<
      Uint8Array<ArrayBuffer>
    >,
  );
}
