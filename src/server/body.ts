/**
 * Reads a request body with a size limit, failing early on a declared oversize body.
 * @module
 */

import { BodyTooLarge, readDeclared } from "../util/read_exact.ts";

export { BodyTooLarge };

/** Reads the whole body, at most `limit` bytes. */
export async function readBody(request: Request, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > limit) throw new BodyTooLarge(limit);
  if (!request.body) return new Uint8Array();
  if (Number.isFinite(declared) && declared >= 0) {
    return await readDeclared(request, declared, limit);
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

const decoder = new TextDecoder();

/** A JSON-object body, or why the request is rejected (status and message). */
export type JsonBody =
  | { ok: true; body: Record<string, unknown> }
  | { ok: false; status: number; message: string };

/** Parses `raw` as a JSON object. */
export function parseJsonObject(raw: Uint8Array): JsonBody {
  let body: unknown;
  try {
    body = JSON.parse(decoder.decode(raw));
  } catch (error) {
    return {
      ok: false,
      status: 400,
      message: `request body is not valid JSON: ${(error as Error).message}`,
    };
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, status: 400, message: "request body must be a JSON object" };
  }
  return { ok: true, body: body as Record<string, unknown> };
}

/** Reads a body within the limit; failures as a status and message. */
export async function readBodyOrReject(
  request: Request,
  limit: number,
): Promise<
  { ok: true; raw: Uint8Array<ArrayBuffer> } | { ok: false; status: number; message: string }
> {
  try {
    return { ok: true, raw: await readBody(request, limit) };
  } catch (error) {
    if (error instanceof BodyTooLarge) return { ok: false, status: 413, message: error.message };
    return {
      ok: false,
      status: 400,
      message: `cannot read request body: ${(error as Error).message}`,
    };
  }
}
