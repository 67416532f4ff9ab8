import { computeCadence } from '../domain/cadence.ts';
import { worstComponentStatus, type IncidentRecord, type Update } from '../domain/types.ts';
import { messageToPlainText } from './message.ts';
import type { ApiFile } from './routes.ts';
import type { SiteSnapshot } from './snapshot.ts';
import { cleanText } from './text.ts';
import { activeIncidents, currentStatus, overallStatus } from './views/status.ts';
import { isRunning } from '../domain/maintenances/lifecycle.ts';
import type { MaintenanceRecord } from '../domain/maintenances/types.ts';

/** Statuspage lists this many recent incidents in `incidents.json`. */
export const RECENT_INCIDENTS = 50;

export function pageId(snapshot: SiteSnapshot): string {
  return (
    cleanText(snapshot.site.name)
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'herald'
  );
}

/** The oldest fact the site knows: stands in for creation dates Herald does not record. */
function epoch(snapshot: SiteSnapshot): string {
  const oldest = snapshot.history
    ? snapshot.history.oldestStart()
    : (snapshot.incidents.at(-1)?.started_at ?? null);
  return oldest ?? snapshot.now.toISOString();
}

function pageObject(snapshot: SiteSnapshot) {
  let updatedAt = epoch(snapshot);
  for (const incident of snapshot.incidents.slice(0, RECENT_INCIDENTS)) {
    if (incident.updated_at > updatedAt) updatedAt = incident.updated_at;
  }
  for (const { updated_at } of snapshot.componentStatus.values()) {
    if (updated_at > updatedAt) updatedAt = updated_at;
  }
  for (const m of snapshot.maintenances ?? []) {
    if (m.updated_at > updatedAt) updatedAt = m.updated_at;
  }
  return {
    id: pageId(snapshot),
    name: cleanText(snapshot.site.name),
    url: snapshot.siteUrl,
    time_zone: snapshot.site.timezone,
    updated_at: updatedAt,
  };
}

export function componentObjects(snapshot: SiteSnapshot) {
  const page_id = pageId(snapshot);
  const epochAt = epoch(snapshot);
  // When this installation first saw the entry; the oldest fact the site knows when unrecorded
  // (or when the history goes back further, as after an import).
  const createdAt = (id: string) => {
    const seen = snapshot.firstSeen?.get(id);
    return seen && seen < epochAt ? seen : epochAt;
  };
  const components = snapshot.catalog.components.map((c) => ({
    id: c.id,
    name: cleanText(c.name),
    status: currentStatus(snapshot, c.id),
    created_at: createdAt(c.id),
    updated_at: snapshot.componentStatus.get(c.id)?.updated_at ?? createdAt(c.id),
    position: c.position,
    description: c.description ? cleanText(c.description) : null,
    showcase: true,
    start_date: null,
    group_id: c.groupId,
    page_id,
    group: false,
    only_show_if_degraded: c.onlyShowIfDegraded,
  }));
  const groups = snapshot.catalog.groups.map((g) => {
    const members = components.filter((c) => c.group_id === g.id);
    const created_at = createdAt(g.id);
    // A group's status is its members' worst: it moves whenever a member's status does.
    const updated_at = members.reduce(
      (latest, c) => (c.updated_at > latest ? c.updated_at : latest),
      created_at,
    );
    return {
      id: g.id,
      name: cleanText(g.name),
      status: worstComponentStatus(members.map((c) => c.status)),
      created_at,
      updated_at,
      position: g.position,
      description: g.description ? cleanText(g.description) : null,
      showcase: false,
      start_date: null,
      group_id: null,
      page_id,
      group: true,
      only_show_if_degraded: false,
      components: g.componentIds,
    };
  });
  // Statuspage's order: each group followed by its members, then the ungrouped components.
  // Positions count as Statuspage's do: groups and ungrouped components along the page, and the
  // members of a group within their group.
  let top = 0;
  const ordered = [
    ...groups.flatMap((g) => [
      { ...g, position: ++top },
      ...components
        .filter((c) => c.group_id === g.id)
        .map((c, index) => ({ ...c, position: index + 1 })),
    ]),
    ...components.filter((c) => c.group_id === null).map((c) => ({ ...c, position: ++top })),
  ];
  return ordered;
}

function updateObject(snapshot: SiteSnapshot, update: Update) {
  return {
    id: update.id,
    status: update.status,
    body: messageToPlainText(update.message),
    incident_id: update.incident_id,
    created_at: update.created_at,
    updated_at: update.created_at,
    display_at: update.display_at,
    affected_components: update.components.map((c) => ({
      code: c.id,
      name: cleanText(snapshot.catalog.byId.get(c.id)?.name ?? c.id),
      old_status: c.old_status,
      new_status: c.new_status,
    })),
    deliver_notifications: update.notify,
  };
}

export function incidentObject(
  snapshot: SiteSnapshot,
  incident: IncidentRecord,
  components: ReturnType<typeof componentObjects>,
) {
  const affected = new Set(incident.components.map((c) => c.id));
  return {
    id: incident.id,
    name: cleanText(incident.title),
    status: incident.status,
    created_at: incident.created_at,
    updated_at: incident.updated_at,
    monitoring_at: incident.monitoring_at,
    resolved_at: incident.resolved_at,
    impact: incident.impact,
    shortlink: `${snapshot.siteUrl}/incidents/${incident.id}/`,
    started_at: incident.started_at,
    page_id: pageId(snapshot),
    incident_updates: incident.updates.map((u) => updateObject(snapshot, u)),
    // Herald's marker of a published postmortem (Statuspage's own name for the field).
    postmortem_published_at: incident.postmortem?.published_at ?? null,
    components: components.filter((c) => !c.group && affected.has(c.id)),
    // Herald's addition (clients ignore unknown fields): when the next public update is promised,
    // so an open status page can show "Next update by" as it refreshes itself from this file.
    next_update_at: computeCadence(snapshot.policy, incident, snapshot.now).next_update_due_at,
  };
}

