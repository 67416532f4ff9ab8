import { expect } from 'vitest';
import { createFanoutWorker, type FanoutWorker } from '../../src/fanout/worker.ts';
import { createMailer, GIVE_UP_AFTER_MS, type Mailer } from '../../src/mail/mailer.ts';
import { createPersonaliser } from '../../src/mail/personalise.ts';
import { resendTransport } from '../../src/mail/resend-transport.ts';
import type { Harness } from '../support/harness.ts';
import type { ResendStub, StubEmail } from '../support/resend-stub.ts';

/** The fan-out worker and the mailer of a harness, sending to the local Resend stand-in. */
export function pipelineFor(
  h: Harness,
  stub: ResendStub,
): { fanout: FanoutWorker; mailer: Mailer; deliver(): Promise<void> } {
  const ctx = h.subscriptions;
  const mailer = createMailer({
    db: h.db,
    transport: resendTransport({
      apiKey: stub.apiKey,
      baseUrl: stub.url,
      from: 'Acme Status <status@acme.example>',
      now: h.clock.now,
    }),
    now: h.clock.now,
    log: () => undefined,
    pollMs: 50,
    leaseMs: 5_000,
    ratePerSecond: 1000,
    giveUpAfterMs: GIVE_UP_AFTER_MS,
    backoff: { baseMs: 10, maxMs: 100 },
    authPauseMs: 100,
    personalise: createPersonaliser(h.db, ctx.siteUrl, ctx.secret),
  });
  const fanout = createFanoutWorker({
    db: h.db,
    content: ctx.content,
    mail: ctx.mail,
    siteUrl: ctx.siteUrl,
    now: h.clock.now,
    log: () => undefined,
    pollMs: 50,
    minIntervalMs: ctx.content.policy.subscriberEmailMinIntervalSeconds * 1000,
    chunkSize: 7,
    leaseMs: 5_000,
    onQueued: () => undefined,
  });
  return {
    fanout,
    mailer,
    async deliver() {
      await fanout.runOnce();
      await mailer.drain();
    },
  };
}

/** A link of the given kind in an email's text part. */
export function linkIn(email: StubEmail, kind: 'confirm' | 'manage' | 'unsubscribe'): string {
  const match = new RegExp(
    `https?://[^\\s]+/v1/subscriptions/${kind}\\?token=[A-Za-z0-9_-]{43}`,
  ).exec(email.text);
  expect(match, `${kind} link in ${email.text}`).not.toBeNull();
  return match![0];
}

/** The path and query of a link, for `app.request`. */
export function pathOf(url: string): string {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
}
