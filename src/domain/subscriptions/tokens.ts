import { createHmac } from 'node:crypto';
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
  return createHmac('sha256', secret).update(`${purpose}:${id}`).digest('base64url');
}

export function tokenDigest(secret: Buffer, purpose: TokenPurpose, id: string): string {
  return hashToken(deriveToken(secret, purpose, id));
}

/** A presented token, checked for shape before it is hashed and looked up. */
export function wellFormedToken(token: string | undefined | null): token is string {
  return typeof token === 'string' && /^[A-Za-z0-9_-]{43}$/.test(token);
}
