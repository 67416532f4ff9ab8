import type { IncidentRecord } from '../domain/types.ts';
import type { Db } from '../storage/db.ts';
import { EMPTY_HISTORY, HistoryIndex, summarise, type HistorySource } from './history-index.ts';
import {
  compareIncidents,
  eachPublicIncidentPage,
  insertionPoint,
  loadPublicIncidentsById,
  type IncidentSummary,
  type SiteSnapshot,
} from './snapshot.ts';
import { historyPageIds, touchedComponents, type Route } from './routes.ts';
import { groupByComponent } from './views/indexes.ts';
import { uptimeRecord, type UptimeRecord } from './uptime.ts';

/**
 * The publisher's memory of the public incidents, flat in the size of the history: every incident
 * as a summary in a `HistoryIndex` (a database file beside the site, not the heap), and in full
 * only the "hot" ones the site-wide and component routes read (`hotIncidentIds`): the open, the
 * recent, the newest few per feed. The others of the uptime window are kept as their timelines
 * alone (`uptimeIncidentIds`, `uptimeRecord`): measured at 100,000 incidents, 5,986 of the
 * window's 7,995, and 8.3 MiB less live heap than in full (50.9 against 59.2 MiB after loading).
 * Any other full record (an old incident's page, a month of history) is read from the database
 * when its route is rendered, and dropped after.
 */
export class PublicIncidents {
  /** Made by the first `loadAll`: a process on standby never touches the file. */
  private index: HistoryIndex | null = null;
  private readonly hot = new Map<string, IncidentRecord>();
  private hotSorted: IncidentRecord[] | null = [];
  private hotByComponent: Map<string, IncidentRecord[]> | null = null;
  /** The incidents of the uptime window that are not hot, as their timelines. */
  private readonly uptimeOnly = new Map<
    string,
    { record: UptimeRecord; touched: readonly string[] }
  >();
  private uptimeByComponent: Map<string, UptimeRecord[]> | null = null;
  /** Component → when its oldest public incident started; null: to be found again. */
  private oldest: Map<string, string> | null = null;

  constructor(
    private readonly db: Db,
    private readonly componentIds: readonly string[],
    /** Where the index lives (`<site>.history.db`) and the time zone its months are counted in. */
    private readonly indexAt: { path: string; zone: string },
  ) {}

  /** The whole history, paged from the index (`SiteSnapshot.history`). */
  get history(): HistorySource {
    return this.index ?? EMPTY_HISTORY;
  }

  /** How many public incidents there are. */
  get size(): number {
    return this.index?.size ?? 0;
  }

