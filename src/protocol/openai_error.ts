/**
 * OpenAI-shaped errors (placeholder until the OpenAI door lands; same API).
 * @module
 */

/** An OpenAI error response. */
export function openAIError(
  status: number,
  message: string,
  options: {
    type?: string;
    code?: string | null;
    param?: string | null;
    headers?: Record<string, string>;
  } = {},
): Response {
  const headers = new Headers(options.headers);
  headers.set("content-type", "application/json");
  const error = {
    message,
    type: options.type ?? "invalid_request_error",
    param: options.param ?? null,
    code: options.code ?? null,
  };
  return new Response(JSON.stringify({ error }), { status, headers });
}

/** One SSE chunk carrying an error, for failures mid-stream. */
export function openAIErrorChunk(type: string, message: string): string {
  return `data: ${JSON.stringify({ error: { message, type, param: null, code: null } })}\n\n`;
}
