/**
 * Credential checks by a free GET (a model list): 2xx accepts, 401/403 rejects, 404 means the
 * upstream has no such endpoint but did not reject the key.
 * @module
 */
import type { VerifyResult } from "../provider.ts";

/** GETs `url` with `headers` and reads the answer as a credential verdict. */
export async function verifyByGet(
  url: string,
  headers: HeadersInit,
  signal: AbortSignal,
): Promise<VerifyResult> {
  try {
    const res = await fetch(url, { headers, signal });
    await res.body?.cancel();
    if (res.ok) return { ok: true, status: res.status, detail: "credential accepted" };
    if (res.status === 401 || res.status === 403) {
      return { ok: false, status: res.status, detail: "credential rejected" };
    }
    if (res.status === 404) {
      return {
        ok: true,
        status: res.status,
        detail: `upstream has no ${new URL(url).pathname}; credential not rejected`,
      };
    }
    return { ok: false, status: res.status, detail: `upstream answered ${res.status}` };
  } catch (error) {
    return { ok: false, detail: `cannot reach upstream: ${(error as Error).message}` };
  }
}
