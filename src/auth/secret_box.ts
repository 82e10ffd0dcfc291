/**
 * Encryption at rest for OAuth tokens (AES-256-GCM, WebCrypto). The key comes from
 * `CCGATE_SECRET` when set — so several hosts sharing a remote KV can read each other's
 * tokens — or from an owner-only key file created on first use.
 *
 * Sealed format: `v1.<base64url 12-byte IV>.<base64url ciphertext+16-byte tag>`; the version
 * prefix leaves room for a later key or algorithm change.
 * @module
 */
import { base64url, fromBase64url } from "./pkce.ts";

/** A value that cannot be opened (wrong key, tampered or not sealed) or a key that cannot be loaded. */
export class SecretBoxError extends Error {
  /** The message never contains the sealed data or the key. */
  constructor(message: string) {
    super(message);
    this.name = "SecretBoxError";
  }
}

/**
 * Key derivation from `CCGATE_SECRET`: PBKDF2-HMAC-SHA256, 600,000 iterations (OWASP 2023),
 * with this fixed application salt. A fixed salt is deliberate: every instance must derive the
 * same key from the same secret without shared storage; the iterations still make guessing a
 * weak passphrase expensive. Changing any of these makes existing sealed values unreadable.
 */
export const SECRET_KDF: Readonly<{
  name: "PBKDF2";
  hash: "SHA-256";
  iterations: 600000;
  salt: "ccgate/secret-box/v1";
}> = Object.freeze({
  name: "PBKDF2",
  hash: "SHA-256",
  iterations: 600_000,
  salt: "ccgate/secret-box/v1",
});

/** Secrets shorter than this still work but earn a warning. */
const MIN_SECRET_LENGTH = 16;
const PREFIX = "v1";
const SEALED = /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22,}$/;

/** True when `value` looks like the output of {@link SecretBox.seal} (format only, not the key). */
export function isSealed(value: unknown): value is string {
  return typeof value === "string" && SEALED.test(value);
}

/** Where a box's key came from. */
export type SecretBoxSource = "secret" | "key-file" | "new-key-file" | "raw";

/** Options for {@link SecretBox.fromEnvOrFile}. */
export interface SecretBoxOptions {
  /** `CCGATE_SECRET`; empty or undefined means "use the key file". */
  secret?: string;
  /** Raw 32-byte key file, e.g. `${dataDir()}/secret.key`. */
  keyFile: string;
}

/** Seals and opens strings with one AES-256-GCM key. */
export class SecretBox {
  /** Where the key came from (for a startup log line). */
  readonly source: SecretBoxSource;
  /** Something the operator should see (loose key-file permissions fixed, short secret). */
  readonly warning?: string;
  #key: CryptoKey;

  private constructor(key: CryptoKey, source: SecretBoxSource, warning?: string) {
    this.#key = key;
    this.source = source;
    this.warning = warning;
  }

  /**
   * The box for this process: derived from `secret` when given, else from `keyFile` (created
   * with 32 random bytes, mode 0600, directory 0700 when missing). An existing key file readable
   * by others is chmod-ed to 0600 and reported in {@link SecretBox.warning}.
   */
  static async fromEnvOrFile(options: SecretBoxOptions): Promise<SecretBox> {
    if (options.secret) return await SecretBox.fromSecret(options.secret);
    const { key, created, warning } = await loadOrCreateKeyFile(options.keyFile);
    return new SecretBox(await importKey(key), created ? "new-key-file" : "key-file", warning);
  }

