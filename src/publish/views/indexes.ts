import type { IncidentRecord } from '../../domain/types.ts';
import { touchedComponents } from '../routes.ts';
import type { SiteSnapshot } from '../snapshot.ts';

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
    built = { byId: new Map(), byComponent: new Map() };
    for (const incident of snapshot.incidents) {
      built.byId.set(incident.id, incident);
      for (const id of touchedComponents(incident)) {
        const list = built.byComponent.get(id);
        if (list) list.push(incident);
        else built.byComponent.set(id, [incident]);
      }
    }
    cache.set(snapshot.incidents, built);
  }
  return built;
}

export function incidentById(
  snapshot: Pick<SiteSnapshot, 'incidents'>,
  id: string,
): IncidentRecord | undefined {
  return indexes(snapshot).byId.get(id);
}

/** The incidents that touched a component, in the snapshot's order (newest started first). */
export function incidentsOfComponent(
  snapshot: Pick<SiteSnapshot, 'incidents'>,
  componentId: string,
): IncidentRecord[] {
  return indexes(snapshot).byComponent.get(componentId) ?? [];
}
