import { createHash, randomBytes } from 'node:crypto';

/**
 * A person's sign-in secret: 32 random bytes, so guessing one is hopeless and a fast hash is
 * enough to store it (a slow password hash protects guessable secrets; this is not one).
 */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** The shape newSecret makes; anything else is not looked up at all. */
export function looksLikeSecret(s: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(s);
}
