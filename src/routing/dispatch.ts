/**
 * The failover loop. A call walks its chains (model → providers → accounts) until an upstream
 * serves it. 429, 529, 5xx, timeouts and connection errors move to the next account, then the
 * next provider, then the fallback model; client errors return as they are. An account that
 * failed a call other than by a 429 is not asked again within it. When every account is
 * cooling down, a reset within `maxWaitMs` is waited for; otherwise the client gets a 429
 * whose `retry-after` is the soonest reset. An open circuit is probed when nothing else is left.
 * @module
 */
import type { Config } from "../config/schema.ts";
import { logger } from "../observability/log.ts";
import { maskKnownSecretsInBytes } from "../observability/secrets.ts";
import type { UsageBook } from "../observability/usage.ts";
import type { Account } from "../pool/account.ts";
import { cooldownUntil } from "../pool/rate_limit_reset.ts";
import type { WireProtocol } from "../protocol/wire.ts";
import type { SignatureBook } from "../translate/thinking_hygiene.ts";
import { anthropicWire } from "../upstream/anthropic_wire.ts";
import { openAIWire } from "../upstream/openai_wire.ts";
import { responseHeaderList } from "../providers/shared/headers.ts";
import { readAll, relay } from "../upstream/relay.ts";
import { UpstreamFailure } from "../upstream/fetch_upstream.ts";
import { errorMessageOf, type Verdict, verdictFor } from "../upstream/outcome.ts";
import { InvalidRequestBody, type MessagesCall } from "./call.ts";
import { failedKey, lastResort, soonestReset } from "./availability.ts";
import { exhausted, type Failure } from "./exhausted.ts";
import { recordUsage, type RequestRecord, writeRecord } from "./request_record.ts";
import type { Chain, Router, Target } from "./router.ts";

/** What the loop needs from the running gateway (one config generation). */
export interface DispatchContext {
  /** Current config. */
  config: Config;
  /** Current router. */
  router: Router;
  /** Usage counters. */
  usage: UsageBook;
  /** Thinking-signature provenance. */
  signatures: SignatureBook;
}

type AttemptResult = { response: Response } | { failure: Failure };

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

/** The client left before an answer: nothing to send, but the request still gets its line. */
function clientGone(record: RequestRecord, call: MessagesCall): Response {
  record.status = 499;
  record.error = "client disconnected";
  writeRecord(record, call.startedAt);
  return new Response(null, { status: 499 });
}

/** The wire protocol object for a call. */
export function wireOf(call: MessagesCall): WireProtocol {
  return call.protocol === "openai" ? openAIWire : anthropicWire;
}

/** The door and endpoint a call came in by, for its log line. */
function routeOf(call: MessagesCall): string {
  const endpoint = call.protocol === "openai" ? "chat_completions" : call.endpoint;
  return call.profile ? `/p/${call.profile}/${endpoint}` : endpoint;
}

