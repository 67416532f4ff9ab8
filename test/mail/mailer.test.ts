import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emlTransport } from '../../src/mail/eml-transport.ts';
import { readSettings } from '../../src/config/env.ts';
import {
  batchKeyFor,
  createMailer,
  GIVE_UP_AFTER_MS,
  mailerFromSettings,
  type Mailer,
} from '../../src/mail/mailer.ts';
import { resendTransport } from '../../src/mail/resend-transport.ts';
import type { Transport } from '../../src/mail/transport.ts';
import { openDatabase } from '../../src/storage/db.ts';
import {
  assignBatches,
  claimDue,
  listOutbox,
  markFailed,
  markRetry,
  markSent,
  renewBatch,
  splitBatch,
} from '../../src/storage/outbox.ts';
import { TestClock } from '../support/clock.ts';
import { startResendStub, type ResendStub } from '../support/resend-stub.ts';
import { email, enqueue, stallingAtWrite, tempDatabase } from './support.ts';
import { parseEml } from './parse-eml.ts';

const FROM = 'Herald <status@acme.example>';
const now = () => new Date();

let stub: ResendStub;
let env: Awaited<ReturnType<typeof tempDatabase>>;

beforeEach(async () => {
  stub = await startResendStub();
  env = await tempDatabase();
});
afterEach(async () => {
  await stub.close();
  env.cleanup();
});

function viaResend(extra: { timeoutMs?: number; now?: () => Date } = {}): Transport {
  return resendTransport({ apiKey: stub.apiKey, baseUrl: stub.url, from: FROM, now, ...extra });
}

