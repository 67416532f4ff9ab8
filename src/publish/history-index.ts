import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'libsql';
import { addMonths, monthKey, startOfDay } from '../lib/time.ts';
import { keepPrivate } from '../storage/db.ts';
import { FEED_ITEMS } from './feed.ts';
import type { IncidentRecord } from '../domain/types.ts';
import { touchedComponents } from './routes.ts';
import { minuteOf, type IncidentSummary } from './snapshot.ts';
import { RECENT_INCIDENTS } from './statuspage.ts';
import { COMPONENT_INCIDENTS } from './views/component-view.ts';
import { PAST_DAYS } from './views/index-view.ts';
import { UPTIME_DAYS } from './views/uptime-view.ts';

/** How many public incidents started in one month (site time zone). */
export interface MonthCount {
  month: string;
  count: number;
}

/**
 * The whole public history as the routes read it, without holding it: how many incidents each
 * month has (the history's pages), where an incident stands in the history, and the ids at a
 * stretch of it. Positions count from the newest started (0), in `compareIncidents` order.
 */
export interface HistorySource {
  /** Newest month first; a new array whenever a count changed. */
  months(): readonly MonthCount[];
  /** Where `incident` stands in the history; -1 when it is not in it. */
  positionOf(incident: { started_at: string; id: string }): number;
  /** The ids of the month's incidents at `[from, to)` counted from its newest, in history order. */
  idsOf(month: string, from: number, to: number): string[];
  /** When the oldest incident started; null for an empty history. */
  oldestStart(): string | null;
  /** Every id, newest started first (a full export's incident pages). */
  allIds(): string[];
  readonly size: number;
}

/** The index sits beside the site, like its lock (never inside it, where it would be published). */
export function historyIndexPath(siteDir: string): string {
  return `${resolve(siteDir)}.history.db`;
}

interface Statement {
  run(...args: unknown[]): { changes: number };
  get(...args: unknown[]): Record<string, unknown> | undefined;
  all(...args: unknown[]): Array<Record<string, unknown>>;
}

/**
 * The publisher's summaries of every public incident (`summarise`), in a database file of their
 * own beside the site (`<site>.history.db`) instead of the heap, so that the server's memory does
 * not grow with the history: at 100,000 incidents the summaries held 14–17 MiB. It is the
 * publisher's working memory, not a record: rebuilt by every full export (`reset`), kept per change
 * (`put`, `remove`), deleted by `close`. The queries it answers are those the publisher asked of
 * the whole list of summaries: the history's pages (`HistorySource`), the incidents to keep in full
 * (`hotIncidentIds`, `uptimeIncidentIds`) and each component's oldest start (`oldestStarts`).
 *
 * The file is local and synchronous (the embedded `libsql` driver). What a publish asks (a summary,
 * an incident's place in its month, a page's ids, a component's oldest start) is a lookup in an
 * index, or a count or an offset within one month; only a full export (`allIds`) and the periodic
 * refresh (`hotIncidentIds`, `uptimeIncidentIds`) read more. Nothing is synced to disk: a crash
 * loses a file that the next start rebuilds anyway.
 */
export class HistoryIndex implements HistorySource {
  private db: Database.Database;
  private readonly statements = new Map<string, Statement>();
  private readonly counts = new Map<string, number>();
  /** The months met so far, by their start: a lookup where `monthKey` costs 6 µs a call. */
  private readonly monthRanges: Array<{ month: string; start: number; end: number }> = [];
  private monthList: MonthCount[] | null = null;
  private indexed = false;

  /** Opens a new, empty index at `path` (an earlier file there is replaced). */
  constructor(
    private readonly path: string,
    private readonly zone: string,
  ) {
    this.db = this.create();
  }

  private create(): Database.Database {
    removeFiles(this.path);
    // Public incidents only, but the publisher's business: private to its owner, like the database.
    keepPrivate(this.path);
    const db = new Database(this.path);
    db.exec(`
      PRAGMA journal_mode = MEMORY;
      PRAGMA synchronous = OFF;
      PRAGMA locking_mode = EXCLUSIVE;
      CREATE TABLE history (
        id TEXT PRIMARY KEY,
        started_at TEXT NOT NULL,
        month TEXT NOT NULL,
        resolved_minute INTEGER,
        status TEXT NOT NULL,
        version INTEGER NOT NULL,
        latest_minute INTEGER,
        postmortem_at TEXT,
        touched TEXT NOT NULL
      );
      CREATE TABLE touched (
        component_id TEXT NOT NULL,
        id TEXT NOT NULL,
        started_at TEXT NOT NULL,
        latest_minute INTEGER,
        postmortem_at TEXT,
        PRIMARY KEY (id, component_id)
      );
    `);
    return db;
  }

