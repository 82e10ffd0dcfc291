/**
 * Byte-array helpers shared by the request reader and the upstream client.
 * @module
 */

/** One new array holding `chunks` in order (`size`: their total length, when already known). */
export function concatBytes(
  chunks: readonly Uint8Array[],
  size?: number,
): Uint8Array<ArrayBuffer> {
  let total = size ?? 0;
  if (size === undefined) { for (const chunk of chunks) total += chunk.byteLength; }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
