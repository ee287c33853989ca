import { MIN_MASTER_SECRET_BYTES } from './pseudonymiser';

/**
 * The shortest privacy key accepted: the pseudonymiser's master secret, 32 bytes (256 bits).
 * Public so that a team writing into a shared store reads the same key text the same way.
 */
export const MIN_PRIVACY_KEY_BYTES = MIN_MASTER_SECRET_BYTES;

const HEX_PATTERN = /^(?:[0-9a-fA-F]{2})+$/;
const BASE64_PATTERN = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * Decodes a privacy key written as hex (64+ characters) or base64 (standard or
 * URL-safe, 44+ characters) into the pseudonymiser's `masterSecret`. Text that is
 * valid hex is read as hex; surrounding white space (a file's last newline) is
 * ignored. Throws an Error that never quotes the key.
 */
export function decodePrivacyKey(text: string): Buffer {
  const trimmed = text.trim();
  let key: Buffer | undefined;
  if (HEX_PATTERN.test(trimmed)) {
    key = Buffer.from(trimmed, 'hex');
  } else if (BASE64_PATTERN.test(trimmed)) {
    key = Buffer.from(trimmed, 'base64');
  }
  if (key === undefined || key.length < MIN_PRIVACY_KEY_BYTES) {
    throw new Error(
      `the key must be at least ${MIN_PRIVACY_KEY_BYTES} random bytes written as hex (64 characters) or base64 (44 characters)`,
    );
  }
  return key;
}

/** For a config option's `check`: the reason a key is unusable, or undefined. */
export function privacyKeyProblem(text: string): string | undefined {
  try {
    decodePrivacyKey(text);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
