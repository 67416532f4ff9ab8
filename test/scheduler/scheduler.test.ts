import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSettings } from '../../src/config/env.ts';
import { loadMailTemplates } from '../../src/mail/templates.ts';
import { sampleVariables } from '../../src/scheduler/messages.ts';
import { createScheduler, type Scheduler } from '../../src/scheduler/scheduler.ts';
import { createCadenceServices } from '../../src/scheduler/setup.ts';
import { recordNotice } from '../../src/storage/notices.ts';
import { openDatabase, type Db } from '../../src/storage/db.ts';
import { listOutbox, type OutboxMessage } from '../../src/storage/outbox.ts';
import { TestClock } from '../support/clock.ts';
import { createHarness, REPO_ROOT, sev1Body, type Harness } from '../support/harness.ts';

const FAST = join(REPO_ROOT, 'test/fixtures/content-fast');
const SITE = 'https://status.example.test';

let h: Harness;
let clock: TestClock;
let scheduler: Scheduler;
const extra: Db[] = [];

async function makeScheduler(
  db: Db,
  options: {
    useLease?: boolean;
    holder?: string;
    log?: (line: Record<string, unknown>) => void;
  } = {},
): Promise<Scheduler> {
  const mail = await loadMailTemplates(
    join(REPO_ROOT, 'templates'),
    sampleVariables(h.content, SITE),
  );
  return createScheduler({
    db,
    content: h.content,
    mail,
    siteUrl: SITE,
    now: clock.now,
    log: () => undefined,
    tickMs: 200,
    ...options,
  });
}

beforeEach(async () => {
  clock = new TestClock('2026-11-23T10:00:00.000Z');
  h = await createHarness({
    contentDir: FAST,
    clock,
    onChange: (change) => scheduler?.onChange?.(change),
  });
  scheduler = await makeScheduler(h.db);
});
afterEach(async () => {
  await scheduler.stop?.();
  for (const db of extra.splice(0)) db.close();
  h.close();
});

const outbox = () => listOutbox((sql, args) => h.db.query(sql, args));
const summary = (rows: OutboxMessage[]) => rows.map((r) => `${r.kind} → ${r.to}`);
const seconds = (s: number) => clock.advance(s * 1000);

/** A SEV2 (no executive notice for an hour in this policy) whose roles are email addresses. */
async function declareSev2(extraBody: Record<string, unknown> = {}): Promise<string> {
  const res = await h.request('POST', '/v1/incidents', {
    body: sev1Body({
      severity: 'SEV2',
      roles: { commander: 'ada@acme.example', communications: 'grace@acme.example' },
      ...extraBody,
    }),
  });
  expect(res.status).toBe(201);
  await scheduler.idle();
  return ((await res.json()) as { id: string }).id;
}

