// Another instance on the same database changes incidents without telling this publisher: its
// poll must find those changes and publish them, including withdrawing an incident made private.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentContext } from '../../src/domain/incidents/context.ts';
import { declareIncident } from '../../src/domain/incidents/declare.ts';
import { editIncident } from '../../src/domain/incidents/edit.ts';
import { createMaintenance } from '../../src/domain/maintenances/actions.ts';
import { advanceMaintenances } from '../../src/domain/maintenances/advance.ts';
import { createSiteHarness, type SiteHarness } from './site-support.ts';

let h: SiteHarness;
let otherInstance: IncidentContext;
const actor = { id: 'other-instance-key', name: 'Other instance' };

beforeAll(async () => {
  h = await createSiteHarness({ publisher: { pollMs: 50 } });
  // The same database and content, but changes are announced to nobody in this process.
  otherInstance = { db: h.db, content: h.content, now: h.clock.now, onChange: () => undefined };
});
afterAll(() => h?.close());

async function siteMentions(text: string): Promise<boolean> {
  return (await h.files()).some((f) => f.text.includes(text));
}

describe('changes made by another instance', () => {
  it('reach the site through the poll, and an incident made private is withdrawn everywhere', async () => {
    const title = 'Declared-elsewhere-7f3a9c';
    h.clock.advance(1000);
    const incident = await declareIncident(otherInstance, actor, {
      title,
      severity: 'SEV4',
      message: 'Posted through another server.',
      components: [{ id: 'api', status: 'degraded_performance' }],
    });
    await expect.poll(() => siteMentions(title), { timeout: 10_000, interval: 50 }).toBe(true);
    // The incident's own page is written first; the rest of that publish follows.
    await h.publisher.idle();
    expect(await h.read(`incidents/${incident.id}/index.html`)).toContain(title);
    expect(await h.read('history.rss')).toContain(title);

    h.clock.advance(1000);
    await editIncident(otherInstance, actor, incident.id, { visibility: 'private' }, null);
    await expect
      .poll(async () => (await siteMentions(title)) || (await siteMentions(incident.id)), {
        timeout: 10_000,
        interval: 50,
      })
      .toBe(false);
  });
});

describe('maintenance changed by another instance', () => {
  it('reaches the index, its page, the JSON and the calendars through the poll, and its start puts the component under maintenance', async () => {
    const ctx = { ...otherInstance, onChange: () => undefined };
    const title = 'Maintained-elsewhere-51bd0e';
    const m = await createMaintenance(ctx, actor, {
      title,
      message: 'Planned through another server.',
      components: ['database'],
      scheduled_for: new Date(h.clock.now().getTime() + 3_600_000).toISOString(),
      scheduled_until: new Date(h.clock.now().getTime() + 7_200_000).toISOString(),
      notify: { scheduled: true, reminder: true, started: true, completed: true },
      auto_start: true,
      auto_complete: true,
    });
    await expect
      .poll(async () => (await h.read('index.html')).includes(title), {
        timeout: 10_000,
        interval: 50,
      })
      .toBe(true);
    await h.publisher.idle();
    expect(await h.read(`maintenances/${m.id}/index.html`)).toContain(title);
    expect(await h.read('maintenance.ics')).toContain(
      `UID:maintenance-${m.id}@status.example.test`,
    );
    expect(await h.read('components/database/maintenance.ics')).toContain(title);
    expect(await h.read('components/database/history.rss')).toContain(title);
    const upcoming = JSON.parse(await h.read('api/v2/scheduled-maintenances/upcoming.json'));
    expect(upcoming.scheduled_maintenances.map((x: { id: string }) => x.id)).toEqual([m.id]);

    h.clock.advance(3_600_000);
    const { done } = await advanceMaintenances(ctx);
    expect(done.map((d) => d.action)).toEqual(['start']);
    await expect
      .poll(
        async () =>
          JSON.parse(await h.read('api/v2/components.json')).components.find(
            (c: { id: string }) => c.id === 'database',
          ).status,
        { timeout: 10_000, interval: 50 },
      )
      .toBe('under_maintenance');
    await h.publisher.idle();
    const active = JSON.parse(await h.read('api/v2/scheduled-maintenances/active.json'));
    expect(active.scheduled_maintenances[0]).toMatchObject({ id: m.id, status: 'in_progress' });
    expect(await h.read('index.html')).toMatch(/<h2 id="maintenance">Maintenance<\/h2>/);
  });
});
