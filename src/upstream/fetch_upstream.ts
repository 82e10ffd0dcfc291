/**
 * An upstream call (ccgate's HTTP/1.1 client, or `fetch` where that cannot serve) with a deadline for the response headers, cancelled when the client
 * goes away. The returned controller also cancels the body, which the relay uses for its
 * idle timeout.
 * @module
 */

import { armDeadline, type Deadline } from "./deadlines.ts";
import { http1Eligible, http1Fetch, type Http1Init } from "./http1/client.ts";

/** Why an upstream attempt failed before it produced a response. */
export class UpstreamFailure extends Error {
  /**
   * `timeout`, `network` (refused, reset, DNS), `aborted` (client gone) or `invalid` (an answer
   * that cannot be read, such as a 2xx whose JSON does not parse).
   */
  readonly kind: "timeout" | "network" | "aborted" | "invalid";
  /**
   * Creates a failure of the given class.
   * @param kind The failure class.
   */
  constructor(kind: UpstreamFailure["kind"], message: string) {
    super(message);
    this.name = "UpstreamFailure";
    this.kind = kind;
  }
}

/**
 * An upstream answer whose head has arrived: a `Response` from `fetch` (or made by translation)
 * or an answer of the HTTP/1.1 client, which has these parts of one.
 */
export type UpstreamAnswer = Pick<Response, "status" | "ok" | "headers" | "body" | "arrayBuffer">;

/** A started upstream request. */
export interface UpstreamResponse {
  /** The answer (headers arrived). */
  response: UpstreamAnswer;
  /**
   * The request's deadline, still armed after the headers: whoever reads the body moves or
   * cancels it (a JSON body is read within the same deadline; a stream becomes an idle timer).
   */
  deadline?: Deadline;
  /** Cancels the request and its body. */
  abort(reason: UpstreamFailure): void;
  /** The controller's signal (aborted when the body must stop). */
  signal: AbortSignal;
  /**
   * Detaches from the client's signal once the body has been read or given up: there is
   * nothing left to cancel, and the client's request should not keep this request's fetch
   * graph reachable for as long as it lives.
   */
  release(): void;
  /**
   * True when `response.body` is a byte stream (a `fetch` body), which can be read BYOB into one
   * reused buffer. Asking any other stream for a BYOB reader throws, and the throw costs more
   * than the read.
   */
  byteStream?: boolean;
}

/** Sends `request`, failing with {@link UpstreamFailure} on timeout, network error or client abort. */
export async function fetchUpstream(
  url: string,
  init: RequestInit,
  options: { clientSignal: AbortSignal; headersTimeoutMs: number },
): Promise<UpstreamResponse> {
  const controller = new AbortController();
  const abort = (reason: UpstreamFailure) => {
    if (!controller.signal.aborted) controller.abort(reason);
  };
  const onClientAbort = () => abort(new UpstreamFailure("aborted", "client disconnected"));
  if (options.clientSignal.aborted) onClientAbort();
  options.clientSignal.addEventListener("abort", onClientAbort, { once: true });
  const deadline = armDeadline(
    options.headersTimeoutMs,
    () =>
      abort(new UpstreamFailure("timeout", `no response within ${options.headersTimeoutMs} ms`)),
  );
  const release = () => options.clientSignal.removeEventListener("abort", onClientAbort);
  try {
    const viaFetch = !http1Eligible(url, init.body);
    const response = viaFetch
      ? await fetch(url, { ...init, signal: controller.signal, redirect: "manual" })
      : await http1Fetch(url, { ...init as Http1Init, signal: controller.signal });
    return { response, abort, signal: controller.signal, deadline, release, byteStream: viaFetch };
  } catch (error) {
    deadline.cancel();
    release();
    const reason = controller.signal.reason;
    if (reason instanceof UpstreamFailure) throw reason;
    throw new UpstreamFailure("network", (error as Error).message ?? String(error));
  }
}
