import type { Content } from '../config/content.ts';
import { computeCadence } from '../domain/cadence.ts';
import {
  AUDIENCE_OF,
  planNotices,
  recipientsFor,
  type NoticeOutcome,
  type PlannedNotice,
} from '../domain/notifications.ts';
import { planReviewNotices, reviewDueAt } from '../domain/postmortems/review.ts';
import type { MailTemplates } from '../mail/templates.ts';
import type { Db } from '../storage/db.ts';
import { findIncident } from '../storage/incidents.ts';
import { randomId } from '../storage/keys.ts';
import { noticesForIncident, recordNotice } from '../storage/notices.ts';
import { enqueueEmail } from '../storage/outbox.ts';
import { findPostmortem } from '../storage/postmortems.ts';
import { severityHistories } from '../storage/severity-history.ts';
import { noticeVariables, TEMPLATE_FOR } from './messages.ts';

export interface ActDeps {
  db: Db;
  content: Content;
  mail: MailTemplates;
  siteUrl: string;
}

export interface Acted {
  notice: PlannedNotice;
  recipients: string[];
  outcome: NoticeOutcome;
}

/**
 * Sends what is due for one incident: the cadence ladder and executive notice while it is open,
 * the post-incident review's reminder and overdue notice once it is resolved. In ONE transaction it re-reads the incident and the notices
 * already recorded, plans, records each notice under its unique key and queues its emails: two
 * processes acting at once, or a process killed half-way, can neither send a notice twice nor
 * record one whose emails were not queued. Reading inside the transaction also means a public
 * update that just arrived is seen, so no stale "overdue" goes out after it. A notice nobody can
 * receive is recorded as `skipped_no_recipients` (and reported by the caller), never as sent.
 */
export async function actOnIncident(
  deps: ActDeps,
  incidentId: string,
  now: Date,
): Promise<Acted[]> {
  const at = now.toISOString();
  return deps.db.write(async (tx) => {
    const read = tx.execute;
    const incident = await findIncident(read, incidentId);
    if (!incident) return [];
    const sent = await noticesForIncident(read, incidentId);
    let plan: PlannedNotice[];
    let reviewDue: string | null = null;
    if (incident.status === 'resolved') {
      const history = (await severityHistories(read, [incidentId])).get(incidentId);
      const review = { ...incident, severity_history: history };
      const completedAt = (await findPostmortem(read, incidentId))?.completed_at ?? null;
      plan = planReviewNotices(deps.content.policy, review, completedAt, sent, now);
      reviewDue = reviewDueAt(deps.content.policy, review);
    } else {
      plan = planNotices(deps.content.policy, incident, sent, now);
    }
    if (plan.length === 0) return [];
    const cadence = computeCadence(deps.content.policy, incident, now);
    const acted: Acted[] = [];
    for (const notice of plan) {
      const recipients = recipientsFor(
        AUDIENCE_OF[notice.kind],
        deps.content.policy,
        incident.roles,
      );
      const outcome: NoticeOutcome = recipients.length === 0 ? 'skipped_no_recipients' : 'queued';
      const recorded = await recordNotice(tx, {
        incident_id: incidentId,
        window_key: notice.window_key,
        kind: notice.kind,
        sent_at: at,
        recipients,
        outcome,
      });
      if (!recorded) continue;
      acted.push({ notice, recipients, outcome });
      if (outcome !== 'queued') continue;
      const email = deps.mail.render(
        TEMPLATE_FOR[notice.kind],
        noticeVariables({
          kind: notice.kind,
          incident,
          cadence,
          content: deps.content,
          siteUrl: deps.siteUrl,
          now,
          reviewDueAt: reviewDue,
        }),
      );
      for (const to of recipients) {
        await enqueueEmail(
          tx,
          randomId(16),
          {
            dedupeKey: `cadence/${incidentId}/${notice.window_key}/${notice.kind}/${to.toLowerCase()}`,
            kind: `cadence.${notice.kind}`,
            to,
            ...email,
            headers: { 'X-Herald-Incident': incidentId, 'X-Herald-Notice': notice.kind },
          },
          at,
        );
      }
    }
    return acted;
  });
}
