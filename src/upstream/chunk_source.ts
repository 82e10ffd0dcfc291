/**
 * An upstream body read chunk by chunk, whichever client produced it: the HTTP/1.1 client's
 * chunks directly, a `fetch` body through one reused BYOB buffer, any other stream plainly.
 * @module
 */
import { type BodyChunks, streamChunks } from "./body_chunks.ts";
import { UpstreamFailure, type UpstreamResponse } from "./fetch_upstream.ts";
import { Http1Answer } from "./http1/answer.ts";

/**
 * Reads an upstream body chunk by chunk. An answer of ccgate's HTTP/1.1 client is pulled
 * directly, without a `ReadableStream`. Deno hands every default-reader read of a fetch body a
 * fresh 64 KiB buffer, which under load means a flood of garbage collections and hundreds of MB
 * of off-heap memory with many open streams; a BYOB reader into one reused buffer avoids both.
 * Chunks from a BYOB source are only valid until the next read: callers copy what they keep.
 */
export class ChunkSource {
  readonly #up: UpstreamResponse;
  readonly #chunks?: BodyChunks;
  readonly #byob?: ReadableStreamBYOBReader;
  #buffer = new ArrayBuffer(16 * 1024);
  /** True when chunks alias a reused buffer. */
  readonly transient: boolean;

  /** A source over `up`'s body, or null when it has none. */
  static open(up: UpstreamResponse): ChunkSource | null {
    const res = up.response;
    if (res instanceof Http1Answer) {
      const chunks = res.chunks();
      if (chunks) return new ChunkSource(up, chunks);
      // Otherwise its body was taken as a stream already (or it has none).
    }
    const body = res.body;
    if (!body) return null;
    if (up.byteStream) {
      try {
        return new ChunkSource(up, undefined, body.getReader({ mode: "byob" }));
      } catch { /* not a byte stream after all: read it plainly */ }
    }
    return new ChunkSource(up, streamChunks(body));
  }

  private constructor(up: UpstreamResponse, chunks?: BodyChunks, byob?: ReadableStreamBYOBReader) {
    this.#up = up;
    this.#chunks = chunks;
    this.#byob = byob;
    this.transient = byob !== undefined;
  }

  /** The next chunk, or null at the end (the upstream is then released). */
  async read(): Promise<Uint8Array<ArrayBuffer> | null> {
    try {
      if (this.#byob) {
        const r = await this.#byob.read(new Uint8Array(this.#buffer, 0, this.#buffer.byteLength));
        if (r.done) return this.#end();
        this.#buffer = r.value.buffer as ArrayBuffer;
        return r.value as Uint8Array<ArrayBuffer>;
      }
      return await this.#chunks!.next() ?? this.#end();
    } catch (error) {
      this.#up.release();
      const reason = this.#up.signal.reason;
      throw reason instanceof UpstreamFailure
        ? reason
        : new UpstreamFailure("network", (error as Error).message);
    }
  }

  /** Stops reading. */
  cancel(): void {
    this.#up.release();
    if (this.#byob) this.#byob.cancel().catch(() => {});
    else this.#chunks!.cancel();
  }

  #end(): null {
    this.#up.release();
    return null;
  }
}

/**
 * The upstream body as a stream of exact-size chunks read through one reused buffer, for
 * piping into a translating TransformStream (whose default reader would otherwise take a fresh
 * 64 KiB buffer per chunk).
 */
export function compactBody(up: UpstreamResponse): ReadableStream<Uint8Array<ArrayBuffer>> {
  const source = ChunkSource.open(up);
  return new ReadableStream<Uint8Array<ArrayBuffer>>({
    async pull(controller) {
      if (!source) return controller.close();
      try {
        const chunk = await source.read();
        if (chunk === null) controller.close();
        else controller.enqueue(source.transient ? chunk.slice() : chunk);
      } catch (error) {
        controller.error(error);
      }
    },
    cancel() {
      up.abort(new UpstreamFailure("aborted", "client disconnected"));
      source?.cancel();
    },
  }, { highWaterMark: 0 });
}
