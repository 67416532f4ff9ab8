import { Hono } from 'hono';
import { cadenceAdherence } from '../../domain/adherence.ts';
import { cadenceWindowStart, computeCadence } from '../../domain/cadence.ts';
import { recordedEscalationLevel } from '../../domain/notifications.ts';
import { listIncidents } from '../../storage/incidents.ts';
import { noticesForOpenIncidents } from '../../storage/notices.ts';
import { severityHistories } from '../../storage/severity-history.ts';
import type { AppDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { requireScope } from '../middleware/auth.ts';

/**
 * Every open incident's cadence as of now, with what the scheduler has actually sent: the notices
 * of the current window (a public update starts a new one, so the list empties), the executive
 * notices of the incident, and the share of windows met on time so far. `escalation_level` is how
 * far the window has escalated in fact (from the recorded notices); `due_escalation_level` is how
 * far the clock says it should have, which runs ahead between ticks.
 */
export function cadenceRoutes(deps: AppDeps) {
  return new Hono<AppEnv>().get('/', requireScope(deps.db, deps.now, 'read'), async (c) => {
    const now = deps.now();
    const query = deps.db.query;
    const open = await listIncidents(query, { status: 'open' });
    const notices = await noticesForOpenIncidents(query);
    const history = await severityHistories(
      query,
      open.map((i) => i.id),
    );
    const incidents = open
      .map((incident) => {
        const cadence = computeCadence(deps.content.policy, incident, now);
        const window = cadenceWindowStart(incident);
        const sent = notices.get(incident.id) ?? [];
        return {
          incident_id: incident.id,
          title: incident.title,
          severity: incident.severity,
          status: incident.status,
          visibility: incident.visibility,
          ...cadence,
          escalation_level:
            cadence.interval_seconds === null ? 0 : recordedEscalationLevel(sent, window),
          due_escalation_level: cadence.escalation_level,
          window_started_at: cadence.interval_seconds === null ? null : window,
          notices_sent: sent
            .filter((n) => n.kind !== 'executive_notice' && n.window_key === window)
            .map((n) => ({
              kind: n.kind,
              sent_at: n.sent_at,
              recipients: n.recipients.length,
              outcome: n.outcome,
            })),
          executive_notices: sent
            .filter((n) => n.kind === 'executive_notice')
            .map((n) => ({ severity: n.window_key, sent_at: n.sent_at, outcome: n.outcome })),
          adherence: cadenceAdherence(
            deps.content.policy,
            { ...incident, severity_history: history.get(incident.id) },
            now,
          ),
        };
      })
      // most urgent first: overdue longest, then due soonest
      .sort((a, b) =>
        (a.next_update_due_at ?? '9999').localeCompare(b.next_update_due_at ?? '9999'),
      );
    return c.json({ now: now.toISOString(), incidents });
  });
}
