import type { Content } from '../config/content.ts';
import { buildDigest, digestVariables, type DigestData } from '../domain/digest/build.ts';
import { dueDigestSlots, type DigestKind, type DigestSlot } from '../domain/digest/schedule.ts';
import { reviewListing } from '../domain/postmortems/review.ts';
import { dayKey } from '../lib/time.ts';
import type { MailTemplates, RenderedEmail } from '../mail/templates.ts';
import type { Db } from '../storage/db.ts';
import {
  digestScheduleSince,
  digestSlotsRecorded,
  incidentsOpenAfter,
  lastDigestEnd,
  recordDigest,
  type DigestRecord,
} from '../storage/digests.ts';
import { listIncidents, type Reader } from '../storage/incidents.ts';
import { randomId } from '../storage/keys.ts';
import { rootCauseCategories } from '../storage/metrics.ts';
import { enqueueEmail } from '../storage/outbox.ts';
import { reviewsPending, unfinishedPostmortems } from '../storage/postmortems.ts';
import { severityHistories } from '../storage/severity-history.ts';

export interface DigestDeps {
  db: Db;
  content: Content;
  mail: MailTemplates;
  siteUrl: string;
  /** When the schedule first ran on the database, once read (it never changes). */
  scheduleSince?: string;
}

/** A digest with nothing sent before it covers the last day. */
const FIRST_PERIOD_MS = 86_400_000;

export const DIGEST_TEMPLATE = 'executive/digest';

export interface ComposedDigest extends RenderedEmail {
  data: DigestData;
}

/**
 * Reads what the digest reports (every incident, severity histories, root-cause categories, the
 * overdue reviews and action items) and renders it, covering the time since the last digest sent.
 */
export async function composeDigest(
  deps: DigestDeps,
  read: Reader,
  kind: DigestKind,
  now: Date,
): Promise<ComposedDigest> {
  const incidents = await listIncidents(read, {});
  const severityHistory = await severityHistories(read);
  const pending = await reviewsPending(read, '');
  const overdue = reviewListing(
    deps.content.policy,
    pending.map((p) => ({ ...p, severity_history: severityHistory.get(p.id) })),
    await unfinishedPostmortems(read),
    true,
    dayKey(now.getTime(), deps.content.site.timezone),
    now,
  );
  const last = await lastDigestEnd(read);
  const from =
    last !== null && Date.parse(last) < now.getTime()
      ? new Date(last)
      : new Date(now.getTime() - FIRST_PERIOD_MS);
  const data = buildDigest(
    deps.content,
    {
      incidents,
      severityHistory,
      rootCauseCategory: await rootCauseCategories(read),
      overdue,
    },
    kind,
    from,
    now,
  );
  const email = deps.mail.render(
    DIGEST_TEMPLATE,
    digestVariables(deps.content, deps.siteUrl, data),
  );
  return { ...email, data };
}

/**
 * Sends one digest: in ONE transaction it checks the slot is not recorded yet, composes the digest,
 * records it under the slot's unique key and queues an email per executive. Two processes, or a
 * process killed half-way, can neither send a slot twice nor record one whose emails were not
 * queued. Returns null when the slot was already sent.
 */
export async function sendDigest(
  deps: DigestDeps,
  slot: { key: string; kind: DigestKind; at: string },
  now: Date,
  actor: string | null = null,
): Promise<DigestRecord | null> {
  const at = now.toISOString();
  return deps.db.write(async (tx) => {
    if ((await digestSlotsRecorded(tx.execute, [slot.key])).size > 0) return null;
    const composed = await composeDigest(deps, tx.execute, slot.kind, now);
    const recipients = deps.content.policy.recipients.executives;
    const record: DigestRecord = {
      id: randomId(),
      slot_key: slot.key,
      kind: slot.kind,
      slot_at: slot.at,
      sent_at: at,
      period_from: composed.data.period.from,
      period_to: composed.data.period.to,
      recipients,
      outcome: recipients.length === 0 ? 'skipped_no_recipients' : 'queued',
      subject: composed.subject,
      html: composed.html,
      text: composed.text,
      data: composed.data,
      actor,
    };
    if (!(await recordDigest(tx, record))) return null;
    for (const to of recipients) {
      await enqueueEmail(
        tx,
        randomId(16),
        {
          dedupeKey: `digest/${slot.key}/${to.toLowerCase()}`,
          kind: `digest.${slot.kind}`,
          to,
          subject: composed.subject,
          html: composed.html,
          text: composed.text,
          headers: { 'X-Herald-Digest': slot.key },
        },
        at,
      );
    }
    return record;
  });
}

/** The scheduled slots owed at `now` (see `dueDigestSlots`), read from the database. */
export async function dueSlots(deps: DigestDeps, now: Date): Promise<DigestSlot[]> {
  const policy = deps.content.policy.digest;
  if (policy === null) return [];
  const since = (deps.scheduleSince ??= await deps.db.write((tx) =>
    digestScheduleSince(tx, now.toISOString()),
  ));
  const every = (policy.whileSevereEverySeconds ?? 0) * 1000;
  const open =
    every > 0
      ? await incidentsOpenAfter(deps.db.query, new Date(now.getTime() - every).toISOString())
      : [];
  const history = await severityHistories(
    deps.db.query,
    open.map((i) => i.id),
  );
  const incidents = open.map((i) => ({ ...i, severity_history: history.get(i.id) }));
  const candidates = dueDigestSlots(
    policy,
    deps.content.site.timezone,
    incidents,
    since,
    new Set(),
    now,
  );
  const sent = await digestSlotsRecorded(
    deps.db.query,
    candidates.map((s) => s.key),
  );
  return candidates.filter((slot) => !sent.has(slot.key));
}

/** Sends every scheduled digest owed at `now`; returns those this call sent. */
export async function digestPass(deps: DigestDeps, now: Date): Promise<DigestRecord[]> {
  const sent: DigestRecord[] = [];
  for (const slot of await dueSlots(deps, now)) {
    const record = await sendDigest(deps, slot, now);
    if (record) sent.push(record);
  }
  return sent;
}
