import { deriveToken } from '../domain/subscriptions/tokens.ts';
import type { Db } from '../storage/db.ts';
import { findMailBodies, type MailBody } from '../storage/fanout.ts';
import type { OutboxMessage } from '../storage/outbox.ts';
import { escapeHtml } from '../publish/text.ts';

/** Turns queued rows into the messages the transport hands over. */
export type Personalise = (messages: OutboxMessage[]) => Promise<OutboxMessage[]>;

/** Where a subscriber's links point: the API's public URL. */
export function subscriptionLinks(apiUrl: string, secret: Buffer) {
  const base = `${apiUrl.replace(/\/$/, '')}/v1/subscriptions`;
  return {
    manage: (subscriberId: string) =>
      `${base}/manage?token=${deriveToken(secret, 'manage', subscriberId)}`,
    unsubscribe: (subscriberId: string) =>
      `${base}/unsubscribe?token=${deriveToken(secret, 'manage', subscriberId)}`,
    confirm: (confirmationId: string) =>
      `${base}/confirm?token=${deriveToken(secret, 'confirm', confirmationId)}`,
  };
}

/**
 * Makes each message of a shared body: the body rendered once per update, with this recipient's
 * links put in place of the body's placeholders (HTML-escaped in the HTML part). Deterministic:
 * the same row always becomes the same message, so a retried batch is the same request and the
 * provider's idempotency key holds. Bodies are cached: a batch of 100 deliveries of one update
 * reads its body once.
 */
export function createPersonaliser(db: Db, apiUrl: string, secret: Buffer): Personalise {
  const links = subscriptionLinks(apiUrl, secret);
  const cache = new Map<string, CompiledBody>();
  return async function personalise(messages) {
    const missing = [
      ...new Set(messages.map((m) => m.bodyId).filter((id): id is string => id !== null)),
    ].filter((id) => !cache.has(id));
    if (missing.length > 0) {
      for (const [id, body] of await findMailBodies(db.query, missing))
        cache.set(id, compileBody(body));
      // A long-running process sends many updates: keep only recent bodies.
      while (cache.size > 200) cache.delete(cache.keys().next().value!);
    }
    return messages.map((message) => {
      if (message.bodyId === null) return message;
      const body = cache.get(message.bodyId);
      if (!body) throw new Error(`mail body ${message.bodyId} of message ${message.id} is missing`);
      const values: Record<LinkName, string> = {
        manage: message.subscriberId ? links.manage(message.subscriberId) : '',
        unsubscribe: message.subscriberId ? links.unsubscribe(message.subscriberId) : '',
        confirm: message.confirmationId ? links.confirm(message.confirmationId) : '',
      };
      const escaped: Record<LinkName, string> = {
        manage: escapeHtml(values.manage),
        unsubscribe: escapeHtml(values.unsubscribe),
        confirm: escapeHtml(values.confirm),
      };
      return {
        ...message,
        subject: fill(body.subject, values),
        html: fill(body.html, escaped),
        text: fill(body.text, values),
        headers: Object.fromEntries(
          body.headers.map(([name, value]) => [name, fill(value, values)]),
        ),
      };
    });
  };
}

type LinkName = 'manage' | 'unsubscribe' | 'confirm';

/** A text split at its placeholders once: literal, link name, literal, …, literal. */
type Split = string[];

interface CompiledBody {
  subject: Split;
  html: Split;
  text: Split;
  headers: Array<[string, Split]>;
}

/** Splits each part of a body at `<marker>-manage` (and the others), once per body. */
function compileBody(body: MailBody): CompiledBody {
  const placeholder = new RegExp(`${body.marker}-(manage|unsubscribe|confirm)`);
  const split = (text: string) => text.split(placeholder);
  return {
    subject: split(body.subject),
    html: split(body.html),
    text: split(body.text),
    headers: Object.entries(body.headers).map(([name, value]) => [name, split(value)]),
  };
}

function fill(parts: Split, values: Record<LinkName, string>): string {
  if (parts.length === 1) return parts[0]!;
  let out = '';
  for (let i = 0; i < parts.length; i++)
    out += i % 2 === 1 ? values[parts[i] as LinkName] : parts[i];
  return out;
}
