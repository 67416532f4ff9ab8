import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { hashToken } from '../../storage/keys.ts';

/**
 * Subscription links carry tokens derived from a server secret: `manage` (also unsubscribes) per
 * subscriber, `confirm` per confirmation request. The database stores only their SHA-256, and a
 * queued email stores only the ids: the token is derived again when the email is sent, identical
 * on every retry (the provider's idempotency key covers the same body).
 */
export type TokenPurpose = 'manage' | 'confirm';

/** 256 bits, URL-safe: `HMAC-SHA256(secret, purpose:id)` in base64url. */
export function deriveToken(secret: Buffer, purpose: TokenPurpose, id: string): string {
  return createHmac('sha256', keyOf(secret)).update(`${purpose}:${id}`).digest('base64url');
}

// A Buffer key becomes a new KeyObject on every HMAC; a fan-out derives two tokens per message.
const keys = new WeakMap<Buffer, KeyObject>();
function keyOf(secret: Buffer): KeyObject {
  let key = keys.get(secret);
  if (!key) keys.set(secret, (key = createSecretKey(secret)));
  return key;
}

export function tokenDigest(secret: Buffer, purpose: TokenPurpose, id: string): string {
  return hashToken(deriveToken(secret, purpose, id));
}

/** A presented token, checked for shape before it is hashed and looked up. */
export function wellFormedToken(token: string | undefined | null): token is string {
  return typeof token === 'string' && /^[A-Za-z0-9_-]{43}$/.test(token);
}
