import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceMaintenances, automaticMessage } from '../../src/domain/maintenances/advance.ts';
import { dueActions, nextDueAt } from '../../src/domain/maintenances/lifecycle.ts';
import { createHarness, REPO_ROOT, type Harness } from '../support/harness.ts';

const NOTIFY = { scheduled: true, reminder: true, started: true, completed: true };
const base = {
  status: 'scheduled' as const,
  scheduled_for: '2026-11-23T12:00:00.000Z',
  scheduled_until: '2026-11-23T14:00:00.000Z',
  auto_start: true,
  auto_complete: true,
  notify: NOTIFY,
};
const at = (iso: string) => new Date(iso);

describe('dueActions', () => {
  it('reminds in the hour before the start, once, and never after the start', () => {
    expect(dueActions(base, at('2026-11-23T10:59:59Z'), 3600, false)).toEqual([]);
    expect(dueActions(base, at('2026-11-23T11:00:00Z'), 3600, false)).toEqual(['remind']);
    expect(dueActions(base, at('2026-11-23T11:30:00Z'), 3600, true)).toEqual([]);
    expect(dueActions(base, at('2026-11-23T12:00:00Z'), 3600, false)).toEqual(['start']);
    expect(
      dueActions(
        { ...base, notify: { ...NOTIFY, reminder: false } },
        at('2026-11-23T11:30:00Z'),
        3600,
        false,
      ),
    ).toEqual([]);
    expect(dueActions(base, at('2026-11-23T11:30:00Z'), 0, false)).toEqual([]);
  });

  it('starts and completes on time, both at once for a process that slept through the window', () => {
    expect(
      dueActions({ ...base, status: 'in_progress' }, at('2026-11-23T14:00:00Z'), 3600, true),
    ).toEqual(['complete']);
    expect(
      dueActions({ ...base, status: 'verifying' }, at('2026-11-23T14:00:00Z'), 3600, true),
    ).toEqual(['complete']);
    expect(dueActions(base, at('2026-11-23T15:00:00Z'), 3600, true)).toEqual(['start', 'complete']);
  });

  it('leaves alone what a person moved or asked to move by hand', () => {
    expect(
      dueActions({ ...base, status: 'completed' }, at('2026-11-23T15:00:00Z'), 3600, true),
    ).toEqual([]);
    expect(
      dueActions({ ...base, status: 'cancelled' }, at('2026-11-23T15:00:00Z'), 3600, true),
    ).toEqual([]);
    expect(
      dueActions({ ...base, auto_start: false }, at('2026-11-23T13:00:00Z'), 3600, true),
    ).toEqual([]);
    expect(
      dueActions(
        { ...base, status: 'in_progress', auto_complete: false },
        at('2026-11-23T15:00:00Z'),
        3600,
        true,
      ),
    ).toEqual([]);
  });

  it('says when it is next due', () => {
    const early = at('2026-11-23T09:00:00Z');
    expect(nextDueAt(base, 3600, false, early)).toBe(Date.parse('2026-11-23T11:00:00Z'));
    expect(nextDueAt(base, 3600, true, early)).toBe(Date.parse('2026-11-23T12:00:00Z'));
    // Past the reminder time (created late, say): the start is next.
    expect(nextDueAt(base, 3600, false, at('2026-11-23T11:30:00Z'))).toBe(
      Date.parse('2026-11-23T12:00:00Z'),
    );
    expect(nextDueAt({ ...base, status: 'in_progress' }, 3600, true, early)).toBe(
      Date.parse('2026-11-23T14:00:00Z'),
    );
    expect(nextDueAt({ ...base, status: 'completed' }, 3600, true, early)).toBeNull();
    expect(nextDueAt({ ...base, auto_start: false }, 3600, true, early)).toBeNull();
  });

  it('notes the real time of a late step', () => {
    expect(automaticMessage('start', '2026-11-23T12:00:00.000Z', '2026-11-23T12:00:10.000Z')).toBe(
      'The scheduled maintenance is now in progress.',
    );
    expect(automaticMessage('start', '2026-11-23T12:00:00.000Z', '2026-11-23T12:47:00.000Z')).toBe(
      'The scheduled maintenance is now in progress. It started at 12:47 UTC (2026-11-23), later than the planned 12:00 UTC.',
    );
  });
});

