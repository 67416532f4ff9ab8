/**
 * `npm run seed -- --incidents N --days D [--active K] [--seed S] [--now ISO] [--reset]`:
 * writes a deterministic, realistic incident history into the configured database.
 */
import { parseArgs } from 'node:util';
import { loadContent } from '../config/content.ts';
import { readSettings } from '../config/env.ts';
import { openDatabase } from '../storage/db.ts';
import { migrate } from '../storage/migrations.ts';
import { generateHistory } from './generate.ts';
import { clearIncidents, countIncidents, writeHistory } from './write.ts';

const { values } = parseArgs({
  options: {
    incidents: { type: 'string', default: '200' },
    days: { type: 'string', default: '365' },
    active: { type: 'string', default: '0' },
    seed: { type: 'string', default: '42' },
    now: { type: 'string' },
    reset: { type: 'boolean', default: false },
  },
});

function positive(name: string, text: string, min = 0): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    process.stderr.write(`seed: --${name} must be an integer ≥ ${min}\n`);
    process.exit(2);
  }
  return value;
}

const incidents = positive('incidents', values.incidents, 0);
const days = positive('days', values.days, 1);
const active = Math.min(incidents, positive('active', values.active, 0));
const seed = positive('seed', values.seed, 0);
// By default the history ends at the start of the current hour, so reruns within it are identical.
const now = values.now
  ? new Date(values.now)
  : new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
if (Number.isNaN(now.getTime())) {
  process.stderr.write('seed: --now must be an ISO date\n');
  process.exit(2);
}

const settings = readSettings(process.env);
const content = await loadContent(settings.contentDir);
const db = await openDatabase({ url: settings.databaseUrl, authToken: settings.databaseAuthToken });
try {
  await migrate(db, () => new Date());
  const existing = await countIncidents(db);
  if (existing > 0 && !values.reset) {
    process.stderr.write(
      `seed: the database already has ${existing} incidents; pass --reset to replace them\n`,
    );
    process.exitCode = 1;
  } else {
    const started = performance.now();
    if (values.reset) await clearIncidents(db);
    const history = generateHistory({
      incidents,
      days,
      now,
      seed,
      active,
      catalog: content.catalog,
    });
    await writeHistory(db, history, now.toISOString());
    const updates = history.reduce((n, i) => n + i.updates.length, 0);
    process.stdout.write(
      `seeded ${history.length} incidents (${updates} updates, ${active} open) over ${days} days ending ${now.toISOString()} into ${settings.databaseUrl} in ${Math.round(performance.now() - started)} ms\n`,
    );
  }
} finally {
  db.close();
}
