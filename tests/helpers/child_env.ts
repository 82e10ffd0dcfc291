/**
 * A clean environment for CLI subprocesses that still finds Deno's module cache and the
 * machine's TLS settings (a changed HOME would otherwise move the cache and re-download).
 * @module
 */

const PASS_THROUGH = [
  "PATH",
  "DENO_DIR",
  "DENO_CERT",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "NODE_EXTRA_CA_CERTS",
  "HTTPS_PROXY",
  "HTTP_PROXY",
  "NO_PROXY",
  "https_proxy",
  "http_proxy",
  "no_proxy",
];

/** The environment for a child `deno run main.ts …` with `home` as its HOME. */
export function childEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {
    HOME: home,
    NO_COLOR: "1",
    CCGATE_DATA_DIR: `${home}/data`,
  };
  for (const key of PASS_THROUGH) {
    const value = Deno.env.get(key);
    if (value !== undefined) env[key] = value;
  }
  const parentHome = Deno.env.get("HOME");
  if (!env.DENO_DIR && parentHome) env.DENO_DIR = `${parentHome}/.cache/deno`;
  return { ...env, ...extra };
}
