import type { IncidentRecord } from '../../domain/types.ts';
import { touchedComponents } from '../routes.ts';
import type { SiteSnapshot } from '../snapshot.ts';
import { dayKey } from '../../lib/time.ts';

/**
 * Lookups over a snapshot's incidents, built once per incident list. The publisher replaces the
 * list on every change, so an index never outlives the data it was built from.
 */
interface Indexes {
  byId: Map<string, IncidentRecord>;
  byComponent: Map<string, IncidentRecord[]>;
}

const cache = new WeakMap<readonly IncidentRecord[], Indexes>();

function indexes(snapshot: Pick<SiteSnapshot, 'incidents'>): Indexes {
  let built = cache.get(snapshot.incidents);
  if (!built) {
    built = {
      byId: new Map(snapshot.incidents.map((incident) => [incident.id, incident])),
      byComponent: groupByComponent(snapshot.incidents),
    };
    cache.set(snapshot.incidents, built);
  }
  return built;
}

/** The incidents that touched each component, each list in the given order. */
export function groupByComponent(
  incidents: readonly IncidentRecord[],
): Map<string, IncidentRecord[]> {
  const lists = new Map<string, IncidentRecord[]>();
  for (const incident of incidents)
    for (const id of touchedComponents(incident)) {
      const list = lists.get(id);
      if (list) list.push(incident);
      else lists.set(id, [incident]);
    }
  return lists;
}

export function incidentById(
  snapshot: Pick<SiteSnapshot, 'incidents'>,
  id: string,
): IncidentRecord | undefined {
  return indexes(snapshot).byId.get(id);
}

/** The incidents that touched a component, in the snapshot's order (newest started first). */
export function incidentsOfComponent(
  snapshot: Pick<SiteSnapshot, 'incidents' | 'incidentsByComponent'>,
  componentId: string,
): IncidentRecord[] {
  const lists = snapshot.incidentsByComponent ?? indexes(snapshot).byComponent;
  return lists.get(componentId) ?? [];
}

const oldestCache = new WeakMap<readonly IncidentRecord[], Map<string, string>>();

/** When the oldest public incident that touched a component started, over the whole history. */
export function oldestStartOfComponent(
  snapshot: Pick<SiteSnapshot, 'incidents' | 'oldestStarts'>,
  componentId: string,
): string | undefined {
  if (snapshot.oldestStarts) return snapshot.oldestStarts.get(componentId);
  const history = snapshot.incidents;
  let oldest = oldestCache.get(history);
  if (!oldest) {
    oldest = new Map();
    // Newest started first: the last incident seen for a component is its oldest.
    for (const incident of history)
      for (const id of touchedComponents(incident)) oldest.set(id, incident.started_at);
    oldestCache.set(history, oldest);
  }
  return oldest.get(componentId);
}

/** The local days an incident started and was resolved on (null: open), in one time zone. */
export interface IncidentDays {
  zone: string;
  start: string;
  resolved: string | null;
}

/** Per record: a record is never changed in place (a change is a new record). */
const daysCache = new WeakMap<object, IncidentDays>();

/**
 * The local days of an incident's start and resolution, kept per record: the index's past days and
 * the uptime's day links ask again for the same hot incidents at every publish.
 */
export function incidentDays(
  incident: Pick<IncidentRecord, 'started_at' | 'resolved_at'>,
  zone: string,
): IncidentDays {
  let days = daysCache.get(incident);
  if (days?.zone !== zone) {
    days = {
      zone,
      start: dayKey(Date.parse(incident.started_at), zone),
      resolved:
        incident.resolved_at === null ? null : dayKey(Date.parse(incident.resolved_at), zone),
    };
    daysCache.set(incident, days);
  }
  return days;
}
