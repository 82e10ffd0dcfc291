/**
 * A body pulled chunk by chunk, without a `ReadableStream` between reader and source: each
 * stream in the path costs a read request, a promise and a queue entry per chunk, and a relayed
 * event should pay for one such stream (the one `Deno.serve` reads), not two.
 * @module
 */

/** A body pulled chunk by chunk: each chunk is owned by the caller. */
export interface BodyChunks {
  /** The next non-empty chunk, or null at the end; throws when the body cannot be read. */
  next(): Promise<Uint8Array<ArrayBuffer> | null>;
  /** Stops reading (the source is then released, not reused). */
  cancel(): void;
}

/** A body that is already complete, as chunks. */
export function bytesChunks(bytes: Uint8Array<ArrayBuffer>): BodyChunks {
  let left: Uint8Array<ArrayBuffer> | undefined = bytes.byteLength ? bytes : undefined;
  return {
    next() {
      const chunk = left ?? null;
      left = undefined;
      return Promise.resolve(chunk);
    },
    cancel() {
      left = undefined;
    },
  };
}

/** A stream's chunks, read with a default reader (empty chunks are skipped). */
export function streamChunks(stream: ReadableStream<Uint8Array<ArrayBuffer>>): BodyChunks {
  const reader = stream.getReader();
  return {
    async next() {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return null;
        if (value.byteLength) return value;
      }
    },
    cancel() {
      reader.cancel().catch(() => {});
    },
  };
}

/** Chunks as a pull stream: nothing is read before the consumer asks. */
export function chunksToStream(chunks: BodyChunks): ReadableStream<Uint8Array<ArrayBuffer>> {
  return new ReadableStream<Uint8Array<ArrayBuffer>>({
    async pull(controller) {
      let chunk;
      try {
        chunk = await chunks.next();
      } catch (error) {
        controller.error(error);
        return;
      }
      if (chunk) controller.enqueue(chunk);
      else controller.close();
    },
    cancel() {
      chunks.cancel();
    },
  }, { highWaterMark: 0 });
}
