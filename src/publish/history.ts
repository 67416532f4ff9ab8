import type { IncidentRecord } from '../domain/types.ts';
import { FEED_ITEMS, latestKey } from './feed.ts';
import { touchedComponents } from './routes.ts';
import type { IncidentSummary } from './snapshot.ts';
import { RECENT_INCIDENTS } from './statuspage.ts';
import { COMPONENT_INCIDENTS } from './views/component-view.ts';
import { PAST_DAYS } from './views/index-view.ts';
import { UPTIME_DAYS } from './views/uptime-view.ts';

export function summarise(incident: IncidentRecord): IncidentSummary {
  return {
    id: incident.id,
    started_at: incident.started_at,
    resolved_at: incident.resolved_at,
    status: incident.status,
    version: incident.version,
    touched: sharedList(touchedComponents(incident)),
    latest: latestKey(incident),
    postmortem_at: incident.postmortem?.published_at ?? null,
  };
}

/**
 * One frozen list per distinct set of touched components, shared by every summary that touched
 * that set: a history touches a few hundred combinations of its components, each summary held its
 * own list and its own copies of the ids (about 150 bytes of a summary's 410, at 100,000 incidents
 * 15 MiB of the server's heap).
 */
const touchedLists = new Map<string, readonly string[]>();

function sharedList(ids: readonly string[]): readonly string[] {
  const key = ids.join('\n');
  let list = touchedLists.get(key);
  if (!list) {
    list = Object.freeze([...ids]);
    touchedLists.set(key, list);
  }
  return list;
}

/** Keeps the `limit` greatest keys seen, each with its id; most offers fall below the cut. */
class TopIds {
  private readonly top: Array<{ key: string; id: string }> = [];
  constructor(private readonly limit: number) {}
  offer(key: string | null, id: string): void {
    if (key === null) return;
    const top = this.top;
    if (top.length === this.limit && key <= top[top.length - 1]!.key) return;
    let at = top.length;
    while (at > 0 && key > top[at - 1]!.key) at--;
    top.splice(at, 0, { key, id });
    if (top.length > this.limit) top.pop();
  }
  addTo(ids: Set<string>): void {
    for (const { id } of this.top) ids.add(id);
  }
}

/**
 * The incidents whose full records the site-wide and component routes read (the index, the
 * component pages, the feeds, the Statuspage JSON, the badge). Each route looks only at some of
 * the newest, the open, or those of the last `UPTIME_DAYS`, so a view computed over these gives
 * the same answer as over the whole history:
 * - open incidents, and those started or resolved within the uptime window (uptime, past days,
 *   recently resolved, active incidents);
 * - the `RECENT_INCIDENTS` newest started (`incidents.json`);
 * - per component, its `COMPONENT_INCIDENTS` newest started (the component page);
 * - site-wide and per component, the `FEED_ITEMS` with the newest update and the newest
 *   postmortems (the feeds).
 */
export function hotIncidentIds(
  history: readonly IncidentSummary[],
  now: Date,
  componentIds: readonly string[],
): Set<string> {
  const ids = new Set<string>();
  const window = new Date(
    now.getTime() - (Math.max(UPTIME_DAYS, PAST_DAYS) + 2) * 86_400_000,
  ).toISOString();
  const newest = (limit: number) => new TopIds(limit);
  const siteUpdates = newest(FEED_ITEMS);
  const sitePostmortems = newest(FEED_ITEMS);
  const perComponent = new Map(
    componentIds.map((id) => [
      id,
      { started: 0, updates: newest(FEED_ITEMS), postmortems: newest(FEED_ITEMS) },
    ]),
  );
  history.forEach((incident, index) => {
    if (
      index < RECENT_INCIDENTS ||
      incident.status !== 'resolved' ||
      incident.resolved_at === null ||
      incident.resolved_at >= window ||
      incident.started_at >= window
    )
      ids.add(incident.id);
    siteUpdates.offer(incident.latest, incident.id);
    sitePostmortems.offer(incident.postmortem_at, incident.id);
    for (const component of incident.touched) {
      const top = perComponent.get(component);
      if (!top) continue;
      // History is newest started first: the first few of each component are its newest.
      if (top.started < COMPONENT_INCIDENTS) {
        top.started++;
        ids.add(incident.id);
      }
      top.updates.offer(incident.latest, incident.id);
      top.postmortems.offer(incident.postmortem_at, incident.id);
    }
  });
  siteUpdates.addTo(ids);
  sitePostmortems.addTo(ids);
  for (const top of perComponent.values()) {
    top.updates.addTo(ids);
    top.postmortems.addTo(ids);
  }
  return ids;
}
