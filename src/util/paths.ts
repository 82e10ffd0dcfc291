/**
 * Per-user locations for the gateway's data (KV file, key files).
 * @module
 */

/** The user's home directory, if known. */
export function homeDir(): string | undefined {
  return Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE") ?? undefined;
}

/** The per-user data directory: XDG on Linux, Application Support on macOS, APPDATA on Windows. */
export function dataDir(): string {
  const override = Deno.env.get("CCGATE_DATA_DIR");
  if (override) return override;
  const home = homeDir() ?? ".";
  switch (Deno.build.os) {
    case "darwin":
      return `${home}/Library/Application Support/ccgate`;
    case "windows":
      return `${Deno.env.get("APPDATA") ?? home}\\ccgate`;
    default:
      return `${Deno.env.get("XDG_DATA_HOME") ?? `${home}/.local/share`}/ccgate`;
  }
}
