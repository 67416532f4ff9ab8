import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceMaintenances } from '../../src/domain/maintenances/advance.ts';
import { createHarness, REPO_ROOT, type Harness } from '../support/harness.ts';
import { startResendStub, type ResendStub } from '../support/resend-stub.ts';
import { linkIn, pipelineFor } from './support.ts';

/**
 * Maintenance emails through the real fan-out worker and mailer, sending to the local Resend
 * stand-in, with the clock moved by hand: who gets which email, each once, and what it says.
 */
let h: Harness;
let stub: ResendStub;
let pipeline: ReturnType<typeof pipelineFor>;

beforeAll(async () => {
  stub = await startResendStub();
  h = await createHarness({
    contentDir: join(REPO_ROOT, 'test/fixtures/content-subscriptions'),
  });
  pipeline = pipelineFor(h, stub);
  const res = await h.request('POST', '/v1/subscribers', {
    body: {
      subscribers: [
        { email: 'all@example.com' },
        { email: 'db@example.com', components: ['database'] },
        { email: 'both@example.com', components: ['database', 'storage'] },
        { email: 'group@example.com', components: ['data'] },
        { email: 'api@example.com', components: ['api'] },
      ],
    },
  });
  expect(res.status).toBe(200);
});
afterAll(async () => {
  await pipeline?.mailer.stop?.();
  h?.close();
  await stub?.close();
});

const mail = (address: string) =>
  stub.delivered.filter((e) => e.to[0] === address && e.subject.startsWith('[Maintenance'));
const kinds = (address: string) => mail(address).map((e) => e.subject.split(']')[0]!.slice(1));
const advance = () =>
  advanceMaintenances({
    db: h.db,
    content: h.content,
    now: h.clock.now,
    onChange: () => undefined,
  });

describe('maintenance emails', () => {
  it('go to the subscribers of its components once each: scheduled, reminder, started, completed', async () => {
    const res = await h.request('POST', '/v1/maintenances', {
      body: {
        title: 'Storage <em>and</em> database upgrade',
        message: 'Writes pause & reads continue.\n\nSee https://acme.example/plan for details.',
        components: ['database', 'storage'],
        scheduled_for: '2026-11-23T14:00:00Z',
        scheduled_until: '2026-11-23T15:30:00Z',
      },
    });
    const m = (await res.json()) as { id: string };
    await pipeline.deliver();
    await pipeline.deliver();
    for (const address of [
      'all@example.com',
      'db@example.com',
      'both@example.com',
      'group@example.com',
    ])
      expect(kinds(address), address).toEqual(['Maintenance scheduled']);
    expect(kinds('api@example.com')).toEqual([]);

    const [email] = mail('both@example.com');
    expect(email!.subject).toBe(
      '[Maintenance scheduled] Storage <em>and</em> database upgrade — Acme Cloud status',
    );
    expect(email!.html).toContain('Storage &lt;em&gt;and&lt;/em&gt; database upgrade');
    expect(email!.html).not.toContain('<em>and</em>');
    expect(email!.html).toContain('Writes pause &amp; reads continue.');
    expect(email!.text).toContain('Starts: 23 Nov 2026, 14:00 UTC (2026-11-23 14:00 UTC)');
    expect(email!.text).toContain('Duration: 1 h 30 min');
    expect(email!.text).toContain(`https://status.example.test/maintenances/${m.id}/`);
    expect(email!.text).toContain('https://status.example.test/maintenance.ics');
    expect(email!.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    linkIn(email!, 'unsubscribe');

    // Nothing is due before the reminder time; at it, the reminder, once however often asked.
    h.clock.set('2026-11-23T12:59:00Z');
    expect((await advance()).done).toEqual([]);
    h.clock.set('2026-11-23T13:00:00Z');
    expect((await advance()).done.map((d) => d.action)).toEqual(['remind']);
    expect((await advance()).done).toEqual([]);
    await pipeline.deliver();
    h.clock.set('2026-11-23T14:00:01Z');
    expect((await advance()).done.map((d) => d.action)).toEqual(['start']);
    await pipeline.deliver();
    h.clock.set('2026-11-23T15:30:00Z');
    expect((await advance()).done.map((d) => d.action)).toEqual(['complete']);
    await pipeline.deliver();
    await pipeline.deliver();
    for (const address of [
      'all@example.com',
      'db@example.com',
      'both@example.com',
      'group@example.com',
    ])
      expect(kinds(address), address).toEqual([
        'Maintenance scheduled',
        'Maintenance starting soon',
        'Maintenance in progress',
        'Maintenance completed',
      ]);
    expect(kinds('api@example.com')).toEqual([]);
    expect(mail('db@example.com')[3]!.text).toContain(
      'The scheduled maintenance has been completed.',
    );
  });

  it('leave out the emails turned off, and tell those told of a cancelled maintenance', async () => {
    h.clock.set('2026-11-24T10:00:00Z');
    const before = mail('api@example.com').length;
    const quiet = (await (
      await h.request('POST', '/v1/maintenances', {
        body: {
          title: 'Quiet API work',
          message: 'Nobody is told.',
          components: ['api'],
          scheduled_for: '2026-11-24T12:00:00Z',
          scheduled_until: '2026-11-24T13:00:00Z',
          notify: false,
        },
      })
    ).json()) as { id: string };
    const partial = (await (
      await h.request('POST', '/v1/maintenances', {
        body: {
          title: 'API certificate rotation',
          message: 'Short blips.',
          components: ['api'],
          scheduled_for: '2026-11-24T12:00:00Z',
          scheduled_until: '2026-11-24T13:00:00Z',
          notify: { reminder: false, started: false },
        },
      })
    ).json()) as { id: string };
    await pipeline.deliver();
    h.clock.set('2026-11-24T11:30:00Z');
    await advance();
    h.clock.set('2026-11-24T12:00:00Z');
    await advance();
    await pipeline.deliver();
    h.clock.set('2026-11-24T13:00:00Z');
    await advance();
    await pipeline.deliver();
    const got = mail('api@example.com').slice(before);
    expect(got.map((e) => e.subject)).toEqual([
      '[Maintenance scheduled] API certificate rotation — Acme Cloud status',
      '[Maintenance completed] API certificate rotation — Acme Cloud status',
    ]);
    expect(quiet.id).not.toBe(partial.id);

    const cancelled = (await (
      await h.request('POST', '/v1/maintenances', {
        body: {
          title: 'Dashboard redesign rollout',
          message: 'New look.',
          components: ['dashboard'],
          scheduled_for: '2026-11-25T12:00:00Z',
          scheduled_until: '2026-11-25T13:00:00Z',
        },
      })
    ).json()) as { id: string };
    await pipeline.deliver();
    h.clock.advance(60_000);
    await h.request('POST', `/v1/maintenances/${cancelled.id}/cancel`, {
      body: { message: 'Postponed.' },
    });
    await pipeline.deliver();
    await pipeline.deliver();
    expect(
      mail('all@example.com')
        .filter((e) => e.subject.includes('Dashboard redesign'))
        .map((e) => e.subject.split(']')[0]),
    ).toEqual(['[Maintenance scheduled', '[Maintenance cancelled']);
  });
});
