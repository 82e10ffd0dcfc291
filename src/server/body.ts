/**
 * Reads a request body with a size limit, failing early on a declared oversize body.
 * @module
 */

/** The body was larger than allowed. */
export class BodyTooLarge extends Error {
  /** @param limit The limit in bytes. */
  constructor(readonly limit: number) {
    super(`request body exceeds the ${limit}-byte limit`);
  }
}

/** Reads the whole body, at most `limit` bytes. */
export async function readBody(request: Request, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > limit) throw new BodyTooLarge(limit);
  if (!request.body) return new Uint8Array();
  if (Number.isFinite(declared) && declared >= 0) {
    // Known length: one buffer, no copying of chunks.
    const buf = new Uint8Array(await request.arrayBuffer());
    if (buf.length > limit) throw new BodyTooLarge(limit);
    return buf;
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let size = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      reader.cancel().catch(() => {});
      throw new BodyTooLarge(limit);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}
