import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadContent } from '../../src/config/content.ts';
import { REPO_ROOT } from '../support/harness.ts';

/** The fixture content with `extra` appended to policy.yaml. */
async function policyWith(extra: string) {
  const dir = mkdtempSync(join(tmpdir(), 'herald-content-'));
  try {
    cpSync(join(REPO_ROOT, 'test/fixtures/content-default'), dir, { recursive: true });
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n${extra}\n`);
    return (await loadContent(dir)).policy;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the executive digest and review settings of policy.yaml', () => {
  it('ships a daily digest at 08:00 and one every hour while a SEV1 or SEV2 is open', async () => {
    const { digest } = await loadContent(join(REPO_ROOT, 'content')).then((c) => c.policy);
    expect(digest).toEqual({
      dailyAtSeconds: 8 * 3600,
      whileSevereEverySeconds: 3600,
      severe: ['SEV1', 'SEV2'],
    });
  });

  it('reads a local time with seconds, and has no digest without the section', async () => {
    const policy = await policyWith('executive_digest:\n  daily_at: "17:30:15"\n  severe: [SEV1]');
    expect(policy.digest).toEqual({
      dailyAtSeconds: 17 * 3600 + 30 * 60 + 15,
      whileSevereEverySeconds: null,
      severe: ['SEV1'],
    });
    expect((await policyWith('')).digest).toBe(null);
  });

  it('refuses a time that is not one, naming the field', async () => {
    await expect(policyWith('executive_digest:\n  daily_at: "25:00"')).rejects.toThrow(ConfigError);
    await expect(policyWith('executive_digest:\n  daily_at: "8am"')).rejects.toThrow(
      /executive_digest\.daily_at: must be a local time like 08:00/,
    );
  });

  it('reminds of a review a quarter of its deadline ahead unless told otherwise', async () => {
    const policy = await policyWith('');
    expect(policy.severities.SEV1.reviewRemindBeforeSeconds).toBe(6 * 3600);
    expect(policy.severities.SEV2.reviewRemindBeforeSeconds).toBe(18 * 3600);
  });
});
