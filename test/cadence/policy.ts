import { join } from 'node:path';
import { loadContent, type Content, type Policy } from '../../src/config/content.ts';
import { REPO_ROOT } from '../support/harness.ts';

export const FAST_CONTENT_DIR = join(REPO_ROOT, 'test/fixtures/content-fast');

/** The repository's real policy (SEV1 15m, SEV2 30m, …) as the product ships it. */
export async function shippedPolicy(): Promise<Policy> {
  return (await loadContent(join(REPO_ROOT, 'content'))).policy;
}

export async function fastContent(): Promise<Content> {
  return loadContent(FAST_CONTENT_DIR);
}

/** An update accepted at `at`, shown at `displayAt` (back-dated when earlier). */
export function update(
  at: string,
  status: 'investigating' | 'identified' | 'monitoring' | 'resolved' = 'investigating',
  displayAt = at,
) {
  return { created_at: at, display_at: displayAt, status };
}
