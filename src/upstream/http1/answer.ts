/**
 * An upstream answer from the HTTP/1.1 client: the parts of a `Response` the gateway reads
 * (status, headers, body, `arrayBuffer()`), without a `Response` object per answer.
 * @module
 */
import { concatBytes } from "../../util/bytes.ts";
import { HeaderList } from "./header_list.ts";

/** An answer whose head has arrived; its body is complete bytes or a stream still being read. */
export class Http1Answer {
  /** Status code. */
  readonly status: number;
  /** Reason phrase. */
  readonly statusText: string;
  /** Header fields as received. */
  readonly headers: HeaderList;
  #bytes?: Uint8Array<ArrayBuffer>;
  #stream: ReadableStream<Uint8Array<ArrayBuffer>> | null;

  /**
   * `body`: the whole body when it arrived with the head (an exact-size copy), a stream when
   * more is to come, or null for an answer without a body.
   */
  constructor(
    status: number,
    statusText: string,
    headers: [string, string][],
    body: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array<ArrayBuffer>> | null,
  ) {
    this.status = status;
    this.statusText = statusText;
    this.headers = new HeaderList(headers);
    if (body instanceof Uint8Array) {
      this.#bytes = body;
      this.#stream = null;
    } else {
      this.#stream = body;
    }
  }

  /** A 2xx status. */
  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  /** The body as a stream (made on first use when the body is already complete). */
  get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
    if (this.#bytes) {
      const bytes = this.#bytes;
      this.#bytes = undefined;
      this.#stream = new ReadableStream({
        start(controller) {
          if (bytes.byteLength) controller.enqueue(bytes);
          controller.close();
        },
      });
    }
    return this.#stream;
  }

  /** The whole body (no copy when it arrived with the head). */
  async arrayBuffer(): Promise<ArrayBuffer> {
    if (this.#bytes) {
      const bytes = this.#bytes;
      this.#bytes = undefined;
      this.#stream = null;
      return bytes.buffer;
    }
    const stream = this.#stream;
    this.#stream = null;
    if (!stream) return new ArrayBuffer(0);
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of stream) {
      chunks.push(chunk);
      size += chunk.byteLength;
    }
    if (chunks.length === 1 && chunks[0].byteLength === chunks[0].buffer.byteLength) {
      return chunks[0].buffer as ArrayBuffer;
    }
    return concatBytes(chunks, size).buffer;
  }
}
