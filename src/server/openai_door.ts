/**
 * The OpenAI front door: `POST /v1/chat/completions` served by any configured upstream (an
 * Anthropic one through the reverse translation, an OpenAI one directly), with errors in
 * OpenAI shape.
 * @module
 */
import type { Gateway } from "../gateway.ts";
import { logger } from "../observability/log.ts";
import { openAIError } from "../protocol/openai_error.ts";
import {
  ChatRequestHead,
  describeOpenAIIssues,
  openAIIssueParam,
} from "../protocol/openai_request.ts";
import type { MessagesCall } from "../routing/call.ts";
import { dispatch } from "../routing/dispatch.ts";
import { parseJsonObject, readBodyOrReject } from "./body.ts";
import { newRequestId } from "./messages_door.ts";

/** Serves one Chat Completions request. */
export async function handleChatCompletions(
  gateway: Gateway,
  request: Request,
  profile?: string,
): Promise<Response> {
  const startedAt = performance.now();
  const gen = gateway.generation;
  const id = newRequestId();
  const reject = (
    status: number,
    message: string,
    type = "invalid_request_error",
    param: string | null = null,
  ) => {
    logger.info("request rejected", { id, route: "chat_completions", status, error: message });
    return openAIError(status, message, { type, param, headers: { "x-request-id": id } });
  };
  const read = await readBodyOrReject(request, gen.config.server.bodyLimit);
  if (!read.ok) return reject(read.status, read.message);
  const raw = read.raw;
  const json = parseJsonObject(raw);
  if (!json.ok) return reject(json.status, json.message);
  const body = json.body;
  const parsed = ChatRequestHead.safeParse(body);
  if (!parsed.success) {
    // `param` names the first offending field, as OpenAI's own 400s do (SDKs expose it).
    return reject(
      400,
      describeOpenAIIssues(parsed.error),
      undefined,
      openAIIssueParam(parsed.error),
    );
  }
  const record = body as Record<string, unknown>;
  const call: MessagesCall = {
    id,
    endpoint: "messages",
    protocol: "openai",
    raw,
    body: record,
    model: record.model as string,
    stream: record.stream === true,
    sessionId: request.headers.get("x-claude-code-session-id") ??
      request.headers.get("x-session-id") ?? undefined,
    headers: request.headers,
    search: "",
    signal: request.signal,
    pinnedAccount: request.headers.get("x-account-name") ?? undefined,
    profile,
    startedAt,
  };
  return await dispatch(call, gen);
}

/** GET /v1/models in OpenAI shape. */
export function openAIModelList(ids: string[], created: number): {
  object: string;
  data: { id: string; object: string; created: number; owned_by: string }[];
} {
  return {
    object: "list",
    data: ids.map((id) => ({
      id,
      object: "model",
      created: Math.floor(created / 1000),
      owned_by: "ccgate",
    })),
  };
}