describe('the cadence scheduler (policy in seconds: remind at 3s, due at 6s, commander +2s, executives +4s)', () => {
  it('reminds, goes overdue, escalates twice, each once, and starts over after a public update', async () => {
    const id = await declareSev2();
    await scheduler.tick();
    expect(await outbox()).toEqual([]);

    const reminder = 'cadence.reminder → grace@acme.example';
    const overdueNotice = 'cadence.overdue → grace@acme.example';
    const commander = 'cadence.escalate_commander → ada@acme.example';
    const executives = [
      'cadence.escalate_executives → cto@acme.example',
      'cadence.escalate_executives → vp-support@acme.example',
    ];
    /** Moves the clock to `at` seconds after the declaration and ticks twice (the second must add nothing). */
    const at = async (secondsAfter: number) => {
      clock.set(
        new Date(Date.parse('2026-11-23T10:00:00.000Z') + secondsAfter * 1000).toISOString(),
      );
      await scheduler.tick();
      await scheduler.tick();
      return summary(await outbox());
    };
    expect(await at(2.9)).toEqual([]);
    expect(await at(3)).toEqual([reminder]);
    expect(await at(6)).toEqual([reminder]);
    expect(await at(6.5)).toEqual([reminder, overdueNotice]);
    expect(await at(7.9)).toEqual([reminder, overdueNotice]);
    expect(await at(8.5)).toEqual([reminder, overdueNotice, commander]);
    expect(await at(9.9)).toEqual([reminder, overdueNotice, commander]);
    expect(await at(10.5)).toEqual([reminder, overdueNotice, commander, ...executives]);
    expect(await at(20)).toEqual([reminder, overdueNotice, commander, ...executives]);

    const cadence = (await (await h.request('GET', '/v1/cadence')).json()) as {
      incidents: Array<{
        overdue: boolean;
        escalation_level: number;
        notices_sent: Array<{ kind: string }>;
      }>;
    };
    expect(cadence.incidents[0]).toMatchObject({ overdue: true, escalation_level: 3 });
    expect(cadence.incidents[0]!.notices_sent.map((n) => n.kind)).toEqual([
      'reminder',
      'overdue',
      'escalate_commander',
      'escalate_executives',
    ]);
    const overdue = (await (await h.request('GET', '/v1/incidents?overdue=true')).json()) as {
      incidents: Array<{ id: string }>;
    };
    expect(overdue.incidents.map((i) => i.id)).toEqual([id]);

    // A public update starts a new window: nothing is due, then the ladder begins again.
    const res = await h.request('POST', `/v1/incidents/${id}/updates`, {
      body: { message: 'Rolled back; recovering.', status: 'identified' },
    });
    expect(res.status).toBe(201);
    await scheduler.idle();
    await scheduler.tick();
    expect(await outbox()).toHaveLength(5);
    const after = (await (await h.request('GET', '/v1/cadence')).json()) as {
      incidents: Array<{
        overdue: boolean;
        notices_sent: unknown[];
        adherence: { windows_due: number; windows_met: number };
      }>;
    };
    expect(after.incidents[0]).toMatchObject({
      overdue: false,
      notices_sent: [],
      adherence: { windows_due: 1, windows_met: 0 },
    });
    expect(
      (
        (await (await h.request('GET', '/v1/incidents?overdue=true')).json()) as {
          incidents: unknown[];
        }
      ).incidents,
    ).toEqual([]);
    seconds(2.9);
    await scheduler.tick();
    expect(await outbox()).toHaveLength(5);
    seconds(0.1);
    await scheduler.tick();
    expect(summary(await outbox()).slice(5)).toEqual([reminder]);

    // Resolved: silence is fine now.
    await h.request('POST', `/v1/incidents/${id}/updates`, {
      body: { message: 'Resolved.', status: 'resolved' },
    });
    seconds(60);
    await scheduler.tick();
    expect(await outbox()).toHaveLength(6);
  });

  it('notifies executives at once when a SEV3 is raised to SEV1, with the business context', async () => {
    const res = await h.request('POST', '/v1/incidents', {
      body: {
        title: 'Payments <script>alert(1)</script> failing',
        severity: 'SEV3',
        message: 'Investigating payments.',
        started_at: '2026-11-23T09:50:00.000Z',
      },
    });
    const { id } = (await res.json()) as { id: string };
    await scheduler.idle();
    expect(await outbox()).toEqual([]);
    const raise = await h.request('PATCH', `/v1/incidents/${id}`, {
      body: {
        severity: 'SEV1',
        roles: { commander: 'Ada Lovelace', communications: 'grace@acme.example' },
        business_impact: {
          summary: 'Card payments fail',
          customers_affected: 1200,
          revenue_per_minute: 850,
          currency: 'USD',
        },
        eta: '2026-11-23T11:00:00.000Z',
      },
      headers: { 'if-match': '"1"' },
    });
    expect(raise.status).toBe(200);
    // No tick: the change alone triggers the notice.
    await scheduler.idle();
    const rows = await outbox();
    expect(summary(rows)).toEqual([
      'cadence.executive_notice → cto@acme.example',
      'cadence.executive_notice → vp-support@acme.example',
    ]);
    const notice = rows[0]!;
    expect(notice.subject).toBe(
      '[SEV1] Executive notice: Payments <script>alert(1)</script> failing',
    );
    for (const fact of [
      'Card payments fail',
      '1,200',
      '$850.00 per minute',
      '$8,500.00',
      '10 min since start',
      '2026-11-23 11:00 UTC',
      'Ada Lovelace',
      '10:00 UTC',
    ]) {
      expect(notice.text).toContain(fact);
      expect(notice.html).toContain(fact);
    }
    // The responder's text is escaped in HTML and left as it is in the plain-text part.
    expect(notice.html).not.toContain('<script>');
    expect(notice.html).toContain('Payments &lt;script&gt;alert(1)&lt;/script&gt; failing');
    expect(notice.text).toContain('Payments <script>alert(1)</script> failing');

    // Lowering to SEV2 sends no second, milder notice; ticks add nothing either.
    await h.request('PATCH', `/v1/incidents/${id}`, {
      body: { severity: 'SEV2' },
      headers: { 'if-match': '"2"' },
    });
    await scheduler.idle();
    await scheduler.tick();
    expect((await outbox()).filter((r) => r.kind === 'cadence.executive_notice')).toHaveLength(2);
  });

  it('falls back to the policy communications lead when roles are names', async () => {
    await declareSev2({ roles: { commander: 'Ada', communications: 'Grace' } });
    seconds(8.5);
    await scheduler.tick();
    expect(summary(await outbox())).toEqual([
      'cadence.overdue → comms-oncall@acme.example',
      'cadence.escalate_commander → comms-oncall@acme.example',
    ]);
  });

  it('sends each notice once even when two schedulers without a lease act on every tick', async () => {
    // Two connections to one file, as two processes have. They share this thread, so their
    // transactions take turns here; the two-process end-to-end test runs them truly at once.
    const second = await openDatabase({ url: h.db.url });
    extra.push(second);
    const a = await makeScheduler(h.db, { useLease: false });
    const b = await makeScheduler(second, { useLease: false });
    const id = await declareSev2();
    for (const step of [3, 3.5, 2, 2, 1]) {
      seconds(step);
      await a.tick();
      await b.tick();
      await b.actOn(id);
      await a.actOn(id);
    }
    const kinds = (await outbox()).map((r) => r.kind);
    expect(kinds).toEqual([
      'cadence.reminder',
      'cadence.overdue',
      'cadence.escalate_commander',
      'cadence.escalate_executives',
      'cadence.escalate_executives',
    ]);
  });

  it('records each notice once: a second record of the same incident, window and kind is refused', async () => {
    const id = await declareSev2();
    const notice = {
      incident_id: id,
      window_key: '2026-11-23T10:00:00.000Z',
      kind: 'reminder' as const,
      sent_at: '2026-11-23T10:00:03.000Z',
      recipients: ['grace@acme.example'],
      outcome: 'queued' as const,
    };
    expect(await h.db.write((tx) => recordNotice(tx, notice))).toBe(true);
    expect(await h.db.write((tx) => recordNotice(tx, { ...notice, sent_at: 'later' }))).toBe(false);
    expect(await h.db.write((tx) => recordNotice(tx, { ...notice, kind: 'overdue' }))).toBe(true);
  });

  it('starts a fresh window when a private incident is made public, instead of the whole ladder at once', async () => {
    const id = await declareSev2({ visibility: 'private' });
    seconds(60);
    await scheduler.tick();
    expect(await outbox()).toEqual([]);
    const res = await h.request('PATCH', `/v1/incidents/${id}`, {
      body: { visibility: 'public' },
      headers: { 'if-match': '"1"' },
    });
    expect(res.status).toBe(200);
    await scheduler.idle();
    await scheduler.tick();
    expect(await outbox()).toEqual([]);
    const cadence = ((await res.json()) as { cadence: { next_update_due_at: string } }).cadence;
    expect(cadence.next_update_due_at).toBe('2026-11-23T10:01:06.000Z');
    seconds(3);
    await scheduler.tick();
    expect(summary(await outbox())).toEqual(['cadence.reminder → grace@acme.example']);
    seconds(3.5);
    await scheduler.tick();
    expect(summary(await outbox())).toEqual([
      'cadence.reminder → grace@acme.example',
      'cadence.overdue → grace@acme.example',
    ]);
  });

  it('counts a back-dated update from when it was posted: it starts a new window', async () => {
    const id = await declareSev2();
    seconds(5);
    const res = await h.request('POST', `/v1/incidents/${id}/updates`, {
      body: {
        message: 'For the record: found the cause at 10:00:01.',
        display_at: '2026-11-23T10:00:01.000Z',
      },
    });
    expect(res.status).toBe(201);
    // Due 6 s after 10:00:05, when it was posted: at 10:00:07 the first window would be overdue.
    seconds(2);
    await scheduler.tick();
    expect(await outbox()).toEqual([]);
    seconds(1);
    await scheduler.tick();
    expect(summary(await outbox())).toEqual(['cadence.reminder → grace@acme.example']);
  });

  it('goes on with the other incidents when one of them fails', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logged = await makeScheduler(h.db, { log: (line) => lines.push(line) });
    const healthy = await declareSev2();
    clock.advance(1);
    const broken = await declareSev2({ title: 'Search down' });
    // The database refuses every notice of one incident (the newest, so the tick meets it first).
    await h.db.batch([
      {
        sql: `CREATE TRIGGER refuse_notices BEFORE INSERT ON cadence_notices
              WHEN NEW.incident_id = '${broken}' BEGIN SELECT RAISE(ABORT, 'refused'); END`,
      },
    ]);
    seconds(3);
    const { acted } = await logged.tick();
    expect(acted.map((a) => a.notice.kind)).toEqual(['reminder']);
    expect(summary(await outbox())).toEqual(['cadence.reminder → grace@acme.example']);
    expect((await outbox())[0]!.headers['X-Herald-Incident']).toBe(healthy);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        incident: broken,
        msg: 'scheduler failed to act on an incident',
      }),
    );
    expect(logged.health?.()).toMatchObject({ last_error: expect.stringContaining('refused') });
  });

  it('reports how far a window has escalated from the notices recorded, and how far it is due', async () => {
    await declareSev2();
    seconds(11);
    type CadenceList = {
      incidents: Array<{ escalation_level: number; due_escalation_level: number }>;
    };
    const before = (await (await h.request('GET', '/v1/cadence')).json()) as CadenceList;
    // The clock says executives are due; nobody has been told anything yet.
    expect(before.incidents[0]).toMatchObject({ escalation_level: 0, due_escalation_level: 3 });
    await scheduler.tick();
    const after = (await (await h.request('GET', '/v1/cadence')).json()) as CadenceList;
    expect(after.incidents[0]).toMatchObject({ escalation_level: 3, due_escalation_level: 3 });
  });

  it('records a notice nobody can receive as skipped, says so, and never marks it sent', async () => {
    h.content.policy.recipients.executives = [];
    const lines: Array<Record<string, unknown>> = [];
    scheduler = await makeScheduler(h.db, { log: (line) => lines.push(line) });
    const res = await h.request('POST', '/v1/incidents', {
      body: sev1Body({
        roles: { commander: 'ada@acme.example', communications: 'grace@acme.example' },
      }),
    });
    expect(res.status).toBe(201);
    await scheduler.idle();
    await scheduler.tick();
    expect(await outbox()).toEqual([]);
    const cadence = (await (await h.request('GET', '/v1/cadence')).json()) as {
      incidents: Array<{ executive_notices: Array<{ severity: string; outcome: string }> }>;
    };
    expect(cadence.incidents[0]!.executive_notices).toEqual([
      expect.objectContaining({ severity: 'SEV1', outcome: 'skipped_no_recipients' }),
    ]);
    expect(scheduler.health?.()).toMatchObject({
      notices_sent: 0,
      notices_skipped_no_recipients: 1,
    });
    expect(lines.filter((l) => l.level === 'error' && l.kind === 'executive_notice')).toHaveLength(
      1,
    );
    // Recorded once: later ticks neither send it nor report it again.
    seconds(1);
    await scheduler.tick();
    expect(scheduler.health?.()).toMatchObject({ notices_skipped_no_recipients: 1 });
  });

  it('warns at start-up when rules notify executives but the policy lists none', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const settings = readSettings({
      HERALD_DATA_DIR: h.dir,
      HERALD_TEMPLATES_DIR: join(REPO_ROOT, 'templates'),
    });
    const withExecutives = await createCadenceServices(settings, h, clock.now, (l) =>
      lines.push(l),
    );
    expect(lines.filter((l) => l.level === 'warn')).toEqual([]);
    h.content.policy.recipients.executives = [];
    await createCadenceServices(settings, h, clock.now, (l) => lines.push(l));
    expect(lines.filter((l) => l.level === 'warn')).toEqual([
      expect.objectContaining({
        msg: expect.stringContaining('lists no executives'),
        severities: ['SEV1', 'SEV2', 'SEV3'],
      }),
    ]);
    expect(withExecutives.scheduler.name).toBe('scheduler');
  });

  it('lets only the lease holder run the periodic tick, and another take over when it lapses', async () => {
    const second = await openDatabase({ url: h.db.url });
    extra.push(second);
    const a = await makeScheduler(h.db, { holder: 'a' });
    const b = await makeScheduler(second, { holder: 'b' });
    expect((await a.tick()).ran).toBe(true);
    expect((await b.tick()).ran).toBe(false);
    expect((await a.tick()).ran).toBe(true);
    seconds(1.5);
    expect((await b.tick()).ran).toBe(true);
    expect((await a.tick()).ran).toBe(false);
  });
});
