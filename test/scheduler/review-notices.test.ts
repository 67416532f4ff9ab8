import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadMailTemplates } from '../../src/mail/templates.ts';
import { sampleVariables } from '../../src/scheduler/messages.ts';
import { createScheduler, type Scheduler } from '../../src/scheduler/scheduler.ts';
import { listOutbox } from '../../src/storage/outbox.ts';
import { TestClock } from '../support/clock.ts';
import { createHarness, REPO_ROOT, sev1Body, type Harness } from '../support/harness.ts';

/**
 * The post-incident review's reminders go through the cadence notices (one row per notice, unique
 * key) and the outbox, on a real database, with the repository's policy: a SEV1's review is due
 * 24 h after resolution and the commander is reminded 6 h before.
 */
let h: Harness;
let clock: TestClock;
let scheduler: Scheduler;

beforeEach(async () => {
  clock = new TestClock('2026-11-23T10:00:00.000Z');
  h = await createHarness({ clock });
  const mail = await loadMailTemplates(
    join(REPO_ROOT, 'templates'),
    sampleVariables(h.content, 'https://status.example.test'),
  );
  scheduler = createScheduler({
    db: h.db,
    content: h.content,
    mail,
    siteUrl: 'https://status.example.test',
    now: clock.now,
    log: () => undefined,
    tickMs: 200,
  });
});
afterEach(async () => {
  await scheduler.stop?.();
  h.close();
});

const reviewMail = async () =>
  (await listOutbox((sql, args) => h.db.query(sql, args)))
    .filter((m) => m.kind.startsWith('cadence.review_'))
    .map((m) => ({ kind: m.kind, to: m.to, subject: m.subject, text: m.text }));

async function resolvedSev1(): Promise<string> {
  const res = await h.request('POST', '/v1/incidents', {
    body: sev1Body({
      roles: { commander: 'ada@acme.example', communications: 'grace@acme.example' },
    }),
  });
  const id = ((await res.json()) as { id: string }).id;
  clock.advance(60 * 60_000); // resolved at 11:00: review due 2026-11-24T11:00Z
  await h.request('POST', `/v1/incidents/${id}/updates`, {
    body: { status: 'resolved', message: 'Fixed.' },
  });
  return id;
}

async function tickAt(iso: string) {
  clock.set(iso);
  await scheduler.tick();
  await scheduler.tick();
  return reviewMail();
}

describe('post-incident review reminders', () => {
  it('remind the commander before the review is due and when it is overdue, exactly once each', async () => {
    await resolvedSev1();
    expect(await tickAt('2026-11-24T04:59:00.000Z')).toEqual([]);
    const reminded = await tickAt('2026-11-24T05:00:00.000Z');
    expect(reminded).toEqual([
      expect.objectContaining({
        kind: 'cadence.review_reminder',
        to: 'ada@acme.example',
        subject:
          '[SEV1] Post-incident review due by 2026-11-24 11:00 UTC: Checkout failing for card payments',
      }),
    ]);
    expect(await tickAt('2026-11-24T10:59:00.000Z')).toHaveLength(1);
    const overdue = await tickAt('2026-11-24T12:30:00.000Z');
    expect(overdue.map((m) => m.kind)).toEqual([
      'cadence.review_reminder',
      'cadence.review_overdue',
    ]);
    expect(overdue[1]!.text).toContain('is 1h 30m overdue');
    expect(await tickAt('2026-11-25T12:00:00.000Z')).toHaveLength(2);
  });

  it('send nothing once the review is complete', async () => {
    const id = await resolvedSev1();
    const put = await h.request('PUT', `/v1/incidents/${id}/postmortem`, {
      body: { summary: 'Done.', root_cause: 'A bad deploy.', completed: true },
    });
    expect(put.status).toBe(200);
    expect(await tickAt('2026-11-24T05:00:00.000Z')).toEqual([]);
    expect(await tickAt('2026-11-24T12:00:00.000Z')).toEqual([]);
  });

  it('are sent once by two schedulers on one database', async () => {
    await resolvedSev1();
    const other = createScheduler({
      db: h.db,
      content: h.content,
      mail: await loadMailTemplates(join(REPO_ROOT, 'templates')),
      siteUrl: 'https://status.example.test',
      now: clock.now,
      log: () => undefined,
      tickMs: 200,
      useLease: false,
    });
    clock.set('2026-11-24T12:00:00.000Z');
    await Promise.all([scheduler.tick(), other.tick(), other.tick()]);
    expect((await reviewMail()).map((m) => m.kind)).toEqual(['cadence.review_overdue']);
  });
});
