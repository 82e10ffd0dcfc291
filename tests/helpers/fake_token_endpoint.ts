/**
 * A fake Claude OAuth token endpoint on 127.0.0.1 that behaves like the real one: JSON bodies,
 * rotating single-use refresh tokens (a reused one gets `invalid_grant`), optional delay.
 * @module
 */

/** A running fake token endpoint. */
export class FakeTokenEndpoint {
  readonly url: string;
  /** Refresh requests received. */
  refreshCalls = 0;
  /** Code exchanges received. */
  exchangeCalls = 0;
  /** Refresh tokens that may still be used once. */
  readonly valid = new Set<string>();
  /** Every access token issued, for "never logged" checks. */
  readonly issued: string[] = [];
  /** Delay before answering a refresh (ms), to widen race windows. */
  delayMs = 0;
  /** Lifetime of issued access tokens (s). */
  expiresIn = 28800;
  readonly #server: Deno.HttpServer;
  #n = 0;

  private constructor(server: Deno.HttpServer, url: string) {
    this.#server = server;
    this.url = url;
  }

  /** Starts it. */
  static start(): Promise<FakeTokenEndpoint> {
    return new Promise((resolve) => {
      let fake!: FakeTokenEndpoint;
      const server = Deno.serve({
        hostname: "127.0.0.1",
        port: 0,
        onListen: ({ port }) =>
          queueMicrotask(() => {
            fake = new FakeTokenEndpoint(server, `http://127.0.0.1:${port}/v1/oauth/token`);
            resolve(fake);
          }),
      }, (req) => fake.#handle(req));
    });
  }

  /** A fresh refresh token the endpoint will accept once. */
  mintRefreshToken(): string {
    const token = `sk-ant-ort01-${crypto.randomUUID().replaceAll("-", "")}`;
    this.valid.add(token);
    return token;
  }

  async #handle(req: Request): Promise<Response> {
    const body = await req.json().catch(() => ({}));
    if (body.grant_type === "refresh_token") {
      this.refreshCalls++;
      if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
      if (!this.valid.delete(body.refresh_token)) {
        return Response.json({
          error: "invalid_grant",
          error_description: "Refresh token not found or invalid",
        }, {
          status: 400,
        });
      }
    } else if (body.grant_type === "authorization_code") {
      this.exchangeCalls++;
    } else {
      return Response.json({ error: "unsupported_grant_type" }, { status: 400 });
    }
    const access = `sk-ant-oat01-fresh-${++this.#n}-${crypto.randomUUID().slice(0, 8)}`;
    this.issued.push(access);
    return Response.json({
      token_type: "Bearer",
      access_token: access,
      refresh_token: this.mintRefreshToken(),
      expires_in: this.expiresIn,
      scope: "user:inference user:profile",
      account: { uuid: "acc-1", email_address: "dev@example.com" },
      organization: { uuid: "org-1", name: "Example" },
    });
  }

  /** Stops it. */
  async close(): Promise<void> {
    await this.#server.shutdown();
  }
}