/** Serves one call through the chains of its plan. */
export async function dispatch(call: MessagesCall, ctx: DispatchContext): Promise<Response> {
  const record: RequestRecord = {
    id: call.id,
    route: routeOf(call),
    model: call.model,
    stream: call.stream,
    attempts: 0,
  };
  const plan = ctx.router.plan(call.model, call.profile);
  if (!plan.ok) {
    record.status = plan.status;
    record.error = plan.message;
    writeRecord(record, call.startedAt);
    return wireOf(call).errorResponse(plan.status, plan.message, { requestId: call.id });
  }
  const { failover } = ctx.config;
  const waitUntil = Date.now() + failover.maxWaitMs;
  let last: Failure | undefined;

  if (call.pinnedAccount && !findPinned(plan.chains, call.pinnedAccount)) {
    record.status = 400;
    record.error = "unknown pinned account";
    writeRecord(record, call.startedAt);
    return wireOf(call).errorResponse(
      400,
      `X-Account-Name "${call.pinnedAccount}" names no account that serves model "${call.model}"`,
      {
        requestId: call.id,
      },
    );
  }

  // Accounts that failed this call other than by a rate limit (5xx, 529, timeout, a rejected
  // credential) are not asked again within it, per model: retrying a server error is the
  // client's to do, with its own backoff. Only rate-limit resets are waited for.
  const failed = new Set<string>();
  let probed = false;
  const run = async (target: Target, account: Account): Promise<Response | undefined> => {
    record.attempts++;
    const result = await attempt(call, target, account, ctx, record);
    if ("response" in result) return result.response;
    last = result.failure;
    if (last.verdict !== "rate_limited") failed.add(failedKey(account, target));
    (record.failovers ??= []).push(`${account.id}:${last.status ?? last.verdict}`);
    return undefined;
  };

  while (true) {
    const tried = new Set<string>();
    const attemptsBefore = record.attempts;
    for (const chain of plan.chains) {
      for (const target of chain.targets) {
        if (!target.provider.supports(call.endpoint)) continue;
        // Order once per target, so a failover takes the next account in the strategy's order.
        for (const account of candidates(call, target)) {
          if (record.attempts >= failover.maxAttempts) break;
          if (
            tried.has(account.id) || (failed.size > 0 && failed.has(failedKey(account, target))) ||
            account.unavailable(target.model, Date.now())
          ) continue;
          tried.add(account.id);
          const response = await run(target, account);
          if (response) return response;
          if (call.signal.aborted) return clientGone(record, call);
        }
      }
    }
    if (call.signal.aborted) return clientGone(record, call);
    // An open circuit steers traffic away from a failing account; it never refuses a call that
    // nothing else could serve. Once per call, the account whose circuit opened first is
    // probed early.
    if (!probed && record.attempts < failover.maxAttempts) {
      const probe = lastResort(plan.chains, call, failed, Date.now());
      if (probe) {
        probed = true;
        const response = await run(probe.target, probe.account);
        if (response) return response;
        if (call.signal.aborted) return clientGone(record, call);
      }
    }
    const now = Date.now();
    const soonest = soonestReset(plan.chains, call, failed, now);
    const stalled = record.attempts === attemptsBefore && soonest !== undefined && soonest <= now;
    if (
      !stalled && soonest !== undefined && soonest <= waitUntil &&
      record.attempts < failover.maxAttempts
    ) {
      // Every account is cooling down but one comes back soon: wait rather than fail.
      const wait = Math.max(soonest - now, 50);
      record.waited_ms = (record.waited_ms ?? 0) + wait;
      await sleep(wait, call.signal);
      if (call.signal.aborted) return clientGone(record, call);
      continue;
    }
    return exhausted(call, wireOf(call), plan.chains, last, soonest, record);
  }
}

function findPinned(chains: Chain[], name: string): boolean {
  return chains.some((c) => c.targets.some((t) => t.provider.pool.get(name)));
}

function candidates(call: MessagesCall, target: Target): readonly Account[] {
  const pool = target.provider.pool;
  if (call.pinnedAccount) {
    const account = pool.get(call.pinnedAccount);
    return account ? [account] : [];
  }
  // The call is the pick context: a strategy that never asks for the session id never reads it.
  return pool.candidates(target.model, call, Date.now()).ready;
}

