import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import {
  checkTarget,
  checkUrlShape,
  hostOf,
  type Cidr,
} from '../domain/webhooks/address-policy.ts';

/** Every address a name resolves to (the system resolver in production; a table in tests). */
export type Resolver = (host: string) => Promise<Array<{ address: string; family: number }>>;

export const systemResolver: Resolver = (host) => lookup(host, { all: true, verbatim: true });

export type Target =
  { ok: true; url: URL; address: string; family: 4 | 6 } | { ok: false; reason: string };

/**
 * Resolves a webhook URL's host and checks the addresses: the one returned is the one to connect
 * to (the transport pins it), so a name that changes its answer between check and connect
 * cannot slip through. An IP literal is checked as it is, without asking a resolver.
 */
export async function resolveTarget(
  text: string,
  allow: Cidr[],
  resolver: Resolver,
): Promise<Target> {
  const shape = checkUrlShape(text);
  if (!shape.ok) return shape;
  const host = hostOf(shape.url);
  let addresses: Array<{ address: string; family: number }>;
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await resolver(host);
    } catch (error) {
      return {
        ok: false,
        reason: `${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      };
    }
  }
  const verdict = checkTarget(shape.url, addresses, allow);
  return verdict.ok ? { ...verdict, url: shape.url } : verdict;
}
