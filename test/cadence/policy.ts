import { join } from 'node:path';
import { loadContent, type Content, type Policy } from '../../src/config/content.ts';
import { REPO_ROOT } from '../support/harness.ts';

export const FAST_CONTENT_DIR = join(REPO_ROOT, 'test/fixtures/content-fast');
/** SPEC §2's defaults (SEV1 15m, SEV2 30m, …), frozen in a fixture: content/ is for operators to edit. */
export const DEFAULT_CONTENT_DIR = join(REPO_ROOT, 'test/fixtures/content-default');

export async function defaultPolicy(): Promise<Policy> {
  return (await loadContent(DEFAULT_CONTENT_DIR)).policy;
}

export async function fastContent(): Promise<Content> {
  return loadContent(FAST_CONTENT_DIR);
}

/** An update posted at `at`, shown at `displayAt` (back-dated when earlier). */
export function update(
  at: string,
  status: 'investigating' | 'identified' | 'monitoring' | 'resolved' = 'investigating',
  displayAt = at,
) {
  return { created_at: at, display_at: displayAt, status };
}