/** A scheduled maintenance as the public artifacts show it (no author, nothing internal). */
export interface MaintenanceFacts {
  id: string;
  title: string;
  status: 'scheduled' | 'in_progress' | 'verifying' | 'completed' | 'cancelled';
  impact: 'none' | 'minor' | 'major' | 'critical' | 'maintenance';
  components: string[];
  scheduled_for: string;
  scheduled_until: string;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  resolved_at: string | null;
  /** Newest first. */
  updates: Array<{
    id: string;
    status: string;
    message: string;
    created_at: string;
    display_at: string;
  }>;
}

export function maintenanceFacts(m: MaintenanceRecord): MaintenanceFacts {
  return {
    id: m.id,
    title: m.title,
    status: m.status,
    impact: 'maintenance',
    components: m.components,
    scheduled_for: m.scheduled_for,
    scheduled_until: m.scheduled_until,
    created_at: m.created_at,
    updated_at: m.updated_at,
    started_at: m.started_at,
    resolved_at: m.completed_at ?? m.cancelled_at,
    updates: m.updates.map((u) => ({
      id: u.id,
      status: u.status,
      message: u.message,
      created_at: u.created_at,
      display_at: u.display_at,
    })),
  };
}

/** Statuspage's `scheduled_maintenances[]` entry. */
export function maintenanceObject(
  snapshot: SiteSnapshot,
  m: MaintenanceFacts,
  components: ReturnType<typeof componentObjects>,
) {
  const affected = new Set(m.components);
  return {
    id: m.id,
    name: cleanText(m.title),
    status: m.status,
    created_at: m.created_at,
    updated_at: m.updated_at,
    monitoring_at: null,
    resolved_at: m.resolved_at,
    impact: m.impact,
    shortlink: `${snapshot.siteUrl}/maintenances/${m.id}/`,
    started_at: m.started_at,
    page_id: pageId(snapshot),
    incident_updates: m.updates.map((u) => ({
      id: u.id,
      status: u.status,
      body: messageToPlainText(u.message),
      incident_id: m.id,
      created_at: u.created_at,
      updated_at: u.created_at,
      display_at: u.display_at,
      affected_components: [],
      deliver_notifications: true,
    })),
    components: components.filter((c) => !c.group && affected.has(c.id)),
    scheduled_for: m.scheduled_for,
    scheduled_until: m.scheduled_until,
  };
}

/** Statuspage lists this many maintenances in `scheduled-maintenances.json`. */
const RECENT_MAINTENANCES = 50;

function maintenanceList(snapshot: SiteSnapshot, which: 'all' | 'upcoming' | 'active' | 'summary') {
  const all = snapshot.maintenances ?? [];
  const chosen =
    which === 'all'
      ? all.slice(0, RECENT_MAINTENANCES)
      : all
          .filter((m) =>
            which === 'upcoming'
              ? m.status === 'scheduled'
              : which === 'active'
                ? isRunning(m.status)
                : m.status === 'scheduled' || isRunning(m.status),
          )
          // Soonest first, as a reader of "what is coming" wants them.
          .sort((a, b) => (a.scheduled_for < b.scheduled_for ? -1 : 1));
  const components = componentObjects(snapshot);
  return chosen.map((m) => maintenanceObject(snapshot, maintenanceFacts(m), components));
}

/** One `/api/v2/*.json` document in Atlassian Statuspage's v2 field layout (SPEC §7). */
export function statuspageDocument(snapshot: SiteSnapshot, file: ApiFile): unknown {
  const page = pageObject(snapshot);
  const overall = overallStatus(snapshot);
  const status = { indicator: overall.indicator, description: overall.description };
  switch (file) {
    case 'status.json':
      return { page, status };
    case 'components.json':
      return { page, components: componentObjects(snapshot) };
    case 'incidents.json': {
      const components = componentObjects(snapshot);
      const recent = snapshot.incidents.slice(0, RECENT_INCIDENTS);
      return { page, incidents: recent.map((i) => incidentObject(snapshot, i, components)) };
    }
    case 'incidents/unresolved.json': {
      const components = componentObjects(snapshot);
      return {
        page,
        incidents: activeIncidents(snapshot).map((i) => incidentObject(snapshot, i, components)),
      };
    }
    case 'summary.json': {
      const components = componentObjects(snapshot);
      return {
        page,
        components,
        incidents: activeIncidents(snapshot).map((i) => incidentObject(snapshot, i, components)),
        scheduled_maintenances: maintenanceList(snapshot, 'summary'),
        status,
      };
    }
    case 'scheduled-maintenances.json':
      return { page, scheduled_maintenances: maintenanceList(snapshot, 'all') };
    case 'scheduled-maintenances/upcoming.json':
      return { page, scheduled_maintenances: maintenanceList(snapshot, 'upcoming') };
    case 'scheduled-maintenances/active.json':
      return { page, scheduled_maintenances: maintenanceList(snapshot, 'active') };
  }
}
