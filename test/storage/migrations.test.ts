import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/storage/db.ts';
import { migrate } from '../../src/storage/migrations.ts';

describe('migrations', () => {
  it('apply once, are recorded, and are a no-op the second time', async () => {
    const url = `file:${join(mkdtempSync(join(tmpdir(), 'herald-mig-')), 'herald.db')}`;
    const now = () => new Date('2026-11-23T10:00:00Z');
    const db = await openDatabase({ url });
    const first = await migrate(db, now);
    expect(first[0]).toBe('001_incidents');
    expect(await migrate(db, now)).toEqual([]);
    db.close();
    const again = await openDatabase({ url });
    expect(await migrate(again, now)).toEqual([]);
    const recorded = await again.query('SELECT version FROM schema_migrations ORDER BY version');
    expect(recorded.map((r) => r.version)).toEqual(first);
    again.close();
  });

  it('are safe when two clients on one file migrate at once', async () => {
    const url = `file:${join(mkdtempSync(join(tmpdir(), 'herald-mig-')), 'herald.db')}`;
    const now = () => new Date('2026-11-23T10:00:00Z');
    const [a, b] = await Promise.all([openDatabase({ url }), openDatabase({ url })]);
    const [ra, rb] = await Promise.all([migrate(a, now), migrate(b, now)]);
    expect([...ra, ...rb].sort()).toEqual([...new Set([...ra, ...rb])].sort());
    const tables = await a.query(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'incidents'",
    );
    expect(tables).toHaveLength(1);
    a.close();
    b.close();
  });
});
