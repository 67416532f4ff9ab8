import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { collectGarbage, EXPORT_HEAP_GROWING_PERCENT, withHeapGrowth } from '../lib/gc.ts';
import type { Logger } from '../lib/log.ts';
import type { Content } from '../config/content.ts';
import { createChangeWatch } from './change-watch.ts';
import type { IncidentChange } from '../domain/incidents/context.ts';
import type { IncidentRecord } from '../domain/types.ts';
import type { Service } from '../service.ts';
import type { Db } from '../storage/db.ts';
import { renderWithAstro, type AstroMiddleware, type Rendered } from './astro-handler.ts';
import { ensureServerBuild, loadAstroHandler } from './astro-build.ts';
import {
  allRoutes,
  historyLayout,
  historyPosition,
  renderBatches,
  planChange,
  planMaintenanceChange,
  renderPath,
  routeFile,
  routeFromPath,
  routePath,
  type Route,
} from './routes.ts';
import { markExported, wasExported, type SiteAvailability } from './availability.ts';
import { PublicIncidents } from './public-incidents.ts';
import { assetsToKeep, siteAssets } from './assets.ts';
import {
  loadComponentStatuses,
  loadFirstSeen,
  loadPublicIncident,
  loadMaintenances,
  type SiteSnapshot,
} from './snapshot.ts';
import type { MaintenanceRecord } from '../domain/maintenances/types.ts';
import { maintenanceWatermark } from '../storage/maintenances.ts';
import { historyIndexPath } from './history-index.ts';
import { acquireSiteLock, SiteLockedError, type SiteLock } from './site-lock.ts';
import { monthKey } from '../lib/time.ts';
import { viewForRoute } from './views/route-view.ts';
import { pruneSite, removePublished, writePublished } from './write.ts';
import {
  changedFilesWriter,
  inlineWriter,
  threadWriter,
  type SiteWriter,
} from './writer-thread.ts';

export interface PublisherOptions {
  db: Db;
  content: Content;
  siteUrl: string;
  /** The API's public URL, where the site's subscribe forms post (default: the site's). */
  apiUrl?: string;
  siteDir: string;
  now: () => Date;
  log: Logger;
  /** Repository root: where `astro.config.mjs` and `src/pages` are. */
  root: string;
  /** How long to wait for more changes before rendering a burst once. */
  debounceMs?: number;
  /** How often time-dependent routes (uptime bars, "next update by") are refreshed without changes. */
  refreshMs?: number;
  /** How often to look for incidents changed by other instances on the same database. */
  pollMs?: number;
  /**
   * Wraps the Astro render of one route; tests use it to make a render fail and check that the
   * previous file stays live. Defaults to rendering through the server build as it is.
   */
  wrapRender?: (render: RenderRoute) => RenderRoute;
  /** Wraps the writer of each publish; tests use it to slow writes down and watch their order. */
  wrapWriter?: (writer: SiteWriter) => SiteWriter;
  /**
   * Full exports of at least this many routes write their files on a thread of their own: all of
   * them into a directory without an earlier site (`threadWriter`), the changed ones over an
   * earlier site (`changedFilesWriter`); every other publish on this one. Starting the thread
   * takes about 0.1 s, what it saves over a few hundred routes. Default 2,000.
   */
  writerThreadRoutes?: number;
}

export type RenderRoute = (path: string, view: unknown) => Promise<Rendered>;

export interface PublishStats {
  routes: number;
  removed: number;
  durationMs: number;
  bytes: number;
}

export interface PublisherHealth {
  ready: boolean;
  last_publish_at: string | null;
  last_duration_ms: number | null;
  last_routes: number | null;
  last_full_export_at: string | null;
  last_error: { at: string; message: string; route: string | null } | null;
  pending: number;
  /**
   * Another live process (a second server on the same data directory) publishes this site; this
   * one serves it and takes over, with a full export, once that process has gone.
   */
  standby: boolean;
  /** Routes whose render failed and that wait for their retry; their previous files are live. */
  retries_pending: number;
  /**
   * Public incidents known (each as a summary in the history index) and those held in full: the
   * open, the recent and the newest few per feed. The rest are read from the database when their
   * pages render.
   */
  incidents?: { public: number; in_full: number };
}

