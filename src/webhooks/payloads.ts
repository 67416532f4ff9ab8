import type { ComponentStatus, IncidentRecord, Update } from '../domain/types.ts';
import type { ChatSummary } from '../domain/webhooks/chat.ts';
import { messageToPlainText } from '../publish/message.ts';
import type { SiteSnapshot } from '../publish/snapshot.ts';
import {
  componentObjects,
  incidentObject,
  maintenanceObject,
  pageId,
  type MaintenanceFacts,
} from '../publish/statuspage.ts';
import { cleanText } from '../publish/text.ts';
import {
  COMPONENT_STATUS_LABEL,
  INCIDENT_STATUS_LABEL,
  overallStatus,
} from '../publish/views/status.ts';

export type EventType =
  'incident.updated' | 'component.updated' | 'maintenance.updated' | 'verification';

/**
 * An event as rendered once, for every endpoint: the Statuspage-layout body (without
 * `meta.unsubscribe` and `meta.documentation`, put in when it is sent) and the summary a
 * chat message is made from.
 */
export interface RenderedEvent {
  type: EventType;
  body: Record<string, unknown> & { meta: Record<string, unknown> };
  chat: ChatSummary;
}

function pageOf(snapshot: SiteSnapshot) {
  const overall = overallStatus(snapshot);
  return {
    id: pageId(snapshot),
    status_indicator: overall.indicator,
    status_description: overall.description,
  };
}

function meta(eventId: string, type: EventType, at: string) {
  return {
    unsubscribe: '',
    documentation: '',
    event_id: eventId,
    event_type: type,
    generated_at: at,
  };
}

/** The incident as of `update`: its timeline up to that update, nothing posted after it. */
function incidentAsOf(incident: IncidentRecord, update: Update): IncidentRecord {
  return { ...incident, updates: incident.updates.filter((u) => u.seq <= update.seq) };
}

function componentNames(snapshot: SiteSnapshot, ids: string[]): string[] {
  return ids.map((id) => cleanText(snapshot.catalog.byId.get(id)?.name ?? id));
}

/** Statuspage's incident event: `{meta, page, incident}` with the incident as `/api/v2` shows it. */
export function incidentEvent(
  snapshot: SiteSnapshot,
  eventId: string,
  incident: IncidentRecord,
  update: Update,
): RenderedEvent {
  const components = componentObjects(snapshot);
  const asOf = incidentAsOf(incident, update);
  const body = {
    meta: meta(eventId, 'incident.updated', snapshot.now.toISOString()),
    page: pageOf(snapshot),
    incident: incidentObject(snapshot, asOf, components),
  };
  const affected = [
    ...new Set([...incident.components.map((c) => c.id), ...update.components.map((c) => c.id)]),
  ];
  return {
    type: 'incident.updated',
    body,
    chat: {
      title: cleanText(incident.title),
      status: INCIDENT_STATUS_LABEL[update.status],
      tone:
        update.status === 'resolved'
          ? 'ok'
          : incident.impact === 'critical' || incident.impact === 'major'
            ? 'major'
            : 'minor',
      message: messageToPlainText(update.message),
      components: componentNames(snapshot, affected),
      url: `${snapshot.siteUrl}/incidents/${incident.id}/`,
      siteName: cleanText(snapshot.site.name),
      at: update.display_at,
    },
  };
}

/** Statuspage's component event: `{meta, page, component_update, component}`. */
export function componentEvent(
  snapshot: SiteSnapshot,
  eventId: string,
  change: {
    updateId: string;
    componentId: string;
    oldStatus: ComponentStatus;
    newStatus: ComponentStatus;
    at: string;
  },
): RenderedEvent | null {
  const component = componentObjects(snapshot).find((c) => c.id === change.componentId && !c.group);
  if (!component) return null;
  const body = {
    meta: meta(eventId, 'component.updated', snapshot.now.toISOString()),
    page: pageOf(snapshot),
    component_update: {
      created_at: change.at,
      new_status: change.newStatus,
      old_status: change.oldStatus,
      id: `${change.updateId}-${change.componentId}`,
      component_id: change.componentId,
    },
    component: { ...component, status: change.newStatus },
  };
  return {
    type: 'component.updated',
    body,
    chat: {
      title: component.name,
      status: COMPONENT_STATUS_LABEL[change.newStatus],
      tone:
        change.newStatus === 'operational'
          ? 'ok'
          : change.newStatus === 'major_outage'
            ? 'major'
            : 'minor',
      message: `${component.name} changed from ${COMPONENT_STATUS_LABEL[change.oldStatus]} to ${COMPONENT_STATUS_LABEL[change.newStatus]}.`,
      components: [component.name],
      url: `${snapshot.siteUrl}/components/${component.id}/`,
      siteName: cleanText(snapshot.site.name),
      at: change.at,
    },
  };
}

export type { MaintenanceFacts } from '../publish/statuspage.ts';

/**
 * Herald's maintenance event, in the same style: `{meta, page, scheduled_maintenance}` where the
 * maintenance is exactly what `/api/v2/scheduled-maintenances.json` lists (Statuspage's
 * `scheduled_maintenances[]`: an incident with `scheduled_for` and `scheduled_until`).
 */
export function maintenanceEvent(
  snapshot: SiteSnapshot,
  eventId: string,
  m: MaintenanceFacts,
): RenderedEvent {
  const scheduled_maintenance = maintenanceObject(snapshot, m, componentObjects(snapshot));
  const latest = m.updates[0];
  const body = {
    meta: meta(eventId, 'maintenance.updated', snapshot.now.toISOString()),
    page: pageOf(snapshot),
    scheduled_maintenance,
  };
  return {
    type: 'maintenance.updated',
    body,
    chat: {
      title: cleanText(m.title),
      status: `Maintenance ${m.status.replace('_', ' ')}`,
      tone: 'maint',
      message: latest
        ? messageToPlainText(latest.message)
        : `Scheduled ${m.scheduled_for} to ${m.scheduled_until}.`,
      components: scheduled_maintenance.components.map((c) => c.name),
      url: `${snapshot.siteUrl}/maintenances/${m.id}/`,
      siteName: cleanText(snapshot.site.name),
      at: m.updated_at,
    },
  };
}

/**
 * The verification event sent to a new endpoint: a one-time code to echo back (in the response
 * body, or by opening `confirm_url`), in the same layout so a receiver can tell it apart by
 * `meta.event_type`.
 */
export function verificationEvent(
  snapshot: SiteSnapshot,
  eventId: string,
  code: string,
  confirmUrl: string,
): RenderedEvent {
  const name = cleanText(snapshot.site.name);
  return {
    type: 'verification',
    body: {
      meta: meta(eventId, 'verification', snapshot.now.toISOString()),
      page: pageOf(snapshot),
      verification: {
        code,
        confirm_url: confirmUrl,
        message: `Confirm this webhook for ${name}: answer this request with {"code": "<code>"}, or open confirm_url.`,
      },
    },
    chat: {
      title: `Confirm status updates from ${name}`,
      status: 'Confirmation needed',
      tone: 'minor',
      message: `Someone asked for ${name} status updates in this channel. Open the link within 48 hours to confirm; otherwise nothing more is sent.`,
      components: [],
      url: confirmUrl,
      siteName: name,
      at: snapshot.now.toISOString(),
    },
  };
}
