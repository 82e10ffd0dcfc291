/**
 * Turns an upstream response into the client's protocol: error bodies, JSON messages and SSE
 * streams, Anthropic ⇄ OpenAI. Headers (rate-limit resets, request ids) are kept, so the
 * failover loop reads them as the upstream sent them.
 * @module
 */
import { anthropicError } from "../protocol/anthropic_error.ts";
import { openAIErrorFromAnthropic } from "../protocol/openai_error.ts";
import type { Protocol } from "../protocol/wire.ts";
import { UpstreamFailure, type UpstreamResponse } from "../upstream/fetch_upstream.ts";
import { errorMessageOf } from "../upstream/outcome.ts";
import { compactBody } from "../upstream/chunk_source.ts";
import { NULL_BODY_STATUS, readAll } from "../upstream/relay.ts";
import { anthropicErrorTypeForOpenAI } from "./common.ts";
import type { ChatCompletion } from "./openai_types.ts";

/**
 * The body and stream translators. They are imported on the first response that needs one: a
 * gateway whose clients and upstreams speak the same protocol never loads them (idle memory).
 */
function importTranslators() {
  return Promise.all([
    import("./from_openai_response.ts"),
    import("./from_openai_stream.ts"),
    import("./to_openai_response.ts"),
    import("./to_openai_stream.ts"),
  ]);
}
let translators: ReturnType<typeof importTranslators> | undefined;

/** What the response translation needs from the request. */
export interface AdaptOptions {
  /** The model the client asked for (reported back to it). */
  model: string;
  /** Estimated input tokens (for an OpenAI→Anthropic `message_start`). */
  inputTokens: number;
  /** OpenAI client asked for `stream_options.include_usage`. */
  includeUsage: boolean;
  /** Longest silence while reading a JSON body. */
  readMs: number;
  /** Upstream tool name → the client's, for names shortened for an OpenAI upstream. */
  toolNames?: ReadonlyMap<string, string>;
}

const KEEP_HEADERS =
  /^(retry-after|retry-after-ms|x-ratelimit-|anthropic-ratelimit-|request-id|x-request-id|openai-|x-should-retry)/i;

function keptHeaders(from: Headers, contentType: string): Headers {
  const out = new Headers();
  for (const [k, v] of from) if (KEEP_HEADERS.test(k)) out.set(k, v);
  out.set("content-type", contentType);
  return out;
}

/** Adapts `up` from the upstream's protocol to the client's. */
export async function adaptResponse(
  up: UpstreamResponse,
  from: Protocol,
  to: Protocol,
  options: AdaptOptions,
): Promise<UpstreamResponse> {
  if (from === to) return up;
  const [{ fromOpenAIResponse }, { openAIToAnthropicStream }, { toOpenAIResponse }, {
    anthropicToOpenAIStream,
  }] = await (translators ??= importTranslators());
  const res = up.response;
  const isSse = (res.headers.get("content-type") ?? "").includes("text/event-stream");
  let response: Response;
  if (!res.ok) {
    const text = new TextDecoder().decode(
      await readAll(up, options.readMs),
    );
    if (to === "openai") {
      response = openAIErrorFromAnthropic(res.status, text, res.headers);
    } else {
      let type: string | undefined;
      try {
        type = JSON.parse(text)?.error?.type;
      } catch { /* not JSON */ }
      const headers: Record<string, string> = {};
      for (const [k, v] of keptHeaders(res.headers, "application/json")) headers[k] = v;
      response = anthropicError(
        res.status,
        errorMessageOf(text) || `upstream answered ${res.status}`,
        {
          type: anthropicErrorTypeForOpenAI(res.status, type),
          headers,
        },
      );
    }
  } else if (isSse && !NULL_BODY_STATUS.has(res.status)) {
    // Asked by status, not by `res.body`: that getter would turn an HTTP/1.1 answer's body into a
    // stream, which compactBody would then read through a second one.
    const transform = to === "anthropic"
      ? openAIToAnthropicStream({
        model: options.model,
        inputTokens: options.inputTokens,
        toolNames: options.toolNames,
      })
      : anthropicToOpenAIStream({ model: options.model, includeUsage: options.includeUsage });
    response = new Response(compactBody(up).pipeThrough(transform), {
      status: res.status,
      headers: keptHeaders(res.headers, "text/event-stream; charset=utf-8"),
    });
  } else {
    const bytes = await readAll(up, options.readMs);
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw new UpstreamFailure("invalid", "upstream answered 2xx with invalid JSON");
    }
    const body = to === "anthropic"
      ? fromOpenAIResponse(json as ChatCompletion, options.model, options.toolNames)
      : toOpenAIResponse(json as Record<string, unknown>, options.model);
    response = new Response(JSON.stringify(body), {
      status: res.status,
      headers: keptHeaders(res.headers, "application/json"),
    });
  }
  return {
    response,
    abort: up.abort,
    signal: up.signal,
    deadline: up.deadline,
    release: up.release,
  };
}
