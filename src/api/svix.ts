import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a webhook's timestamp may be from our clock (Svix's own default). */
export const SVIX_TOLERANCE_SECONDS = 5 * 60;

/**
 * Verifies a webhook signed with the Svix scheme, which Resend uses: the secret is
 * `whsec_<base64 key>`, the signed content `<svix-id>.<svix-timestamp>.<raw body>`, and
 * `svix-signature` a space-separated list of `v1,<base64 HMAC-SHA256>` (several during a secret
 * rotation). Returns why it failed, or null when it is genuine and fresh.
 */
export function svixProblem(
  secret: string,
  headers: { id: string | undefined; timestamp: string | undefined; signature: string | undefined },
  body: Uint8Array,
  now: Date,
): string | null {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) return 'missing svix-id, svix-timestamp or svix-signature';
  if (!/^\d{1,12}$/.test(timestamp)) return 'svix-timestamp is not a number of seconds';
  const age = Math.abs(now.getTime() / 1000 - Number(timestamp));
  if (age > SVIX_TOLERANCE_SECONDS) return 'svix-timestamp is too old or in the future';
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
  for (const part of signature.split(' ')) {
    const [version, value] = part.split(',', 2);
    if (version !== 'v1' || !value) continue;
    const given = Buffer.from(value, 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return null;
  }
  return 'no valid signature';
}

/** Signs like Svix does (tests and the local stand-in use it). */
export function svixSign(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}
