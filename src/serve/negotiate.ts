import type { Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { ENCODINGS, siblingsOf } from '../publish/write.ts';

/** A content coding the site is published in (`identity`: the plain file). */
export type Encoding = 'br' | 'gzip' | 'identity';

/** On equal weight, the smaller file wins. */
const PREFERENCE: Encoding[] = ['br', 'gzip', 'identity'];

/**
 * The codings an `Accept-Encoding` header accepts, best first (by the client's weight, then br
 * before gzip before identity), always ending with identity: without the header, or with nothing
 * acceptable, the plain file, which every client can read (a 406 would leave a status page unread).
 */
export function acceptedEncodings(header: string | undefined): Encoding[] {
  if (!header) return ['identity'];
  const weights = new Map<string, number>();
  for (const part of header.split(',')) {
    const [token, ...params] = part.trim().toLowerCase().split(';');
    if (!token) continue;
    let q = 1;
    for (const param of params) {
      const [key, value] = param.trim().split('=');
      if (key === 'q' && value !== undefined) {
        const parsed = Number(value);
        q = Number.isFinite(parsed) ? Math.min(1, Math.max(0, parsed)) : 0;
      }
    }
    weights.set(token === 'x-gzip' ? 'gzip' : token, q);
  }
  const any = weights.get('*');
  // Unnamed, identity is only the fallback: `br;q=0.5, gzip;q=0.8` gets gzip, not the plain file.
  const weightOf = (coding: Encoding): number => weights.get(coding) ?? any ?? 0;
  const accepted = PREFERENCE.filter((coding) => weightOf(coding) > 0).sort(
    (a, b) => weightOf(b) - weightOf(a),
  );
  return accepted.includes('identity') ? accepted : [...accepted, 'identity'];
}

/**
 * Whether a conditional GET may be answered 304: `If-None-Match` (weak comparison) when present,
 * otherwise `If-Modified-Since` at the one-second precision of HTTP dates.
 */
export function notModified(
  request: { ifNoneMatch?: string; ifModifiedSince?: string },
  etag: string,
  mtimeMs: number,
): boolean {
  if (request.ifNoneMatch !== undefined) {
    const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
    return request.ifNoneMatch
      .split(',')
      .some((tag) => tag.trim() === '*' || opaque(tag) === opaque(etag));
  }
  if (request.ifModifiedSince !== undefined) {
    const since = Date.parse(request.ifModifiedSince);
    return Number.isFinite(since) && Math.floor(mtimeMs / 1000) * 1000 <= since;
  }
  return false;
}

/**
 * The best compressed sibling of `file` the client accepts (`<file>.br`, `<file>.gz`), opened,
 * or null for the plain file. A sibling whose modification time is not the plain file's belongs
 * to another version (the publisher is between renames) and is skipped.
 */
export async function pickVariant(
  file: string,
  plain: Stats,
  acceptEncoding: string | undefined,
): Promise<{ handle: FileHandle; size: number; encoding: Encoding } | null> {
  if (siblingsOf(file).length === 0) return null;
  for (const encoding of acceptedEncodings(acceptEncoding)) {
    const suffix = ENCODINGS.find((e) => e.name === encoding)?.suffix;
    if (!suffix) return null;
    const handle = await open(`${file}${suffix}`, 'r').catch(() => null);
    if (!handle) continue;
    const stats = await handle.stat().catch(() => null);
    if (stats?.isFile() && stats.mtimeMs === plain.mtimeMs)
      return { handle, size: stats.size, encoding };
    await handle.close();
  }
  return null;
}