export interface Publisher extends Service, SiteAvailability {
  /**
   * Renders every route and removes files that are no longer part of the site. Takes the site
   * lock (held until `stop()`), like `start()`.
   */
  fullExport(): Promise<PublishStats>;
  /** Resolves when nothing is pending or rendering (retries waiting on back-off excepted). */
  idle(): Promise<void>;
  health(): PublisherHealth & Record<string, unknown>;
}

const RETRY_BASE_MS = 1000;
/** How often a publisher on standby checks whether the process holding the site lock has gone. */
const STANDBY_RETRY_MS = 5000;
const RETRY_MAX_MS = 60_000;
/** The longest the publisher waits between runs under a flood of changes. */
const MAX_PACE_MS = 5_000;
/** Renders and writes overlap this much; rendering is CPU-bound, writing waits on the disk. */
const CONCURRENCY = 4;

/**
 * At most this many rendered files wait for their writes: enough for the renders to run ahead of
 * the writer's thread through a slow stretch of the disk, few enough to hold little memory.
 */
const WRITES_IN_FLIGHT = 64;
/** Incident pages are rendered this many at a time, their records read together. */
const INCIDENT_BATCH = 200;
/** The default of `writerThreadRoutes`. */
const WRITER_THREAD_ROUTES = 2_000;
/** Full exports of at least this many routes end with a full garbage collection. */
const COLLECT_AFTER_ROUTES = 10_000;

/**
 * Keeps `siteDir` equal to what the database says, publicly. It keeps every public incident as a
 * summary in an index file beside the site, and holds the few the site-wide routes read in full
 * (`PublicIncidents`: loaded by a full export, refreshed per change from the database), reads any
 * other record when its route is rendered, renders only the routes a change affects through the
 * Astro server build, and writes each file atomically.
 */
