import { createHmac, randomBytes } from 'node:crypto';
import { hashToken } from '../../storage/keys.ts';

/** The token in a webhook's `meta.unsubscribe` link: derived from the server secret, stored as a digest. */
export function unsubscribeToken(secret: Buffer, webhookId: string): string {
  return createHmac('sha256', secret)
    .update(`webhook-unsubscribe:${webhookId}`)
    .digest('base64url');
}

export function unsubscribeDigest(secret: Buffer, webhookId: string): string {
  return hashToken(unsubscribeToken(secret, webhookId));
}

/** A one-time verification code: 256 random bits; only its digest is stored. */
export function newChallengeCode(): string {
  return randomBytes(32).toString('base64url');
}

export function wellFormedCode(code: unknown): code is string {
  return typeof code === 'string' && /^[A-Za-z0-9_-]{43}$/.test(code);
}

/** How long a verification code stays valid. */
export const CHALLENGE_TTL_MS = 48 * 60 * 60 * 1000;