describe('the scheduler’s maintenance steps with several processes on one database', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(() => h.close());

  function advanceIn(
    nowIso: string,
    passes: number,
  ): Promise<Array<{ id: string; action: string }>> {
    const script = join(import.meta.dirname, 'fixtures/advance-maintenances.ts');
    return new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', script, h.db.url, join(REPO_ROOT, 'content'), nowIso, String(passes)],
        (error, stdout, stderr) =>
          error ? reject(new Error(stderr || String(error))) : resolve(JSON.parse(stdout)),
      );
    });
  }

  it('remind, start and complete exactly once between four processes racing, and a late start notes the real time', async () => {
    const created = await h.request('POST', '/v1/maintenances', {
      body: {
        title: 'Network switch replacement',
        message: 'Replacing a core switch.',
        components: ['api', 'database'],
        scheduled_for: '2026-11-23T12:00:00Z',
        scheduled_until: '2026-11-23T13:00:00Z',
      },
    });
    const m = (await created.json()) as any;

    const reminders = (
      await Promise.all([1, 2, 3, 4].map(() => advanceIn('2026-11-23T11:30:00Z', 3)))
    ).flat();
    expect(reminders.filter((d) => d.id === m.id)).toEqual([
      expect.objectContaining({ action: 'remind' }),
    ]);

    // Every process was down through the start: the first back starts it, 20 minutes late.
    const starts = (
      await Promise.all([1, 2, 3, 4].map(() => advanceIn('2026-11-23T12:20:00Z', 3)))
    ).flat();
    expect(starts.filter((d) => d.id === m.id).map((d) => d.action)).toEqual(['start']);
    const running = (await (await h.request('GET', `/v1/maintenances/${m.id}`)).json()) as any;
    expect(running.status).toBe('in_progress');
    expect(running.started_at).toBe('2026-11-23T12:20:00.000Z');
    expect(running.updates[0].message).toContain('It started at 12:20 UTC');
    const components = (await (await h.request('GET', '/v1/components')).json()) as any;
    for (const id of ['api', 'database'])
      expect(components.components.find((c: any) => c.id === id).status).toBe('under_maintenance');

    const ends = (
      await Promise.all([1, 2, 3, 4].map(() => advanceIn('2026-11-23T13:00:05Z', 3)))
    ).flat();
    expect(ends.filter((d) => d.id === m.id).map((d) => d.action)).toEqual(['complete']);

    const done = (await (await h.request('GET', `/v1/maintenances/${m.id}`)).json()) as any;
    expect(done.updates.map((u: any) => u.status)).toEqual([
      'completed',
      'in_progress',
      'scheduled',
    ]);
    expect(done.version).toBe(3);
    const events = await h.db.query(
      'SELECT kind FROM maintenance_events WHERE maintenance_id = ? ORDER BY kind',
      [m.id],
    );
    expect(events.map((e) => e.kind)).toEqual(['completed', 'reminder', 'scheduled', 'started']);
    const after = (await (await h.request('GET', '/v1/components')).json()) as any;
    expect(after.components.find((c: any) => c.id === 'api').status).toBe('operational');

    // In this process too, later: nothing is left to do.
    h.clock.set('2026-11-23T18:00:00Z');
    const again = await advanceMaintenances({
      db: h.db,
      content: h.content,
      now: h.clock.now,
      onChange: () => undefined,
    });
    expect(again.done.filter((d) => d.id === m.id)).toEqual([]);
  }, 60_000);
});