export function createPublisher(options: PublisherOptions): Publisher {
  const { db, content, siteDir, log } = options;
  const wrapWriter = options.wrapWriter ?? ((writer: SiteWriter) => writer);
  const debounceMs = options.debounceMs ?? 10;
  const refreshMs = options.refreshMs ?? 300_000;
  const pollMs = options.pollMs ?? 5_000;
  const watch = createChangeWatch(db);
  let pollTimer: NodeJS.Timeout | null = null;

  let render: RenderRoute | null = null;
  /** The Astro build the renderer was loaded from: its stylesheets are published with the pages. */
  let buildDir: string | null = null;
  const incidents = new PublicIncidents(
    db,
    content.catalog.components.map((c) => c.id),
    { path: historyIndexPath(siteDir), zone: content.site.timezone },
  );
  let componentStatus: SiteSnapshot['componentStatus'] = new Map();
  let maintenances: MaintenanceRecord[] = [];
  let firstSeen: Map<string, string> = new Map();
  let exportedMonth: string | null = null;
  let ready = false;
  let stopped = false;
  /** Held from the first publish until `stop()`: one process publishes into `siteDir` at a time. */
  let lock: SiteLock | null = null;
  let standbyTimer: NodeJS.Timeout | null = null;

  /** Takes the site lock unless a live process holds it; true when this publisher holds it. */
  function tryLock(): boolean {
    if (lock) return true;
    try {
      lock = acquireSiteLock(siteDir);
      return true;
    } catch (error) {
      if (error instanceof SiteLockedError) return false;
      throw error;
    }
  }

  const pendingIds = new Set<string>();
  /** A maintenance changed (told, or seen by the poll): reload them and render what they touch. */
  let pendingMaintenance = false;
  /** The maintenances' watermark last read (`maintenanceWatermark`), for the poll. */
  let maintenanceMark: string | null = null;
  let pendingFull = false;
  let pendingRefresh = false;
  /** A run that includes the periodic refresh is in progress. */
  let refreshing = false;
  const retries = new Map<string, { route: Route; attempts: number; at: number }>();
  let timer: NodeJS.Timeout | null = null;
  let refreshTimer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  const idleWaiters: Array<() => void> = [];

  const health: PublisherHealth = {
    ready: false,
    last_publish_at: null,
    last_duration_ms: null,
    last_routes: null,
    last_full_export_at: null,
    last_error: null,
    pending: 0,
    standby: false,
    retries_pending: 0,
  };

  function snapshotAt(now: Date): SiteSnapshot {
    return {
      site: content.site,
      siteUrl: options.siteUrl,
      apiUrl: options.apiUrl ?? options.siteUrl,
      catalog: content.catalog,
      policy: content.policy,
      incidents: incidents.hotIncidents(),
      incidentsByComponent: incidents.hotIncidentsByComponent(),
      uptimeIncidentsByComponent: incidents.uptimeIncidentsByComponent(),
      history: incidents.history,
      oldestStarts: incidents.oldestStarts(),
      componentStatus,
      firstSeen,
      maintenances,
      now,
    };
  }

  async function getRender(): Promise<RenderRoute> {
    if (!render) {
      buildDir = await ensureServerBuild(options.root, log);
      const handler: AstroMiddleware = await loadAstroHandler(buildDir);
      const direct: RenderRoute = (path, view) => renderWithAstro(handler, path, view);
      render = options.wrapRender ? options.wrapRender(direct) : direct;
    }
    return render;
  }

  /** Renders and writes routes; returns the ones that failed (they stay as they were on disk). */
  async function publish(
    snapshot: SiteSnapshot,
    render: Route[],
    remove: Route[],
    writer: SiteWriter = wrapWriter(inlineWriter(siteDir)),
  ) {
    const renderRoute = await getRender();
    const failed: Array<{ route: Route; error: Error }> = [];
    let bytes = 0;
    let removed = 0;
    for (const route of remove) {
      await removePublished(siteDir, routeFile(route));
      removed++;
    }
    // Writes run behind the renders (on the writer's thread, for a full export), at most
    // `WRITES_IN_FLIGHT` at a time.
    const inFlight = new Set<Promise<void>>();
    // Incident and maintenance pages go first, each written before the history page that lists it,
    // and all of them before the index, so no page links to one that is not written yet.
    // When a read fails, the writes already queued finish before the error goes up: none of them
    // may land after a retry's newer files, or after the writer's thread is gone.
    try {
      const { batches, rest } = renderBatches(snapshot, render, INCIDENT_BATCH);
      for (const batch of batches) {
        const records = await incidents.records(batch.ids);
        const pages = await renderBatch(batch.pages, records);
        await renderBatch(batch.after, records, Promise.all(pages));
      }
      while (inFlight.size > 0) await Promise.all(inFlight);
      await renderBatch(rest, new Map());
    } finally {
      while (inFlight.size > 0) await Promise.all(inFlight);
    }
    return { failed, bytes, removed };

    /**
     * Renders `routes` and queues their writes, each after `after`; returns the writes (they
     * settle when written or counted as failed).
     */
    async function renderBatch(
      routes: Route[],
      batch: Map<string, IncidentRecord>,
      after: Promise<unknown> = Promise.resolve(),
    ): Promise<Array<Promise<void>>> {
      const writes: Array<Promise<void>> = [];
      let next = 0;
      const worker = async () => {
        while (next < routes.length) {
          const route = routes[next++]!;
          try {
            const view = viewForRoute(await incidents.snapshotFor(snapshot, route, batch), route);
            if (view === null) {
              await removePublished(siteDir, routeFile(route));
              removed++;
              continue;
            }
            const result = await renderRoute(renderPath(route), view);
            if (result.status !== 200) throw new Error(`render returned HTTP ${result.status}`);
            const size = result.body.length;
            const write = after
              .then(() => writer.write(routeFile(route), result.body))
              .then(
                () => void (bytes += size),
                (error: Error) => void failed.push({ route, error }),
              );
            writes.push(write);
            inFlight.add(write);
            void write.then(() => inFlight.delete(write));
            while (inFlight.size >= WRITES_IN_FLIGHT) await Promise.race(inFlight);
          } catch (error) {
            failed.push({ route, error: error as Error });
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, routes.length) }, worker));
      return writes;
    }
  }

  function recordFailures(failed: Array<{ route: Route; error: Error }>, now: Date): void {
    for (const { route, error } of failed) {
      const key = routePath(route);
      const attempts = (retries.get(key)?.attempts ?? 0) + 1;
      const delay = backoff(attempts);
      retries.set(key, { route, attempts, at: Date.now() + delay });
      health.last_error = {
        at: now.toISOString(),
        message: error.message,
        route: routePath(route),
      };
      log({
        time: now.toISOString(),
        level: 'error',
        msg: 'publish failed; the previous file stays live',
        route: routePath(route),
        attempt: attempts,
        retry_in_ms: delay,
        error: error.message,
      });
    }
  }

  function recordSuccess(started: number, routes: number): void {
    health.last_publish_at = options.now().toISOString();
    health.last_duration_ms = Math.round(performance.now() - started);
    health.last_routes = routes;
  }

  /** A full export holds more at once than any other publish: its heap grows by less. */
  function runFullExport(): Promise<PublishStats> {
    return withHeapGrowth(EXPORT_HEAP_GROWING_PERCENT, exportSite);
  }

  async function exportSite(): Promise<PublishStats> {
    const started = performance.now();
    const now = options.now();
    // A full export reloads everything, so it covers every change pending so far.
    pendingIds.clear();
    pendingRefresh = false;
    pendingMaintenance = false;
    // Before reading: a change another instance makes while this export runs is found by the poll.
    await watch.reset();
    await incidents.loadAll(now);
    componentStatus = await loadComponentStatuses(db);
    firstSeen = await loadFirstSeen(db);
    maintenanceMark = await maintenanceWatermark(db.query);
    maintenances = await loadMaintenances(db);
    const snapshot = snapshotAt(now);
    const routes = allRoutes(snapshot);
    await getRender();
    // The stylesheets and the page script, before any page that links them.
    const assets = await siteAssets(buildDir!);
    // Written anew even when unchanged: a replaced one is kept for a day after its last export as
    // the current one (`assetsToKeep` reads that from its modification time).
    for (const asset of assets)
      await writePublished(siteDir, asset.file, asset.data, { rewrite: true });
    // Into a directory without an earlier site, every file is compressed and created: that work
    // goes to a thread of its own. Over an earlier export most files come out unchanged, and
    // comparing them here costs less than handing them over (measured at 100,000 incidents: 0.78
    // ms/route here against 1.06 through the thread; into an empty directory 0.93 against 1.3):
    // only the changed ones go to the thread.
    const large = routes.length >= (options.writerThreadRoutes ?? WRITER_THREAD_ROUTES);
    const writer = wrapWriter(
      !large
        ? inlineWriter(siteDir, { syncCompress: true })
        : existsSync(join(siteDir, 'index.html'))
          ? changedFilesWriter(siteDir)
          : threadWriter(siteDir),
    );
    const { failed, bytes } = await publish(snapshot, routes, [], writer).finally(() =>
      writer.close(),
    );
    const failedFiles = new Set(failed.map((f) => routeFile(f.route)));
    // Files whose render failed are kept (the old version stays live), with the stylesheets and
    // scripts that old pages link; everything unknown goes.
    const earlierAssets = await assetsToKeep(siteDir, Date.now(), failed.length > 0);
    const keep = new Set([
      ...routes.map(routeFile),
      ...failedFiles,
      ...assets.map((a) => a.file),
      ...earlierAssets,
    ]);
    const removed = await pruneSite(siteDir, keep);
    exportedMonth = monthKey(now.getTime(), content.site.timezone);
    recordFailures(failed, now);
    for (const route of routes)
      if (!failedFiles.has(routeFile(route))) retries.delete(routePath(route));
    if (failed.length === 0) {
      recordSuccess(started, routes.length);
      health.last_full_export_at = health.last_publish_at;
      await markExported(siteDir, health.last_full_export_at!, routes.length);
    }
    ready = true;
    // A large export's garbage goes now, not whenever the idle server next allocates enough (a
    // small site's is not worth the pause).
    if (routes.length >= COLLECT_AFTER_ROUTES) collectGarbage();
    const stats = {
      routes: routes.length,
      removed,
      durationMs: performance.now() - started,
      bytes,
    };
    log({
      time: now.toISOString(),
      level: 'info',
      msg: 'site exported',
      routes: stats.routes,
      removed,
      ms: Math.round(stats.durationMs),
      failed: failed.length,
    });
    return stats;
  }

  async function runIncremental(): Promise<void> {
    const started = performance.now();
    const now = options.now();
    const ids = [...pendingIds];
    pendingIds.clear();
    const refresh = pendingRefresh;
    pendingRefresh = false;
    const maintenance = pendingMaintenance;
    pendingMaintenance = false;
    refreshing = refresh;
    try {
      await publishChanges(ids, refresh, started, now, maintenance);
    } catch (error) {
      // Nothing is lost: the same incidents are read again on the next attempt.
      for (const id of ids) pendingIds.add(id);
      pendingRefresh ||= refresh;
      pendingMaintenance ||= maintenance;
      throw error;
    } finally {
      refreshing = false;
    }
  }

  async function publishChanges(
    ids: string[],
    refresh: boolean,
    started: number,
    now: Date,
    maintenanceChanged = false,
  ): Promise<void> {
    // Read everything first: a database error then leaves the in-memory incidents as they were,
    // so the retry still sees each incident's `before` (a public incident going private must
    // have its pages re-rendered without it, not only its own page removed).
    const loaded: Array<{ id: string; after: IncidentRecord | null }> = [];
    for (const id of ids) loaded.push({ id, after: await loadPublicIncident(db, id) });
    const statuses = await loadComponentStatuses(db);
    const mark = maintenanceChanged ? await maintenanceWatermark(db.query) : null;
    const reloaded = maintenanceChanged ? await loadMaintenances(db) : null;
    if (refresh) await incidents.refreshHot(now);
    const snapshotBefore = snapshotAt(now);
    const historyBefore = historyLayout(snapshotBefore);
    const previous = { componentStatus, maintenances };
    // Where each incident stood before any of them changed, then where it stands after all.
    const changes = loaded.map(({ id, after }) => {
      const before = incidents.get(id) ?? null;
      return { id, before, after, beforeAt: before ? historyPosition(snapshotBefore, before) : -1 };
    });
    const undo: Array<() => void> = [];
    try {
      for (const { id, after } of changes) undo.unshift(incidents.apply(id, after));
    } catch (error) {
      for (const step of undo) step();
      throw error;
    }
    componentStatus = statuses;
    // Maintenances whose version changed, and the components they touch before and after.
    const changedMaintenances: string[] = [];
    const maintenanceComponents = new Set<string>();
    if (reloaded) {
      const before = new Map(maintenances.map((m) => [m.id, m]));
      for (const m of reloaded) {
        const old = before.get(m.id);
        if (old?.version === m.version) continue;
        changedMaintenances.push(m.id);
        for (const id of [...m.components, ...(old?.components ?? [])])
          maintenanceComponents.add(id);
      }
      maintenances = reloaded;
      maintenanceMark = mark;
    }
    const snapshot = snapshotAt(now);
    const historyAfter = historyLayout(snapshot);
    const render = new Map<string, Route>();
    const remove = new Map<string, Route>();
    const knownComponents = new Set(content.catalog.byId.keys());
    if (changedMaintenances.length > 0) {
      for (const r of planMaintenanceChange(
        changedMaintenances,
        maintenanceComponents,
        knownComponents,
      ))
        render.set(routePath(r), r);
    }
    for (const change of changes) {
      const plan = planChange({
        ...change,
        afterAt: change.after ? historyPosition(snapshot, change.after) : -1,
        historyBefore,
        historyAfter,
        knownComponents,
      });
      for (const r of plan.render) render.set(routePath(r), r);
      for (const r of plan.remove) remove.set(routePath(r), r);
    }
    if (refresh) {
      // Uptime bars, "next update by" and the "ongoing for" of open incidents move with the clock.
      const open = new Set(
        incidents
          .hotIncidents()
          .filter((i) => i.status !== 'resolved')
          .map((i) => i.id),
      );
      for (const r of allRoutes(snapshot, [...open]))
        if (r.kind !== 'history') render.set(routePath(r), r);
    }
    for (const [key, retry] of retries)
      if (retry.at <= Date.now() && !remove.has(key)) render.set(key, retry.route);
    for (const key of remove.keys()) render.delete(key);
    if (render.size === 0 && remove.size === 0) return;
    const planned = performance.now();
    let failed: Awaited<ReturnType<typeof publish>>['failed'];
    try {
      ({ failed } = await publish(snapshot, [...render.values()], [...remove.values()]));
    } catch (error) {
      // The retry must plan from the same `before` records, so forget what was applied.
      for (const step of undo) step();
      ({ componentStatus, maintenances } = previous);
      throw error;
    }
    const failedKeys = new Set(failed.map((f) => routePath(f.route)));
    for (const key of [...render.keys(), ...remove.keys()])
      if (!failedKeys.has(key)) retries.delete(key);
    recordFailures(failed, now);
    if (failed.length === 0) recordSuccess(started, render.size + remove.size);
    log({
      time: now.toISOString(),
      level: 'info',
      msg: 'site published',
      incidents: ids.length,
      refresh,
      routes: render.size,
      removed: remove.size,
      read_ms: Math.round(planned - started),
      ms: Math.round(performance.now() - started),
      failed: failed.length,
    });
  }

  /** One run; says whether it was a full export. */
  async function runOnce(): Promise<'full' | 'changes' | 'none'> {
    if (!lock) {
      // On standby the other process publishes; taking over starts with a full export anyway.
      pendingIds.clear();
      pendingRefresh = false;
      pendingMaintenance = false;
      return 'none';
    }
    const now = options.now();
    const monthChanged =
      exportedMonth !== null && exportedMonth !== monthKey(now.getTime(), content.site.timezone);
    // Also when the incidents are not loaded: a full export that failed while reading them.
    if (pendingFull || !ready || monthChanged || !incidents.loaded) {
      pendingFull = false;
      try {
        await runFullExport();
      } catch (error) {
        pendingFull = true;
        throw error;
      }
      return 'full';
    }
    await runIncremental();
    return 'changes';
  }

  function hasWork(): boolean {
    // On standby nothing is this publisher's work: the lock holder publishes every change.
    if (!lock) return false;
    return pendingFull || pendingRefresh || pendingMaintenance || pendingIds.size > 0;
  }

  function nextRetryDelay(): number | null {
    let soonest: number | null = null;
    for (const retry of retries.values())
      soonest = soonest === null ? retry.at : Math.min(soonest, retry.at);
    return soonest === null ? null : Math.max(0, soonest - Date.now());
  }

  function wakeIdleWaiters(): void {
    for (const resolve of idleWaiters.splice(0)) resolve();
  }

  /** Consecutive runs that failed as a whole (database or build trouble): drives the back-off. */
  let failureStreak = 0;

  function backoff(attempts: number): number {
    return Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempts - 1));
  }

  function schedule(delay = debounceMs): void {
    if (stopped || timer || running) return;
    timer = setTimeout(() => {
      timer = null;
      running = (async () => {
        const runStarted = performance.now();
        let ran: Awaited<ReturnType<typeof runOnce>> = 'none';
        try {
          ran = await runOnce();
          failureStreak = 0;
        } catch (error) {
          failureStreak++;
          const now = options.now();
          health.last_error = {
            at: now.toISOString(),
            message: (error as Error).message,
            route: null,
          };
          log({
            time: now.toISOString(),
            level: 'error',
            msg: 'publish failed; the previous files stay live',
            retry_in_ms: backoff(failureStreak),
            error: (error as Error).message,
          });
        } finally {
          running = null;
          health.pending = pendingIds.size + (pendingMaintenance ? 1 : 0);
          // Under a flood of changes, wait as long as the last run took before the next one: the
          // publisher shares the event loop with the API, and this keeps it to at most about
          // half of the process's time while a quiet site still publishes within the debounce.
          // A full export is no flood (at 100,000 incidents it takes minutes): the changes that
          // came meanwhile go out at once after it.
          const took = ran === 'full' ? 0 : performance.now() - runStarted;
          const pace = Math.max(debounceMs, Math.min(MAX_PACE_MS, took));
          if (hasWork()) schedule(failureStreak > 0 ? backoff(failureStreak) : pace);
          else {
            const retry = nextRetryDelay();
            if (retry !== null) schedule(Math.max(retry, debounceMs));
          }
          if (!hasWork()) wakeIdleWaiters();
        }
      })();
    }, delay);
    timer.unref?.();
  }

  return {
    name: 'publisher',
    async start() {
      if (!tryLock()) {
        health.standby = true;
        log({
          time: options.now().toISOString(),
          level: 'warn',
          msg: 'another process publishes this site; standing by until it stops',
          site_dir: siteDir,
        });
        standbyTimer = setInterval(() => {
          if (!tryLock()) return;
          clearInterval(standbyTimer!);
          standbyTimer = null;
          health.standby = false;
          log({
            time: options.now().toISOString(),
            level: 'info',
            msg: 'took over publishing the site',
          });
          pendingFull = true;
          schedule(0);
        }, STANDBY_RETRY_MS);
        standbyTimer.unref();
      }
      await getRender();
      pendingFull = true;
      if (lock) schedule(0);
      refreshTimer = setInterval(() => {
        // A refresh still running covers this one: when a refresh takes longer than the interval
        // (a loaded machine, a short interval), they must not follow each other without a pause.
        if (refreshing) return;
        pendingRefresh = true;
        schedule();
      }, refreshMs);
      refreshTimer.unref();
      pollTimer = setInterval(() => {
        if (!ready || !lock || stopped) return;
        Promise.all([watch.poll(), maintenanceWatermark(db.query)]).then(
          ([ids, mark]) => {
            // A maintenance moved by another process (its scheduler, its API) shows here.
            if (mark !== maintenanceMark) pendingMaintenance = true;
            for (const id of ids) pendingIds.add(id);
            if (ids.length > 0 || pendingMaintenance) schedule();
          },
          (error: unknown) =>
            log({
              time: options.now().toISOString(),
              level: 'error',
              msg: 'could not look for changes made by other instances',
              error: String(error),
            }),
        );
      }, pollMs);
      pollTimer.unref();
    },
    async stop() {
      if (pollTimer) clearInterval(pollTimer);
      stopped = true;
      if (timer) clearTimeout(timer);
      if (refreshTimer) clearInterval(refreshTimer);
      if (standbyTimer) clearInterval(standbyTimer);
      timer = null;
      await running;
      incidents.close();
      lock?.release();
      lock = null;
    },
    onChange(change: IncidentChange) {
      watch.note(change.incident.id, change.incident.updated_at);
      pendingIds.add(change.incident.id);
      health.pending = pendingIds.size;
      schedule();
    },
    onMaintenanceChange() {
      pendingMaintenance = true;
      health.pending = pendingIds.size + 1;
      schedule();
    },
    async fullExport() {
      lock ??= acquireSiteLock(siteDir);
      while (running) await running;
      // `stop()` ran meanwhile: it released the lock and deleted the history index.
      if (stopped) throw new Error('the publisher has stopped');
      if (timer) clearTimeout(timer);
      timer = null;
      const job = runFullExport();
      running = job.then(
        () => undefined,
        () => undefined,
      );
      try {
        return await job;
      } finally {
        running = null;
        if (hasWork()) schedule();
        else wakeIdleWaiters();
      }
    },
    idle() {
      if (!running && !hasWork()) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    health() {
      return {
        ...health,
        ready,
        retries_pending: retries.size,
        incidents: { public: incidents.size, in_full: incidents.hotIncidents().length },
      };
    },
    pending(pathname: string) {
      // On standby the process holding the lock publishes; its last complete export is on disk.
      if (!lock) return !wasExported(siteDir);
      if (!ready) return true;
      if (retries.size === 0) return false;
      const route = routeFromPath(pathname);
      return route !== null && retries.has(routePath(route));
    },
    whyNotReady() {
      if (lock) {
        if (!ready)
          return health.last_error
            ? `the first export of the site failed (${health.last_error.message}); retrying`
            : 'the first export of the site is in progress';
        // A failed render keeps the previous file live; without one, that route is not served yet.
        const unwritten = [...retries.values()].filter(
          ({ route }) => !existsSync(join(siteDir, routeFile(route))),
        ).length;
        return unwritten === 0
          ? null
          : `${unwritten} route(s) not written yet: their render failed and is retried`;
      }
      if (stopped) return 'stopped';
      if (health.standby)
        return wasExported(siteDir)
          ? null
          : 'another process publishes this site and has not finished exporting it';
      return 'not started';
    },
  };
}
