import type { OutboxMessage } from '../storage/outbox.ts';
import { writeEml } from './eml.ts';
import type { SendOutcome, Transport } from './transport.ts';

/** Without a provider key every message becomes `<outboxDir>/<id>.eml`: never dropped silently. */
export function emlTransport(outboxDir: string, from: string, now: () => Date): Transport {
  return {
    name: 'eml',
    maxBatch: 100,
    describe: () => `RESEND_API_KEY is not set: emails are written as .eml files to ${outboxDir}`,
    async send(messages: OutboxMessage[], _key, dispatching): Promise<SendOutcome> {
      dispatching?.();
      try {
        for (const message of messages) {
          await writeEml(outboxDir, { ...message, from, date: now() });
        }
        return { kind: 'sent', providerIds: messages.map(() => null) };
      } catch (error) {
        // A full disk or a permission problem may well pass: retry with back-off.
        return {
          kind: 'retry',
          cause: 'transient',
          error: (error as Error).message,
          retryAfterMs: null,
        };
      }
    },
  };
}