async function attempt(
  call: MessagesCall,
  target: Target,
  account: Account,
  ctx: DispatchContext,
  record: RequestRecord,
): Promise<AttemptResult> {
  const provider = target.provider;
  const end = account.begin(Date.now());
  record.provider = provider.name;
  record.account = account.name;
  record.upstream_model = target.model;
  let up;
  try {
    up = await provider.send({ call, account, model: target.model });
  } catch (error) {
    end();
    if (error instanceof InvalidRequestBody) {
      record.status = 400;
      record.error = error.message;
      writeRecord(record, call.startedAt);
      return { response: wireOf(call).errorResponse(400, error.message, { requestId: call.id }) };
    }
    const failure = error instanceof UpstreamFailure
      ? error
      : new UpstreamFailure("network", String(error));
    if (failure.kind === "aborted") return { response: clientGone(record, call) };
    account.failed(Date.now());
    logger.debug("upstream attempt failed", {
      id: call.id,
      provider: provider.name,
      account: account.name,
      error: failure.message,
    });
    const message = failure.kind === "invalid"
      ? failure.message
      : `${failure.kind}: ${failure.message}`;
    return { failure: { verdict: "server_error", message } };
  }
  const status = up.response.status;
  record.upstream_status = status;
  provider.observe?.(account, up.response.headers);
  const verdict = verdictFor(status);
  if (verdict === "ok") {
    const family = provider.signatureFamily;
    const result = await relay(up, {
      wire: wireOf(call),
      onSignature: family && call.protocol === "anthropic"
        ? (sig) => ctx.signatures.note(sig, family)
        : undefined,
      readMs: ctx.config.timeouts.readMs,
      startedAt: call.startedAt,
      requestId: call.id,
      headers: {
        "x-ccgate-provider": provider.name,
        "x-ccgate-account": account.name,
        "x-ccgate-request-id": call.id,
      },
      onFinish: (r) => {
        end();
        record.status = status;
        recordUsage(record, r.usage);
        if (r.ttfbMs !== undefined) record.ttfb_ms = Math.round(r.ttfbMs * 10) / 10;
        if (r.error) record.error = r.error;
        ctx.usage.record(account.id, r.usage, !!r.error && !r.cancelled);
        writeRecord(record, call.startedAt);
      },
    });
    if ("response" in result) {
      account.succeeded();
      provider.pool.bind(call, account, Date.now());
      return result;
    }
    end();
    if (call.signal.aborted) return { response: clientGone(record, call) };
    applyVerdict(
      account,
      target,
      result.failure.verdict,
      new Headers(),
      ctx,
      result.failure.message,
    );
    return {
      failure: { verdict: result.failure.verdict, message: result.failure.message, status },
    };
  }

  let body: Uint8Array<ArrayBuffer>;
  try {
    body = await readAll(up, ctx.config.timeouts.readMs);
  } catch (error) {
    body = new TextEncoder().encode(
      `{"type":"error","error":{"type":"api_error","message":"${
        String(error).replace(/"/g, "'")
      }"}}`,
    );
  } finally {
    end();
  }
  const message = errorMessageOf(new TextDecoder().decode(body));
  if (verdict === "client_error") {
    record.status = status;
    record.error = message;
    writeRecord(record, call.startedAt);
    const headers = responseHeaderList(up.response.headers, {
      "x-ccgate-provider": provider.name,
      "x-ccgate-account": account.name,
    });
    // The upstream's own answer, passed on; a credential it repeats is masked.
    return { response: new Response(maskKnownSecretsInBytes(body), { status, headers }) };
  }
  applyVerdict(account, target, verdict, up.response.headers, ctx, `${status} ${message}`);
  return { failure: { verdict, message, status, body, headers: up.response.headers } };
}

function applyVerdict(
  account: Account,
  target: Target,
  verdict: Verdict,
  headers: Headers,
  ctx: DispatchContext,
  message: string,
): void {
  const now = Date.now();
  switch (verdict) {
    case "rate_limited": {
      const { until, announced } = cooldownUntil(headers, now, {
        defaultMs: ctx.config.failover.defaultCooldownMs,
        maxMs: ctx.config.failover.maxCooldownMs,
      });
      const seconds = Math.ceil((until - now) / 1000);
      account.rateLimited(
        target.model,
        until,
        `429 ${announced ? "reset announced" : "default cooldown"} ${seconds}s`,
      );
      logger.info("account rate limited", {
        account: account.id,
        model: target.model,
        cooldown_s: seconds,
      });
      return;
    }
    case "auth_error":
      account.authFailed(message);
      logger.warn("account credential rejected", { account: account.id, reason: message });
      return;
    case "server_error":
      account.failed(now);
      return;
  }
}