  /** The secondary indexes, made once after a bulk load (cheaper than kept row by row during it). */
  private createIndexes(): void {
    if (this.indexed) return;
    this.db.exec(`
      CREATE INDEX history_order ON history (started_at, id);
      CREATE INDEX history_month ON history (month, started_at, id);
      CREATE INDEX history_resolved ON history (resolved_minute);
      CREATE INDEX history_open ON history (id) WHERE status != 'resolved' OR resolved_minute IS NULL;
      CREATE INDEX history_latest ON history (latest_minute);
      CREATE INDEX history_postmortem ON history (postmortem_at);
      CREATE INDEX touched_started ON touched (component_id, started_at, id);
      CREATE INDEX touched_latest ON touched (component_id, latest_minute);
      CREATE INDEX touched_postmortem ON touched (component_id, postmortem_at);
    `);
    this.indexed = true;
  }

  /** The column `column` of the rows `sql` finds. */
  private column<T>(sql: string, column: string, ...args: unknown[]): T[] {
    return this.statement(sql)
      .all(...args)
      .map((row) => row[column] as T);
  }

  /** The column `column` of the first row `sql` finds; undefined without one. */
  private value<T>(sql: string, column: string, ...args: unknown[]): T | undefined {
    return this.statement(sql).get(...args)?.[column] as T | undefined;
  }

  private statement(sql: string): Statement {
    let prepared = this.statements.get(sql);
    if (!prepared) {
      prepared = this.db.prepare(sql) as unknown as Statement;
      this.statements.set(sql, prepared);
    }
    return prepared;
  }

  /** Empties the index for a full export's load (`load`). */
  reset(): void {
    this.db.close();
    this.statements.clear();
    this.counts.clear();
    this.monthList = null;
    this.indexed = false;
    this.db = this.create();
  }

  /**
   * Adds many summaries in one transaction. An incident already in the index keeps its summary: a
   * full export pages through the history by start, and one redated while it runs may be read
   * twice (its change is published after the export anyway).
   */
  load(summaries: Iterable<IncidentSummary>): void {
    const added: string[] = [];
    this.transaction(() => {
      for (const summary of summaries) {
        const month = this.insert(summary, 'OR IGNORE');
        if (month !== null) added.push(month);
      }
    });
    for (const month of added) this.count(month, 1);
  }

  /** Ends a bulk load: from here on, queries use the indexes. */
  loaded(): void {
    this.createIndexes();
  }

  /** Puts an incident's summary in place of its earlier one, if any. */
  put(summary: IncidentSummary): void {
    this.createIndexes();
    const { gone, added } = this.transaction(() => ({
      gone: this.delete(summary.id),
      added: this.insert(summary, ''),
    }));
    if (gone !== undefined) this.count(gone, -1);
    if (added !== null) this.count(added, 1);
  }

  remove(id: string): void {
    this.createIndexes();
    const gone = this.transaction(() => this.delete(id));
    if (gone !== undefined) this.count(gone, -1);
  }

  /**
   * Runs `work` in one transaction. The month counts are changed by the callers once it has
   * committed, so a failed write leaves them as the rows are.
   */
  private transaction<T>(work: () => T): T {
    this.db.exec('BEGIN');
    try {
      const result = work();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      try {
        this.db.exec('ROLLBACK');
      } catch {
        // SQLite already rolled back (for example after SQLITE_FULL); nothing left to undo.
      }
      throw error;
    }
  }

