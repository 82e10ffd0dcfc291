/**
 * An upstream answer from the HTTP/1.1 client: the parts of a `Response` the gateway reads
 * (status, headers, body, `arrayBuffer()`), without a `Response` object per answer. Its body
 * can also be pulled chunk by chunk ({@link Http1Answer.chunks}) without a `ReadableStream`
 * in between: a relayed stream then pays for one JS stream per event instead of two.
 * @module
 */
import { concatBytes } from "../../util/bytes.ts";
import { type BodyChunks, bytesChunks, chunksToStream, streamChunks } from "../body_chunks.ts";
import { HeaderList } from "./header_list.ts";

/** An answer whose head has arrived; its body is complete bytes or chunks still being read. */
export class Http1Answer {
  /** Status code. */
  readonly status: number;
  /** Reason phrase. */
  readonly statusText: string;
  /** Header fields as received. */
  readonly headers: HeaderList;
  #bytes?: Uint8Array<ArrayBuffer>;
  #chunks?: BodyChunks;
  #stream: ReadableStream<Uint8Array<ArrayBuffer>> | null = null;

  /**
   * `body`: the whole body when it arrived with the head (an exact-size copy), chunks when
   * more is to come, or null for an answer without a body.
   */
  constructor(
    status: number,
    statusText: string,
    headers: [string, string][],
    body: Uint8Array<ArrayBuffer> | BodyChunks | null,
  ) {
    this.status = status;
    this.statusText = statusText;
    this.headers = new HeaderList(headers);
    if (body instanceof Uint8Array) this.#bytes = body;
    else if (body) this.#chunks = body;
  }

  /** A 2xx status. */
  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  /** The body as a stream (made on first use; the body can be taken only once). */
  get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
    const chunks = this.chunks();
    if (chunks) this.#stream = chunksToStream(chunks);
    return this.#stream;
  }

  /** Takes the body as chunks; null when it has none or was taken already. */
  chunks(): BodyChunks | null {
    if (this.#bytes) {
      const bytes = this.#bytes;
      this.#bytes = undefined;
      return bytesChunks(bytes);
    }
    const chunks = this.#chunks;
    this.#chunks = undefined;
    return chunks ?? null;
  }

  /** The whole body (no copy when it arrived with the head). */
  async arrayBuffer(): Promise<ArrayBuffer> {
    if (this.#bytes) {
      const bytes = this.#bytes;
      this.#bytes = undefined;
      return bytes.buffer;
    }
    // A body already taken as a stream is read from the stream.
    const chunks = this.#chunks ?? (this.#stream ? streamChunks(this.#stream) : undefined);
    this.#chunks = undefined;
    this.#stream = null;
    if (!chunks) return new ArrayBuffer(0);
    const parts: Uint8Array[] = [];
    let size = 0;
    for (let chunk = await chunks.next(); chunk; chunk = await chunks.next()) {
      parts.push(chunk);
      size += chunk.byteLength;
    }
    if (parts.length === 1 && parts[0].byteLength === parts[0].buffer.byteLength) {
      return parts[0].buffer as ArrayBuffer;
    }
    return concatBytes(parts, size).buffer;
  }
}