function mailer(
  transport: Transport,
  extra: Partial<Parameters<typeof createMailer>[0]> = {},
): Mailer {
  return createMailer({
    db: env.db,
    transport,
    now,
    log: () => undefined,
    pollMs: 50,
    leaseMs: 5_000,
    ratePerSecond: 100,
    giveUpAfterMs: GIVE_UP_AFTER_MS,
    backoff: { baseMs: 100, maxMs: 1_000 },
    authPauseMs: 1_000,
    ...extra,
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const rows = () => listOutbox((sql, args) => env.db.query(sql, args));
const recipients = () => stub.delivered.map((d) => d.to[0]).sort();

describe('the mail outbox', () => {
  it('queues a logical message once however often it is enqueued', async () => {
    const first = await enqueue(env.db, [email(1), email(2)]);
    const again = await enqueue(env.db, [email(1)]);
    expect(first).toHaveLength(2);
    expect(again).toEqual([]);
    expect(await listOutbox((sql, args) => env.db.query(sql, args))).toHaveLength(2);
  });

  it('lets two connections claim disjoint messages and takes over a crashed claimer after its lease', async () => {
    // A second connection to the same file, as a second process would have. (Both live in this
    // one thread, so they take turns; the two-process end-to-end test covers true concurrency.)
    const other = await openDatabase({ url: `file:${env.file}` });
    try {
      await enqueue(
        env.db,
        Array.from({ length: 6 }, (_, i) => email(i)),
      );
      const at = new Date();
      const lease = new Date(at.getTime() + 60_000).toISOString();
      const a = await claimDue(env.db, 'a', at.toISOString(), lease, 3);
      const b = await claimDue(other, 'b', at.toISOString(), lease, 3);
      const ids = [...a, ...b].map((m) => m.id);
      expect(a).toHaveLength(3);
      expect(b).toHaveLength(3);
      expect(new Set(ids).size).toBe(6);
      // While the leases are live nobody else gets them; after they run out, anyone may.
      expect(await claimDue(other, 'c', at.toISOString(), lease, 10)).toEqual([]);
      const later = new Date(at.getTime() + 61_000).toISOString();
      expect(await claimDue(other, 'c', later, later, 10)).toHaveLength(6);
    } finally {
      other.close();
    }
  });
});

describe('senders whose claim ran out', () => {
  it('do not send what another sender took over, even after stalling between claim and send', async () => {
    await enqueue(env.db, [email(1), email(2), email(3)]);
    // Sender a claims m1–m3, then its process stalls (before it has fixed the batch).
    const stalling = stallingAtWrite(env.db, 2);
    const a = mailer(viaResend(), { db: stalling.db, holder: 'a', leaseMs: 300 });
    const aDrain = a.drain();
    await stalling.stalled;
    await sleep(400);
    // Its claim has run out; more mail arrives and sender b sends everything.
    const later = await enqueue(env.db, [email(4), email(5)]);
    expect(later).toHaveLength(2);
    expect(await mailer(viaResend(), { holder: 'b' }).drain()).toBe(5);
    // a wakes up: nothing it claimed is still its own.
    stalling.resume();
    expect(await aDrain).toBe(0);
    expect(recipients()).toEqual([1, 2, 3, 4, 5].map((n) => `person${n}@example.com`));
    expect(stub.requests).toHaveLength(1);
    expect((await rows()).every((r) => r.status === 'sent')).toBe(true);
  });

  it('cannot record, retry, fail or renew rows another sender holds', async () => {
    const ids = await enqueue(env.db, [email(1), email(2)]);
    const at = new Date();
    const iso = (ms: number) => new Date(at.getTime() + ms).toISOString();
    await claimDue(env.db, 'a', iso(0), iso(-1), 10);
    await assignBatches(env.db, 'a', ids, [{ ids, key: 'k' }]);
    // a's claim has already run out; b takes the rows.
    expect(await claimDue(env.db, 'b', iso(0), iso(60_000), 10)).toHaveLength(2);
    expect(await renewBatch(env.db, 'a', 'k', ids, iso(60_000))).toBe(false);
    expect(
      await markSent(
        env.db,
        'a',
        ids.map((id) => ({ id, providerId: 'x' })),
        iso(0),
      ),
    ).toBe(0);
    await markRetry(env.db, 'a', ids, {
      nextAttemptAt: iso(9_000),
      error: 'e',
      countAttempt: true,
    });
    await markFailed(env.db, 'a', ids, { at: iso(0), error: 'e', attempted: true });
    await splitBatch(env.db, 'a', ids, iso(0));
    expect((await rows()).map((r) => [r.status, r.attempts, r.batchKey])).toEqual([
      ['pending', 0, 'k'],
      ['pending', 0, 'k'],
    ]);
    // b holds the whole batch: it may send it. Holding part of it is not enough.
    expect(await renewBatch(env.db, 'b', 'k', ids, iso(60_000))).toBe(true);
    expect(await renewBatch(env.db, 'b', 'k', ids.slice(0, 1), iso(60_000))).toBe(false);
  });
});

describe('sending through Resend', () => {
  it('sends queued messages in one batch with an idempotency key derived from the message ids', async () => {
    const ids = await enqueue(env.db, [email(1), email(2), email(3)]);
    const sent = await mailer(viaResend()).drain();
    expect(sent).toBe(3);
    expect(stub.requests).toHaveLength(1);
    expect(stub.requests[0]).toMatchObject({ path: '/emails/batch', emails: 3, status: 200 });
    expect(stub.requests[0]!.idempotencyKey).toBe(batchKeyFor(ids));
    expect(stub.delivered.map((d) => d.to[0])).toEqual([
      'person1@example.com',
      'person2@example.com',
      'person3@example.com',
    ]);
    for (const d of stub.delivered) {
      expect(d.html).toContain('<p>');
      expect(d.text).not.toBe('');
      expect(d.from).toBe(FROM);
    }
    const rows = await listOutbox((sql, args) => env.db.query(sql, args));
    expect(rows.every((r) => r.status === 'sent' && r.providerId !== null)).toBe(true);
  });

  it('sends a subject that looks like an encoded word encoded, so clients show it as typed (issue 10, item 7)', async () => {
    const smuggled = `=?UTF-8?B?${Buffer.from('\u202Egnp.exe', 'utf8').toString('base64')}?=`;
    const subject = `[SEV2] ${smuggled}`;
    await enqueue(env.db, [email(1, { subject })]);
    expect(await mailer(viaResend()).drain()).toBe(1);
    const sent = stub.delivered[0]!.subject;
    expect(sent).not.toContain(smuggled);
    expect(
      parseEml(
        `Subject: ${sent}\r\nContent-Type: multipart/alternative; boundary="b"\r\n\r\n--b--\r\n`,
      ).headers.subject,
    ).toBe(subject);
  });

  it('waits out a 429 for as long as retry-after says, then sends once', async () => {
    // On a clock the test moves: a stalled machine can make neither wait pass early nor run out.
    const clock = new TestClock();
    await enqueue(env.db, [email(1)], clock.now());
    stub.script({ status: 429, headers: { 'retry-after': '1' } });
    const m = mailer(viaResend({ now: clock.now }), { now: clock.now });
    expect(await m.drain()).toBe(0);
    const [row] = await listOutbox((sql, args) => env.db.query(sql, args));
    // The rate limit is not the message's failure: it does not count as an attempt.
    expect(row).toMatchObject({ status: 'pending', attempts: 0 });
    expect(row!.lastError).toContain('429');
    // Asked to wait: nothing goes out before the second has passed, and it goes out once it has.
    clock.advance(999);
    expect(await m.drain()).toBe(0);
    expect(stub.requests).toHaveLength(1);
    clock.advance(1);
    expect(await m.drain()).toBe(1);
    expect(stub.requests).toHaveLength(2);
    expect(stub.requests[1]!.idempotencyKey).toBe(stub.requests[0]!.idempotencyKey);
    expect(stub.delivered).toHaveLength(1);
  });

  it('retries a 500 with back-off and then succeeds', async () => {
    // On a clock the test moves: a stalled machine cannot make the retry due early.
    const clock = new TestClock();
    await enqueue(env.db, [email(1), email(2)], clock.now());
    stub.script({ status: 500 });
    const m = mailer(viaResend({ now: clock.now }), { now: clock.now });
    expect(await m.drain()).toBe(0);
    // Backing off: not due again at once.
    expect(await m.drain()).toBe(0);
    expect(stub.requests).toHaveLength(1);
    clock.advance(150);
    expect(await m.drain()).toBe(2);
    expect(stub.requests.map((r) => r.status)).toEqual([500, 200]);
    expect(stub.delivered).toHaveLength(2);
    const rows = await listOutbox((sql, args) => env.db.query(sql, args));
    expect(rows.map((r) => [r.status, r.attempts])).toEqual([
      ['sent', 2],
      ['sent', 2],
    ]);
  });

  it('records a permanent 422 as failed without retrying, and still sends the good messages of its batch', async () => {
    await enqueue(env.db, [email(1), email(2, { to: 'not-an-address' }), email(3)]);
    const m = mailer(viaResend());
    await m.drain();
    // The strict batch is refused as a whole, then each message is tried alone.
    expect(stub.requests.map((r) => [r.emails, r.status])).toEqual([
      [3, 422],
      [1, 200],
      [1, 422],
      [1, 200],
    ]);
    const rows = await listOutbox((sql, args) => env.db.query(sql, args));
    expect(rows.map((r) => r.status)).toEqual(['sent', 'failed', 'sent']);
    expect(rows[1]!.lastError).toMatch(/422 validation_error/);
    await sleep(150);
    await m.drain();
    expect(stub.requests).toHaveLength(4);
    expect(stub.delivered.map((d) => d.to[0])).toEqual([
      'person1@example.com',
      'person3@example.com',
    ]);
  });

  it('keeps retrying transient failures, 5 minutes apart at most, and gives up only 23 hours after queueing', async () => {
    const clock = new TestClock('2026-11-23T10:00:00.000Z');
    await enqueue(env.db, [email(1)], clock.now());
    // The mailer main.ts runs, on the outbox of this test.
    const settings = readSettings({
      RESEND_API_KEY: stub.apiKey,
      RESEND_BASE_URL: stub.url,
      HERALD_DATA_DIR: env.dir,
      HERALD_EMAIL_RATE_PER_SECOND: '1000',
    });
    const m = mailerFromSettings(settings, env.db, clock.now, () => undefined);
    stub.script(...Array.from({ length: 30 }, () => ({ status: 503 })));
    const gaps: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      await m.drain();
      const [row] = await rows();
      expect(row).toMatchObject({ status: 'pending', attempts: i + 1 });
      const next = String(
        (await env.db.query('SELECT next_attempt_at FROM mail_outbox'))[0]!.next_attempt_at,
      );
      gaps.push(Date.parse(next) - clock.now().getTime());
      clock.set(next);
    }
    // Doubling from a second, then never more than 5 minutes apart.
    expect(gaps.slice(0, 4)).toEqual([1000, 2000, 4000, 8000]);
    expect(Math.max(...gaps)).toBe(5 * 60_000);
    expect(gaps.at(-1)).toBe(5 * 60_000);
    // Close to 23 hours after it was queued, the next wait would end past the limit: given up.
    clock.set('2026-11-24T08:57:00.000Z');
    await m.drain();
    const [row] = await rows();
    expect(row).toMatchObject({ status: 'failed', attempts: 21 });
    expect(row!.lastError).toMatch(/gave up 23 h after it was queued: 503/);
    expect(stub.requests).toHaveLength(21);
  });

  it('does not count 429s as attempts, however many there are', async () => {
    const clock = new TestClock();
    await enqueue(env.db, [email(1)], clock.now());
    stub.script(
      ...Array.from({ length: 5 }, () => ({ status: 429, headers: { 'retry-after': '2' } })),
    );
    const m = mailer(viaResend({ now: clock.now }), { now: clock.now });
    for (let i = 0; i < 5; i += 1) {
      expect(await m.drain()).toBe(0);
      // Paused as the provider asked: nothing is attempted before the two seconds are up.
      clock.advance(1_900);
      expect(await m.drain()).toBe(0);
      clock.advance(100);
    }
    expect(stub.requests.map((r) => r.status)).toEqual([429, 429, 429, 429, 429]);
    expect(await m.drain()).toBe(1);
    expect((await rows())[0]).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('pauses and retries when the provider refuses the key (401/403), logging an error', async () => {
    const clock = new TestClock();
    await enqueue(env.db, [email(1), email(2)], clock.now());
    stub.script({ status: 403, name: 'validation_error', message: 'domain not verified' });
    const lines: Array<Record<string, unknown>> = [];
    const m = mailer(viaResend({ now: clock.now }), {
      now: clock.now,
      log: (line) => lines.push(line),
      authPauseMs: 60_000,
    });
    expect(await m.drain()).toBe(0);
    expect((await rows()).map((r) => r.status)).toEqual(['pending', 'pending']);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: 'mail provider refused the API key or sender; sending paused',
      }),
    );
    clock.advance(59_000);
    expect(await m.drain()).toBe(0);
    expect(stub.requests).toHaveLength(1);
    clock.advance(1_000);
    expect(await m.drain()).toBe(2);
    expect(recipients()).toEqual(['person1@example.com', 'person2@example.com']);
  });

  it('abandons a request the provider does not answer and retries it under the same key', async () => {
    // The request's time-out is real time; the back-off runs on a clock the test moves.
    const clock = new TestClock();
    await enqueue(env.db, [email(1), email(2)], clock.now());
    stub.hold();
    const m = mailer(viaResend({ timeoutMs: 300, now: clock.now }), { now: clock.now });
    const started = Date.now();
    expect(await m.drain()).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    const [row] = await rows();
    expect(row).toMatchObject({ status: 'pending', attempts: 1 });
    expect(row!.lastError).toMatch(/^network/);
    // The provider did get the request and delivers it late; the retry must not send it again.
    await stub.release();
    expect(stub.delivered).toHaveLength(2);
    clock.advance(150);
    expect(await m.drain()).toBe(2);
    expect(stub.requests.map((r) => r.idempotencyKey)).toEqual([
      stub.requests[0]!.idempotencyKey,
      stub.requests[0]!.idempotencyKey,
    ]);
    expect(recipients()).toEqual(['person1@example.com', 'person2@example.com']);
  });

  it('does not duplicate at the provider when a crashed sender had already handed the batch over', async () => {
    const ids = await enqueue(env.db, [email(1), email(2)]);
    // The crashed process: claimed, fixed the batch, sent it, died before recording the result.
    const at = new Date();
    const claimed = await claimDue(
      env.db,
      'crashed',
      at.toISOString(),
      new Date(at.getTime() + 200).toISOString(),
      100,
    );
    await assignBatches(env.db, 'crashed', ids, [{ ids, key: batchKeyFor(ids) }]);
    const outcome = await viaResend().send(claimed, batchKeyFor(ids));
    expect(outcome.kind).toBe('sent');
    // Its lease runs out; another process finds the messages and sends the same batch again.
    await sleep(250);
    expect(await mailer(viaResend()).drain()).toBe(2);
    expect(stub.requests).toHaveLength(2);
    expect(stub.requests[1]!.idempotencyKey).toBe(stub.requests[0]!.idempotencyKey);
    expect(stub.delivered).toHaveLength(2);
  });

  it('keeps to the configured rate limit', async () => {
    await stub.close();
    stub = await startResendStub({ ratePerSecond: 2 });
    const ids = await enqueue(
      env.db,
      Array.from({ length: 5 }, (_, i) => email(i)),
    );
    // Five separate batches: five requests.
    const at = new Date().toISOString();
    await claimDue(env.db, 'setup', at, at, 10);
    await splitBatch(env.db, 'setup', ids, at);
    const started = Date.now();
    expect(await mailer(viaResend(), { ratePerSecond: 2 }).drain()).toBe(5);
    expect(stub.requests.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
  });
});

describe('without a provider key', () => {
  it('writes each message as an .eml file named by its id, with text and HTML parts', async () => {
    const outbox = join(env.dir, 'outbox');
    const ids = await enqueue(env.db, [
      email(1, {
        subject: 'Überweisung verzögert: Zahlungen',
        headers: { 'X-Herald-Notice': 'reminder' },
      }),
      email(2),
    ]);
    expect(await mailer(emlTransport(outbox, FROM, now)).drain()).toBe(2);
    expect(readdirSync(outbox).sort()).toEqual(ids.map((id) => `${id}.eml`).sort());
    const parsed = parseEml(readFileSync(join(outbox, `${ids[0]}.eml`), 'utf8'));
    expect(parsed.headers['subject']).toBe('Überweisung verzögert: Zahlungen');
    expect(parsed.headers['to']).toBe('person1@example.com');
    expect(parsed.headers['x-herald-notice']).toBe('reminder');
    expect(parsed.headers['content-type']).toMatch(/^multipart\/alternative; boundary=/);
    expect(parsed.parts.map((p) => p.type)).toEqual(['text/plain', 'text/html']);
    expect(parsed.parts[0]!.body).toBe('Message 1\n');
    expect(parsed.parts[1]!.body).toBe('<p>Message 1</p>');
  });

  it('overwrites rather than duplicates when a message is written again after a crash', async () => {
    const outbox = join(env.dir, 'outbox');
    const [id] = await enqueue(env.db, [email(1)]);
    const transport = emlTransport(outbox, FROM, now);
    const [message] = await claimDue(
      env.db,
      'x',
      new Date().toISOString(),
      new Date().toISOString(),
      1,
    );
    await transport.send([message!], 'k');
    await transport.send([message!], 'k');
    expect(readdirSync(outbox)).toEqual([`${id}.eml`]);
  });
});