  /** The month (site time zone) of an instant. */
  private monthOf(ms: number): string {
    const ranges = this.monthRanges;
    let lo = 0;
    let hi = ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ranges[mid]!.end <= ms) lo = mid + 1;
      else hi = mid;
    }
    const found = ranges[lo];
    if (found && found.start <= ms) return found.month;
    const month = monthKey(ms, this.zone);
    const start = startOfDay(`${month}-01`, this.zone);
    const end = startOfDay(`${addMonths(month, 1)}-01`, this.zone);
    // Where it goes: no range holds `ms`, so none overlaps this one.
    if (start <= ms && ms < end) ranges.splice(lo, 0, { month, start, end });
    return month;
  }

  /** Inserts a summary's rows; returns its month, or null when `OR IGNORE` kept an earlier one. */
  private insert(s: IncidentSummary, conflict: 'OR IGNORE' | ''): string | null {
    const month = this.monthOf(Date.parse(s.started_at));
    const { changes } = this.statement(
      `INSERT ${conflict} INTO history (id, started_at, month, resolved_minute, status, version,
         latest_minute, postmortem_at, touched) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      s.id,
      s.started_at,
      month,
      s.resolved_minute,
      s.status,
      s.version,
      s.latest_minute,
      s.postmortem_at,
      s.touched.join('\n'),
    );
    if (changes === 0) return null;
    const touched = this.statement(
      `INSERT INTO touched (component_id, id, started_at, latest_minute, postmortem_at)
       VALUES (?, ?, ?, ?, ?)`,
    );
    for (const c of s.touched) touched.run(c, s.id, s.started_at, s.latest_minute, s.postmortem_at);
    return month;
  }

  /** Deletes an incident's rows; returns the month it was in, undefined when it was not. */
  private delete(id: string): string | undefined {
    const month = this.value<string>('SELECT month FROM history WHERE id = ?', 'month', id);
    if (month === undefined) return undefined;
    this.statement('DELETE FROM history WHERE id = ?').run(id);
    this.statement('DELETE FROM touched WHERE id = ?').run(id);
    return month;
  }

  private count(month: string, by: number): void {
    const n = (this.counts.get(month) ?? 0) + by;
    if (n > 0) this.counts.set(month, n);
    else this.counts.delete(month);
    this.monthList = null;
  }

  get size(): number {
    let n = 0;
    for (const count of this.counts.values()) n += count;
    return n;
  }

  get(id: string): IncidentSummary | undefined {
    const row = this.statement('SELECT * FROM history WHERE id = ?').get(id);
    return row && summaryOf(row);
  }

  months(): readonly MonthCount[] {
    this.monthList ??= [...this.counts]
      .map(([month, count]) => ({ month, count }))
      .sort((a, b) => (a.month < b.month ? 1 : -1));
    return this.monthList;
  }

  positionOf(incident: { started_at: string; id: string }): number {
    const month = this.statement('SELECT month, started_at FROM history WHERE id = ?').get(
      incident.id,
    ) as { month: string; started_at: string } | undefined;
    if (!month || month.started_at !== incident.started_at) return -1;
    let at = 0;
    for (const m of this.months()) {
      if (m.month === month.month) break;
      at += m.count;
    }
    const newer = this.value<number>(
      `SELECT COUNT(*) AS n FROM history WHERE month = ? AND (started_at, id) > (?, ?)`,
      'n',
      month.month,
      incident.started_at,
      incident.id,
    );
    return at + newer!;
  }

  idsOf(month: string, from: number, to: number): string[] {
    if (to <= from) return [];
    return this.column<string>(
      `SELECT id FROM history WHERE month = ? ORDER BY started_at DESC, id DESC LIMIT ? OFFSET ?`,
      'id',
      month,
      to - from,
      from,
    );
  }

  oldestStart(): string | null {
    return this.value<string | null>('SELECT MIN(started_at) AS at FROM history', 'at') ?? null;
  }

  allIds(): string[] {
    return this.column<string>('SELECT id FROM history ORDER BY started_at DESC, id DESC', 'id');
  }

  /**
   * Component id → when the oldest incident that touched it started, for `componentIds` (those
   * without an incident are left out): one lookup in an index each, where grouping the whole
   * table would read every row.
   */
  oldestStarts(componentIds: readonly string[]): Map<string, string> {
    this.createIndexes();
    const oldest = new Map<string, string>();
    for (const id of componentIds) {
      const at = this.value<string | null>(
        'SELECT MIN(started_at) AS at FROM touched WHERE component_id = ?',
        'at',
        id,
      );
      if (at) oldest.set(id, at);
    }
    return oldest;
  }

  /**
   * The incidents whose full records the site-wide and component routes read (the index, the
   * component pages, the feeds, the Statuspage JSON, the badge). Each route looks only at some of
   * the newest, the open, or those of the last `PAST_DAYS`, so a view computed over these gives
   * the same answer as over the whole history (the uptime bars read further back, but only
   * timelines: `uptimeIncidentIds`):
   * - open incidents, and those started or resolved within the last `PAST_DAYS` (past days,
   *   recently resolved, active incidents);
   * - the `RECENT_INCIDENTS` newest started (`incidents.json`);
   * - per component, its `COMPONENT_INCIDENTS` newest started (the component page);
   * - site-wide and per component, the `FEED_ITEMS` with the newest update and the newest
   *   postmortems (the feeds), with every one tied with the last of them: the newest update is
   *   kept to the minute, and a tie may be the newer one.
   */
  hotIncidentIds(now: Date, componentIds: readonly string[]): Set<string> {
    this.createIndexes();
    const ids = this.uptimeIncidentIds(now, PAST_DAYS);
    const add = (found: string[]) => {
      for (const id of found) ids.add(id);
    };
    add(
      this.column<string>(
        'SELECT id FROM history ORDER BY started_at DESC, id DESC LIMIT ?',
        'id',
        RECENT_INCIDENTS,
      ),
    );
    add(this.topOf('history', 'latest_minute', '', [], Number.MIN_SAFE_INTEGER));
    add(this.topOf('history', 'postmortem_at', '', [], ''));
    for (const component of componentIds) {
      add(
        this.column<string>(
          `SELECT id FROM touched WHERE component_id = ?
           ORDER BY started_at DESC, id DESC LIMIT ?`,
          'id',
          component,
          COMPONENT_INCIDENTS,
        ),
      );
      const where = 'component_id = ? AND';
      add(this.topOf('touched', 'latest_minute', where, [component], Number.MIN_SAFE_INTEGER));
      add(this.topOf('touched', 'postmortem_at', where, [component], ''));
    }
    return ids;
  }

  /** The ids with the `FEED_ITEMS` greatest values of `column` (none null), ties included. */
  private topOf(
    table: 'history' | 'touched',
    column: 'latest_minute' | 'postmortem_at',
    where: string,
    args: unknown[],
    least: number | string,
  ): string[] {
    const cut = this.value<number | string>(
      `SELECT ${column} FROM ${table} WHERE ${where} ${column} IS NOT NULL
       ORDER BY ${column} DESC LIMIT 1 OFFSET ?`,
      column,
      ...args,
      FEED_ITEMS - 1,
    );
    return this.column<string>(
      `SELECT id FROM ${table} WHERE ${where} ${column} >= ?`,
      'id',
      ...args,
      cut ?? least,
    );
  }

  /**
   * The incidents the uptime bars read (`UPTIME_DAYS` back, further than `hotIncidentIds` keeps
   * in full): open, or started or resolved within the window (two days more for any time zone).
   * The publisher keeps those that are not hot as their timelines alone (`uptimeRecord`).
   */
  uptimeIncidentIds(now: Date, days = UPTIME_DAYS): Set<string> {
    this.createIndexes();
    const start = now.getTime() - (days + 2) * 86_400_000;
    // Resolved in the window's first minute or later: a superset of those resolved within it.
    const found = this.column<string>(
      `SELECT id FROM history WHERE status != 'resolved' OR resolved_minute IS NULL
       UNION SELECT id FROM history WHERE resolved_minute >= ?
       UNION SELECT id FROM history WHERE started_at >= ?`,
      'id',
      Math.floor(start / 60_000),
      new Date(start).toISOString(),
    );
    return new Set(found);
  }

  /** Closes the index and deletes its file. */
  close(): void {
    this.db.close();
    removeFiles(this.path);
  }
}

function removeFiles(path: string): void {
  for (const file of [path, `${path}-journal`, `${path}-wal`, `${path}-shm`])
    rmSync(file, { force: true });
}

export function summarise(incident: IncidentRecord): IncidentSummary {
  return {
    id: incident.id,
    started_at: incident.started_at,
    resolved_minute: incident.resolved_at === null ? null : minuteOf(incident.resolved_at),
    status: incident.status,
    version: incident.version,
    touched: touchedComponents(incident),
    latest_minute: newestMinute(incident),
    postmortem_at: incident.postmortem?.published_at ?? null,
  };
}

/** The newest update's `display_at` (the feeds' order), to the minute; null without updates. */
function newestMinute(incident: IncidentRecord): number | null {
  let newest: string | null = null;
  for (const update of incident.updates)
    if (newest === null || update.display_at > newest) newest = update.display_at;
  return newest === null ? null : minuteOf(newest);
}

function summaryOf(row: Record<string, unknown>): IncidentSummary {
  const touched = row.touched as string;
  return {
    id: row.id as string,
    started_at: row.started_at as string,
    resolved_minute: row.resolved_minute as number | null,
    status: row.status as IncidentSummary['status'],
    version: row.version as number,
    touched: touched === '' ? [] : touched.split('\n'),
    latest_minute: row.latest_minute as number | null,
    postmortem_at: row.postmortem_at as string | null,
  };
}

const NO_MONTHS: readonly MonthCount[] = [];

/** A history with no incidents (before the first load). */
export const EMPTY_HISTORY: HistorySource = {
  months: () => NO_MONTHS,
  positionOf: () => -1,
  idsOf: () => [],
  oldestStart: () => null,
  allIds: () => [],
  size: 0,
};