  /**
   * Reads the whole history a page at a time into the index, then the hot records. When it fails,
   * nothing is loaded (`loaded` is false) until a later `loadAll` succeeds.
   */
  async loadAll(now: Date): Promise<void> {
    this.index?.reset();
    this.index ??= new HistoryIndex(this.indexAt.path, this.indexAt.zone);
    const index = this.index;
    this.forgetHeld();
    try {
      await eachPublicIncidentPage(this.db, (page) => index.load(page.map(summarise)));
      index.loaded();
      await this.refreshHot(now);
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** Whether the last `loadAll` succeeded (and `close` has not been called since). */
  get loaded(): boolean {
    return this.index !== null;
  }

  /** Deletes the index and forgets the hot records: the next `loadAll` builds them again. */
  close(): void {
    this.index?.close();
    this.index = null;
    this.forgetHeld();
  }

  /** Drops the hot records, the timelines and what is kept from them. */
  private forgetHeld(): void {
    this.hot.clear();
    this.uptimeOnly.clear();
    this.hotSorted = [];
    this.hotByComponent = null;
    this.uptimeByComponent = null;
    this.oldest = null;
  }

  /**
   * Keeps in full exactly the incidents `hotIncidentIds` names now, and as timelines the others
   * `uptimeIncidentIds` names: as time passes, old ones leave the windows. Between refreshes the
   * hot set only grows (every changed incident joins), and a superset of it gives every route the
   * same answer.
   */
  async refreshHot(now: Date): Promise<void> {
    const index = this.index;
    if (!index) return;
    const wanted = index.hotIncidentIds(now, this.componentIds);
    const window = index.uptimeIncidentIds(now);
    for (const [id, incident] of this.hot)
      if (!wanted.has(id)) {
        this.hot.delete(id);
        if (window.has(id))
          this.uptimeOnly.set(id, {
            record: uptimeRecord(incident),
            touched: touchedComponents(incident),
          });
      }
    for (const id of this.uptimeOnly.keys())
      if (wanted.has(id) || !window.has(id)) this.uptimeOnly.delete(id);
    const missing = [...wanted].filter((id) => !this.hot.has(id));
    for (const id of window) if (!wanted.has(id) && !this.uptimeOnly.has(id)) missing.push(id);
    for (const incident of await loadPublicIncidentsById(this.db, missing)) {
      if (wanted.has(incident.id)) this.hot.set(incident.id, incident);
      else
        this.uptimeOnly.set(incident.id, {
          record: uptimeRecord(incident),
          touched: touchedComponents(incident),
        });
    }
    this.hotSorted = null;
    this.hotByComponent = null;
    this.uptimeByComponent = null;
  }

  /**
   * Component id → when the oldest public incident that touched it started, over the whole
   * history (the uptime bars' "no data" days end there). Kept up to date per change; found again
   * with a pass over the history only when a component's oldest incident itself changed.
   */
  oldestStarts(): ReadonlyMap<string, string> {
    this.oldest ??= this.index?.oldestStarts(this.componentIds) ?? new Map();
    return this.oldest;
  }

  get(id: string): IncidentSummary | undefined {
    return this.index?.get(id);
  }

  /** The hot incidents, newest started first: what site-wide routes render from. */
  hotIncidents(): IncidentRecord[] {
    this.hotSorted ??= [...this.hot.values()].sort(compareIncidents);
    return this.hotSorted;
  }

  /**
   * The hot incidents of each component (every one that touched it), newest started first: what
   * `incidentsOfComponent` answers for a site-wide snapshot. Kept per change, like the order.
   */
  hotIncidentsByComponent(): ReadonlyMap<string, IncidentRecord[]> {
    this.hotByComponent ??= groupByComponent(this.hotIncidents());
    return this.hotByComponent;
  }

  /**
   * Per component, the incidents its uptime bars read, newest started first: the hot ones in full
   * and the rest of the window as timelines (`SiteSnapshot.uptimeIncidentsByComponent`). Kept per
   * change, like the hot ones by component.
   */
  uptimeIncidentsByComponent(): ReadonlyMap<string, readonly UptimeRecord[]> {
    if (!this.uptimeByComponent) {
      const all = [
        ...[...this.hot.values()].map((record) => ({ record, touched: touchedComponents(record) })),
        ...this.uptimeOnly.values(),
      ];
      all.sort((a, b) => compareIncidents(a.record, b.record));
      const lists = new Map<string, UptimeRecord[]>();
      for (const { record, touched } of all)
        for (const c of touched) {
          const list = lists.get(c);
          if (list) list.push(record);
          else lists.set(c, [record]);
        }
      this.uptimeByComponent = lists;
    }
    return this.uptimeByComponent;
  }

  /**
   * Puts one incident's new public version in place (null: it is no longer public) and returns
   * what undoes it, for a publish that fails before anything was written.
   */
  apply(id: string, after: IncidentRecord | null): () => void {
    const index = this.index;
    if (!index) throw new Error('the public incidents are not loaded');
    const before = {
      summary: index.get(id),
      hot: this.hot.get(id),
      uptime: this.uptimeOnly.get(id),
      oldest: this.oldest,
    };
    const beforeSorted = this.hotSorted;
    const beforeByComponent = this.hotByComponent;
    const beforeUptime = this.uptimeByComponent;
    const summary = after && summarise(after);
    // The index first: when its write fails, nothing here has changed.
    if (summary) index.put(summary);
    else index.remove(id);
    this.uptimeOnly.delete(id);
    if (after) this.hot.set(id, after);
    else this.hot.delete(id);
    const touchedAfter = summary?.touched ?? [];
    // New lists (the ones before stay whole for the undo and for views computed from them), each
    // changed by halving: no re-sort, no pass over the hot incidents. The lists were grouped by
    // each held record's own components, so it leaves those (a record read after its summary was
    // indexed, as a refresh can, may touch more components than the summary says).
    const hotBefore = before.hot && {
      record: before.hot,
      touched: touchedComponents(before.hot),
    };
    const heldBefore = hotBefore ?? before.uptime;
    if (beforeSorted) this.hotSorted = replaced(beforeSorted, before.hot, after);
    if (beforeByComponent)
      this.hotByComponent = regrouped(
        beforeByComponent,
        hotBefore,
        after && { record: after, touched: touchedAfter },
      );
    if (beforeUptime)
      this.uptimeByComponent = regrouped<UptimeRecord>(
        beforeUptime,
        heldBefore,
        after && { record: after, touched: touchedAfter },
      );
    this.oldest = oldestAfter(before.oldest, before.summary, summary);
    return () => {
      if (before.summary) index.put(before.summary);
      else index.remove(id);
      this.oldest = before.oldest;
      if (before.hot) this.hot.set(id, before.hot);
      else this.hot.delete(id);
      if (before.uptime) this.uptimeOnly.set(id, before.uptime);
      this.hotSorted = beforeSorted;
      this.hotByComponent = beforeByComponent;
      this.uptimeByComponent = beforeUptime;
    };
  }

  /**
   * The snapshot one route renders from, given the site-wide one (`site`: the hot incidents): for
   * an incident page, that incident alone (from `batch`, the records read for the pages rendered
   * together), for a history page its incidents (`historyLayout`), from `batch` or else read from
   * the database unless hot; else `site`.
   */
  async snapshotFor(
    site: SiteSnapshot,
    route: Route,
    batch: ReadonlyMap<string, IncidentRecord>,
  ): Promise<SiteSnapshot> {
    // The site-wide lists by component describe the hot incidents, not these.
    const { incidentsByComponent: _, uptimeIncidentsByComponent: __, ...rest } = site;
    if (route.kind === 'incident') {
      const incident = batch.get(route.id);
      return { ...rest, incidents: incident ? [incident] : [] };
    }
    if (route.kind === 'history') {
      // Without an index (a snapshot of every record), the page's records are the history's own.
      const ids = site.history ? historyPageIds(site, route.page) : null;
      if (!ids) return site;
      const read = await this.records(ids.filter((id) => !batch.has(id)));
      const incidents = ids.flatMap((id) => {
        const record = batch.get(id) ?? read.get(id);
        return record ? [record] : [];
      });
      return { ...rest, incidents: incidents.sort(compareIncidents) };
    }
    return site;
  }

  /** The full public records of `ids` (hot ones from memory, the rest from the database). */
  async records(ids: readonly string[]): Promise<Map<string, IncidentRecord>> {
    const found = new Map<string, IncidentRecord>();
    const missing: string[] = [];
    for (const id of ids) {
      const incident = this.hot.get(id);
      if (incident) found.set(id, incident);
      else missing.push(id);
    }
    for (const incident of await loadPublicIncidentsById(this.db, missing))
      found.set(incident.id, incident);
    return found;
  }
}

/**
 * `list` (newest started first) with `before` taken out and `after` put in its place in the
 * order, as a new array; either may be absent.
 */
function replaced<T extends Pick<IncidentSummary, 'started_at' | 'id'>>(
  list: readonly T[],
  before: T | undefined,
  after: T | null,
): T[] {
  const next = list.slice();
  if (before) {
    let at = insertionPoint(next, before);
    if (next[at]?.id !== before.id) at = next.findIndex((s) => s.id === before.id);
    if (at >= 0) next.splice(at, 1);
  }
  if (after) next.splice(insertionPoint(next, after), 0, after);
  return next;
}

/**
 * Lists by component (each newest started first) with `before` taken out of the lists of the
 * components it touched and `after` put into those of the ones it touches, as a new map; the
 * lists of other components are shared.
 */
function regrouped<T extends Pick<IncidentSummary, 'started_at' | 'id'>>(
  lists: ReadonlyMap<string, readonly T[]>,
  before: { record: T; touched: readonly string[] } | undefined,
  after: { record: T; touched: readonly string[] } | null,
): Map<string, T[]> {
  const next = new Map(lists as ReadonlyMap<string, T[]>);
  for (const c of new Set([...(before?.touched ?? []), ...(after?.touched ?? [])])) {
    const list = replaced(
      next.get(c) ?? [],
      before?.touched.includes(c) ? before.record : undefined,
      after?.touched.includes(c) ? after.record : null,
    );
    if (list.length > 0) next.set(c, list);
    else next.delete(c);
  }
  return next;
}

/**
 * The oldest starts after one incident's summary went from `before` to `after` (either absent),
 * as a new map; null when `before` may have been some component's oldest (found again then).
 */
function oldestAfter(
  oldest: ReadonlyMap<string, string> | null,
  before: IncidentSummary | undefined,
  after: IncidentSummary | null,
): Map<string, string> | null {
  if (!oldest) return null;
  if (before?.touched.some((c) => oldest.get(c) === before.started_at)) return null;
  const next = new Map(oldest);
  for (const c of after?.touched ?? []) {
    const current = next.get(c);
    if (current === undefined || after!.started_at < current) next.set(c, after!.started_at);
  }
  return next;
}