  /** A box keyed by a passphrase via {@link SECRET_KDF}; the same secret always gives the same key. */
  static async fromSecret(secret: string): Promise<SecretBox> {
    if (!secret) throw new SecretBoxError("CCGATE_SECRET is empty");
    const material = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      "PBKDF2",
      false,
      ["deriveKey"],
    );
    const key = await crypto.subtle.deriveKey(
      {
        name: "PBKDF2",
        hash: SECRET_KDF.hash,
        iterations: SECRET_KDF.iterations,
        salt: new TextEncoder().encode(SECRET_KDF.salt),
      },
      material,
      { name: "AES-GCM", length: 256 },
      false,
      ["encrypt", "decrypt"],
    );
    const warning = secret.length < MIN_SECRET_LENGTH
      ? `CCGATE_SECRET is shorter than ${MIN_SECRET_LENGTH} characters; use a long random value`
      : undefined;
    return new SecretBox(key, "secret", warning);
  }

  /** A box for a raw 32-byte key (tests, or keys held elsewhere). */
  static async fromKey(raw: Uint8Array): Promise<SecretBox> {
    if (raw.length !== 32) throw new SecretBoxError("a key must be exactly 32 bytes");
    return new SecretBox(await importKey(raw), "raw");
  }

  /** Static alias of {@link isSealed}. */
  static isSealed(value: unknown): value is string {
    return isSealed(value);
  }

  /** Encrypts with a fresh random IV, so sealing the same text twice gives different output. */
  async seal(plaintext: string): Promise<string> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const cipher = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv },
      this.#key,
      new TextEncoder().encode(plaintext),
    );
    return `${PREFIX}.${base64url(iv)}.${base64url(new Uint8Array(cipher))}`;
  }

  /** Decrypts; throws {@link SecretBoxError} when the key is wrong or the value was modified. */
  async open(sealed: string): Promise<string> {
    if (!isSealed(sealed)) {
      throw new SecretBoxError("not a sealed value (expected v1.<iv>.<ciphertext>)");
    }
    const [, ivText, cipherText] = sealed.split(".");
    const iv = fromBase64url(ivText);
    const cipher = fromBase64url(cipherText);
    let plain: ArrayBuffer;
    try {
      plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv }, this.#key, cipher);
    } catch {
      // GCM cannot tell a wrong key from tampering: the tag simply fails to verify.
      throw new SecretBoxError(
        "cannot decrypt a sealed value: wrong key (CCGATE_SECRET or the key file changed?) " +
          "or the data was modified",
      );
    }
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(plain);
    } catch {
      throw new SecretBoxError("a sealed value decrypted to invalid UTF-8");
    }
  }
}

function importKey(raw: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", raw as BufferSource, "AES-GCM", false, [
    "encrypt",
    "decrypt",
  ]);
}

async function loadOrCreateKeyFile(
  path: string,
): Promise<{ key: Uint8Array; created: boolean; warning?: string }> {
  const existing = await readKeyFile(path);
  if (existing) return { ...existing, created: false };

  const key = crypto.getRandomValues(new Uint8Array(32));
  const temp = `${path}.${base64url(crypto.getRandomValues(new Uint8Array(6)))}.tmp`;
  try {
    const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
    if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true, mode: 0o700 });
    // Write a temp file, then hard-link it into place: the key file appears complete or not at
    // all, and when two processes race the loser reads the winner's key instead of replacing it.
    await Deno.writeFile(temp, key, { mode: 0o600, createNew: true });
    if (Deno.build.os !== "windows") await Deno.chmod(temp, 0o600);
    try {
      await Deno.link(temp, path);
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) throw error;
      // No hard links on this file system: exclusive create still never replaces a key.
      await Deno.writeFile(path, key, { mode: 0o600, createNew: true });
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) {
      throw new SecretBoxError(`cannot create key file ${path}: ${errorText(error)}`);
    }
    const raced = await readKeyFile(path);
    if (!raced) throw new SecretBoxError(`key file ${path} vanished while being created`);
    return { ...raced, created: false };
  } finally {
    await Deno.remove(temp).catch(() => {});
  }
  return { key, created: true };
}

/** Reads an existing key file (raw 32 bytes, or base64/base64url text of 32 bytes). */
async function readKeyFile(
  path: string,
): Promise<{ key: Uint8Array; warning?: string } | undefined> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new SecretBoxError(`cannot read key file ${path}: ${errorText(error)}`);
  }
  if (!info.isFile) throw new SecretBoxError(`key file ${path} is not a regular file`);

  let warning: string | undefined;
  if (info.mode !== null && (info.mode & 0o077) !== 0) {
    const was = (info.mode & 0o777).toString(8).padStart(4, "0");
    await Deno.chmod(path, 0o600);
    warning = `key file ${path} was accessible to other users (mode ${was}); changed to 0600`;
  }
  const bytes = await Deno.readFile(path);
  const key = bytes.length === 32 ? bytes : decodeTextKey(bytes);
  if (!key) {
    throw new SecretBoxError(
      `key file ${path} is not a key (expected 32 raw bytes, found ${bytes.length} bytes)`,
    );
  }
  return { key, warning };
}

/** Accepts a hand-written key file holding base64 or base64url text of 32 bytes. */
function decodeTextKey(bytes: Uint8Array): Uint8Array | undefined {
  const text = new TextDecoder().decode(bytes).trim().replace(/\+/g, "-").replace(/\//g, "_");
  try {
    const key = fromBase64url(text);
    return key.length === 32 ? key : undefined;
  } catch {
    return undefined;
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
