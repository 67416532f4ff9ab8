// The batch body Herald sends Resend: the SDK's layout, the same bytes on every retry, and written
// a slice at a time so the server's thread is never held for the whole batch.
import { describe, expect, it } from 'vitest';
import { serialiseBatch } from '../../src/mail/resend-transport.ts';
import type { OutboxMessage } from '../../src/storage/outbox.ts';

function message(i: number): OutboxMessage {
  return {
    id: `m${i}`,
    dedupeKey: `d${i}`,
    kind: 'subscriber.update',
    to: `s${i}@example.com`,
    subject: i === 0 ? 'Literally =?UTF-8?B?SGk=?= in a title' : '[Investigating] Checkout — Acme',
    html: `<p>Update "${i}" </p>`,
    text: `Update ${i}\n`,
    headers: { 'List-Unsubscribe': `<https://status.example/u?t=${i}>` },
    bodyId: null,
    subscriberId: null,
    confirmationId: null,
    status: 'pending',
    attempts: 0,
    batchKey: 'k',
    createdAt: '2026-11-27T10:00:00.000Z',
    sentAt: null,
    lastError: null,
    providerId: null,
  };
}

describe('the Resend batch body', () => {
  it("is the JSON array of Resend's email objects, in order, with a subject a mail client would decode sent encoded", async () => {
    const messages = Array.from({ length: 25 }, (_, i) => message(i));
    const body = await serialiseBatch(messages, 'Acme Status <status@acme.example>');
    const parsed = JSON.parse(body) as Array<Record<string, unknown>>;
    expect(parsed).toHaveLength(25);
    expect(parsed[3]).toEqual({
      from: 'Acme Status <status@acme.example>',
      to: ['s3@example.com'],
      subject: '[Investigating] Checkout — Acme',
      html: '<p>Update "3" </p>',
      text: 'Update 3\n',
      headers: { 'List-Unsubscribe': '<https://status.example/u?t=3>' },
    });
    expect(parsed[0]!.subject).toMatch(/^=\?UTF-8\?[BQ]\?/i);
    expect(parsed[0]!.subject).not.toContain('Literally =?UTF-8?B?SGk=?=');
    // A retry sends the very same bytes (the provider's idempotency key stands for them).
    expect(await serialiseBatch(messages, 'Acme Status <status@acme.example>')).toBe(body);
  });

  it('lets the event loop turn between slices of ten emails', async () => {
    const messages = Array.from({ length: 100 }, (_, i) => message(i));
    let done = false;
    const turnedBeforeDone = new Promise<boolean>((resolve) => setImmediate(() => resolve(!done)));
    await serialiseBatch(messages, 'status@acme.example');
    done = true;
    expect(await turnedBeforeDone).toBe(true);
  });
});
