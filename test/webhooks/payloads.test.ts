import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadContent } from '../../src/config/content.ts';
import { readSettings } from '../../src/config/env.ts';
import type { SiteSnapshot } from '../../src/publish/snapshot.ts';
import { maintenanceEvent, verificationEvent } from '../../src/webhooks/payloads.ts';
import { REPO_ROOT } from '../support/harness.ts';
import { MAINTENANCE_FIELDS } from '../support/statuspage-fields.ts';

async function snapshot(): Promise<SiteSnapshot> {
  const content = await loadContent(join(REPO_ROOT, 'content'));
  return {
    site: content.site,
    siteUrl: 'https://status.example.test',
    catalog: content.catalog,
    policy: content.policy,
    incidents: [],
    componentStatus: new Map([
      ['database', { status: 'under_maintenance', updated_at: '2026-11-23T09:00:00.000Z' }],
    ]),
    now: new Date('2026-11-23T10:00:00.000Z'),
  };
}

describe('event payloads', () => {
  it('write a maintenance event in Statuspage’s scheduled_maintenances layout', async () => {
    const event = maintenanceEvent(await snapshot(), 'evt1', {
      id: 'mnt1',
      title: 'Database upgrade',
      status: 'in_progress',
      impact: 'maintenance',
      components: ['database', 'storage'],
      scheduled_for: '2026-11-23T09:00:00.000Z',
      scheduled_until: '2026-11-23T11:00:00.000Z',
      created_at: '2026-11-20T09:00:00.000Z',
      updated_at: '2026-11-23T09:00:00.000Z',
      started_at: '2026-11-23T09:00:00.000Z',
      resolved_at: null,
      updates: [
        {
          id: 'u1',
          status: 'in_progress',
          message: 'The upgrade has started.',
          created_at: '2026-11-23T09:00:00.000Z',
          display_at: '2026-11-23T09:00:00.000Z',
        },
      ],
    });
    expect(event.type).toBe('maintenance.updated');
    expect(Object.keys(event.body).sort()).toEqual(['meta', 'page', 'scheduled_maintenance']);
    expect(event.body.page).toEqual({
      id: 'acme-cloud',
      status_indicator: 'maintenance',
      status_description: 'Service Under Maintenance',
    });
    const m = event.body.scheduled_maintenance as Record<string, unknown>;
    for (const field of MAINTENANCE_FIELDS) {
      expect(m, field).toHaveProperty(field);
    }
    expect((m.components as Array<{ id: string }>).map((c) => c.id)).toEqual([
      'database',
      'storage',
    ]);
    expect((m.incident_updates as Array<{ body: string }>)[0]!.body).toBe(
      'The upgrade has started.',
    );
    expect(event.chat).toMatchObject({
      status: 'Maintenance in progress',
      message: 'The upgrade has started.',
    });
  });

  it('write a verification event with the code and the confirm link', async () => {
    const event = verificationEvent(
      await snapshot(),
      'evt2',
      'c'.repeat(43),
      'https://api.example.test/confirm',
    );
    expect(event.body).toMatchObject({
      meta: { event_id: 'evt2', event_type: 'verification' },
      verification: { code: 'c'.repeat(43), confirm_url: 'https://api.example.test/confirm' },
    });
    expect(event.chat.url).toBe('https://api.example.test/confirm');
  });
});

describe('webhook settings', () => {
  it('read HERALD_WEBHOOK_ALLOW and name it when a range is malformed', () => {
    expect(readSettings({}).webhooks).toMatchObject({
      allow: [],
      timeoutMs: 10_000,
      backoffBaseMs: 10_000,
    });
    expect(
      readSettings({ HERALD_WEBHOOK_ALLOW: '127.0.0.1/32' }).webhooks.allow.map((c) => c.text),
    ).toEqual(['127.0.0.1/32']);
    expect(() => readSettings({ HERALD_WEBHOOK_ALLOW: '10.0.0.0/33' })).toThrow(
      /HERALD_WEBHOOK_ALLOW/,
    );
  });
});
