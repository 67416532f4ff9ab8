import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadContent } from '../../src/config/content.ts';
import { formatDuration, parseDuration } from '../../src/config/duration.ts';
import { readSettings, withSiteYamlUrl } from '../../src/config/env.ts';
import { REPO_ROOT } from '../support/harness.ts';

function contentCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'herald-content-'));
  cpSync(join(REPO_ROOT, 'content'), dir, { recursive: true });
  return dir;
}

describe('the shipped content', () => {
  it('is a realistic SaaS catalog of about ten components in three groups', async () => {
    const content = await loadContent(join(REPO_ROOT, 'content'));
    expect(content.catalog.groups).toHaveLength(3);
    expect(content.catalog.components.length).toBeGreaterThanOrEqual(9);
    expect(content.catalog.byId.get('checkout')?.groupId).toBe('payments');
  });

  it('carries the default policy of SPEC §2', async () => {
    const { policy } = await loadContent(join(REPO_ROOT, 'content'));
    const minutes = (s: number | null) => (s === null ? null : s / 60);
    expect(
      (['SEV1', 'SEV2', 'SEV3', 'SEV4', 'SEV5'] as const).map((s) =>
        minutes(policy.severities[s].updateIntervalSeconds),
      ),
    ).toEqual([15, 30, 60, 240, null]);
    expect(policy.severities.SEV1.executiveNotice).toEqual({ kind: 'immediate' });
    expect(policy.severities.SEV2.executiveNotice).toEqual({
      kind: 'if_unresolved_after',
      seconds: 1800,
    });
    expect(policy.severities.SEV3.executiveNotice).toEqual({
      kind: 'if_unresolved_after',
      seconds: 4 * 3600,
    });
    expect(policy.severities.SEV4.executiveNotice).toEqual({ kind: 'never' });
    expect(policy.severities.SEV1.reviewWithinSeconds).toBe(24 * 3600);
    expect(policy.severities.SEV2.reviewWithinSeconds).toBe(3 * 86400);
    expect(policy.severities.SEV5.reviewWithinSeconds).toBe(7 * 86400);
    expect(policy.severities.SEV1.impact).toBe('critical');
  });
});

describe('an invalid content file', () => {
  it('names the file, the field and the problem', async () => {
    const dir = contentCopy();
    writeFileSync(
      join(dir, 'policy.yaml'),
      (await import('node:fs'))
        .readFileSync(join(REPO_ROOT, 'content/policy.yaml'), 'utf8')
        .replace('update_interval: 15m', 'update_interval: soon'),
    );
    const error = await loadContent(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(join(dir, 'policy.yaml'));
    expect((error as Error).message).toContain('severities.SEV1.update_interval');
    expect((error as Error).message).toContain('duration');
  });

  it('refuses duplicate component ids', async () => {
    const dir = contentCopy();
    writeFileSync(
      join(dir, 'components.yaml'),
      'components:\n  - id: api\n    name: API\n  - id: api\n    name: Again\n',
    );
    const message = String(await loadContent(dir).catch((e: Error) => e.message));
    expect(message).toContain('components.yaml');
    expect(message).toContain('duplicate id "api"');
  });

  it('refuses unknown fields, naming them', async () => {
    const dir = contentCopy();
    writeFileSync(
      join(dir, 'components.yaml'),
      'components:\n  - id: api\n    name: API\n    colour: red\n',
    );
    const message = String(await loadContent(dir).catch((e: Error) => e.message));
    expect(message).toContain('components.0: Unrecognized key: "colour"');
  });

  it('says when a file is not YAML at all', async () => {
    const dir = contentCopy();
    writeFileSync(join(dir, 'site.yaml'), 'name: [unclosed');
    await expect(loadContent(dir)).rejects.toThrow(/site\.yaml is not valid YAML/);
  });
});

describe('durations', () => {
  it('parse the forms the policy file uses', () => {
    expect(parseDuration('30s')).toBe(30);
    expect(parseDuration('15m')).toBe(900);
    expect(parseDuration('4h')).toBe(14_400);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('3d')).toBe(259_200);
    expect(parseDuration('15')).toBeNull();
    expect(parseDuration('m15')).toBeNull();
    expect(formatDuration(900)).toBe('15m');
    expect(formatDuration(45)).toBe('45s');
  });
});

describe('settings from the environment', () => {
  it('default to the embedded database under ./data', () => {
    const settings = readSettings({});
    expect(settings.port).toBe(3000);
    expect(settings.host).toBe('127.0.0.1');
    expect(settings.siteUrl).toBe('http://127.0.0.1:3000');
    expect(settings.databaseUrl).toMatch(/^file:.*data\/herald\.db$/);
    expect(settings.tickMs).toBe(15_000);
  });

  it("take site.yaml's url as the public address when SITE_URL is not set", () => {
    expect(withSiteYamlUrl(readSettings({}), 'https://status.acme.example/').siteUrl).toBe(
      'https://status.acme.example',
    );
    expect(
      withSiteYamlUrl(
        readSettings({ SITE_URL: 'https://status.other.example' }),
        'https://x.example',
      ).siteUrl,
    ).toBe('https://status.other.example');
  });

  it('name the variable that is wrong', () => {
    expect(() => readSettings({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => readSettings({ HERALD_ADMIN_TOKEN: 'short' })).toThrow(
      /HERALD_ADMIN_TOKEN: must be at least 16/,
    );
    expect(() => readSettings({ DATABASE_URL: 'postgres://x' })).toThrow(/DATABASE_URL/);
  });

  it('pass libsql URLs and tokens through unchanged', () => {
    const settings = readSettings({
      DATABASE_URL: 'libsql://herald.example.turso.io',
      DATABASE_AUTH_TOKEN: 'tok',
    });
    expect(settings.databaseUrl).toBe('libsql://herald.example.turso.io');
    expect(settings.databaseAuthToken).toBe('tok');
  });
});
