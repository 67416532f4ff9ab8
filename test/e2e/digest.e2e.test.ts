import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatMoney } from '../../src/domain/business-impact.ts';
import { humanSeconds } from '../../src/lib/time.ts';
import { parseEml, type ParsedEml } from '../mail/parse-eml.ts';
import { REPO_ROOT } from '../support/harness.ts';
import { startServer, waitFor, type ServerProcess } from '../support/server-process.ts';

/**
 * The real server processes on one real database file, the policy in seconds from
 * test/fixtures/content-fast plus an executive digest every 3 s while a SEV1/SEV2 is open and a
 * daily digest a few seconds ahead. No provider key: every email is an .eml file in data/outbox,
 * read back as MIME.
 */

let dir: string;
let contentDir: string;
const servers: ServerProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'herald-digest-e2e-'));
  contentDir = mkdtempSync(join(tmpdir(), 'herald-digest-content-'));
  cpSync(join(REPO_ROOT, 'test/fixtures/content-fast'), contentDir, { recursive: true });
});
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  rmSync(contentDir, { recursive: true, force: true });
});

/** `HH:MM:SS` (UTC, the fixture site's zone) `seconds` from now. */
function clockIn(seconds: number): { at: number; text: string } {
  const at = Math.ceil((Date.now() + seconds * 1000) / 1000) * 1000;
  return { at, text: new Date(at).toISOString().slice(11, 19) };
}

/** The fixture policy plus an executive digest section (replacing any written before). */
function withDigest(dailyAt: string, severeEvery = '3s'): void {
  const policy = readFileSync(join(REPO_ROOT, 'test/fixtures/content-fast/policy.yaml'), 'utf8');
  writeFileSync(
    join(contentDir, 'policy.yaml'),
    `${policy}\nexecutive_digest:\n  daily_at: "${dailyAt}"\n  while_severe_every: ${severeEvery}\n`,
  );
}

async function start(env: Record<string, string> = {}): Promise<ServerProcess> {
  const server = await startServer({
    dataDir: dir,
    env: {
      HERALD_CONTENT_DIR: contentDir,
      HERALD_TICK_MS: '200',
      SITE_URL: 'https://status.example.test',
      EMAIL_FROM: 'Herald <status@acme.example>',
      ...env,
    },
  });
  servers.push(server);
  return server;
}

/** Every digest email written so far, parsed as MIME. */
function digestEmails(): Array<ParsedEml & { slot: string; text: string; html: string }> {
  let files: string[];
  try {
    files = readdirSync(join(dir, 'outbox')).filter((f) => f.endsWith('.eml'));
  } catch {
    return [];
  }
  return files
    .map((file) => parseEml(readFileSync(join(dir, 'outbox', file), 'utf8')))
    .filter((mail) => mail.headers['x-herald-digest'] !== undefined)
    .map((mail) => ({
      ...mail,
      slot: mail.headers['x-herald-digest']!,
      text: mail.parts.find((p) => p.type === 'text/plain')!.body,
      html: mail.parts.find((p) => p.type === 'text/html')!.body,
    }));
}

interface Digest {
  id: string;
  slot_key: string;
  kind: string;
  slot_at: string;
  sent_at: string;
  period_from: string;
  period_to: string;
  data: {
    generated_at: string;
    active: Array<{ id: string; estimated_cost: number | null }>;
    resolved: Array<{ id: string; estimated_cost: number | null; duration_seconds: number }>;
    metrics: { current: { mtta: Stat; mttr: Stat } };
    nothing_to_report: boolean;
  };
}
interface Stat {
  mean_seconds: number | null;
  count: number;
  missing: number;
}

async function digests(server: ServerProcess): Promise<Digest[]> {
  const list = (await (await server.api('GET', '/v1/digests?limit=200')).json()) as {
    digests: Array<{ id: string }>;
  };
  return Promise.all(
    list.digests.map(
      async (d) => (await (await server.api('GET', `/v1/digests/${d.id}`)).json()) as Digest,
    ),
  );
}

const EXECUTIVES = ['cto@acme.example', 'vp-support@acme.example'];

/** Each slot recorded once, and exactly one email per executive for each, none for anything else. */
function expectEachSlotOnce(recorded: Digest[]) {
  const keys = recorded.map((d) => d.slot_key);
  expect(new Set(keys).size).toBe(keys.length);
  const emails = digestEmails();
  const bySlot = new Map<string, string[]>();
  for (const mail of emails)
    bySlot.set(mail.slot, [...(bySlot.get(mail.slot) ?? []), mail.headers.to!]);
  expect([...bySlot.keys()].sort()).toEqual([...keys].sort());
  for (const [slot, to] of bySlot) expect(to.sort(), slot).toEqual(EXECUTIVES);
}

const money = (amount: number | null) => formatMoney(amount, 'USD');

describe('the executive digest in the running server', () => {
  it('reports a SEV1 and a SEV3 that run their course, each slot once across two processes', async () => {
    // First no daily slot is owed (an hour ago, before the schedule first ran): only the slots
    // every 3 s while the SEV1 is open.
    withDigest(clockIn(-3600).text);
    const env = { HERALD_SCHEDULER_LEASE: 'off' };
    let [a, b] = await Promise.all([start(env), start(env)]);

    const sev1Res = await a.api('POST', '/v1/incidents', {
      title: 'Checkout failing for card payments',
      severity: 'SEV1',
      message: 'Card payments fail.',
      components: [{ id: 'checkout', status: 'major_outage' }],
      roles: { commander: 'ada@acme.example', communications: 'grace@acme.example' },
      business_impact: {
        summary: 'Card payments fail (exposure QZ-5)',
        customers_affected: 1200,
        revenue_per_minute: 850,
        currency: 'USD',
      },
    });
    expect(sev1Res.status).toBe(201);
    const sev1 = (await sev1Res.json()) as { id: string; started_at: string };
    const sev3Res = await b.api('POST', '/v1/incidents', {
      title: 'Analytics is slow',
      severity: 'SEV3',
      message: 'Analytics is slow.',
      components: [{ id: 'analytics', status: 'degraded_performance' }],
    });
    expect(sev3Res.status).toBe(201);
    const sev3 = (await sev3Res.json()) as { id: string };
    const ack = await b.api(
      'PATCH',
      `/v1/incidents/${sev1.id}`,
      { acknowledged_at: new Date().toISOString() },
      { 'if-match': '"1"' },
    );
    expect(ack.status).toBe(200);

    // While the SEV1 is open, a digest every 3 s.
    await waitFor('two digests while the SEV1 is open', async () => (await digests(a)).length >= 2);
    for (const [server, id, message] of [
      [a, sev1.id, 'Rolled back the gateway deploy.'],
      [b, sev3.id, 'Analytics index rebuilt.'],
    ] as const) {
      const res = await server.api('POST', `/v1/incidents/${id}/updates`, {
        status: 'resolved',
        message,
      });
      expect(res.status).toBe(201);
    }
    const resolvedAt = Date.now();
    // Both processes are stopped, the daily time moved to just ahead, and both start again
    // together, whenever a loaded machine lets them: the slot is owed (on time or late) and goes
    // out once.
    await Promise.all([a, b].map((server) => server.stop('SIGKILL')));
    servers.length = 0;
    const daily = clockIn(2);
    withDigest(daily.text);
    await new Promise((r) => setTimeout(r, Math.max(0, daily.at - Date.now())));
    [a, b] = await Promise.all([start(env), start(env)]);
    await waitFor(
      'the daily digest',
      async () => (await digests(b)).some((d) => d.kind === 'daily'),
      60_000,
    );
    await new Promise((r) => setTimeout(r, 1_000)); // let both mailers write what is queued
    await waitFor('every digest email', () => {
      const keys = new Set(digestEmails().map((m) => m.slot));
      return keys.size >= 3;
    });

    const recorded = await digests(a);
    expectEachSlotOnce(recorded);
    const severe = recorded.filter((d) => d.kind === 'severe');
    expect(severe.length).toBeGreaterThanOrEqual(2);
    // No severe digest for a slot after the SEV1 was resolved.
    for (const d of severe) expect(Date.parse(d.slot_at)).toBeLessThan(resolvedAt);

    const sev1Record = (await (await a.api('GET', `/v1/incidents/${sev1.id}`)).json()) as {
      started_at: string;
      resolved_at: string;
    };
    const emails = digestEmails();
    // At least one digest went out while the SEV1 was active, with its cost so far.
    expect(
      recorded.filter((d) => d.data.active.some((i) => i.id === sev1.id)).length,
    ).toBeGreaterThan(0);
    for (const digest of recorded) {
      const mail = emails.find((m) => m.slot === digest.slot_key)!;
      expect(mail.headers['content-type']).toMatch(/^multipart\/alternative/);
      expect(mail.headers.subject).toMatch(/^\[Herald\] Executive digest for Acme Cloud: /);
      // The figures in the email are the records' figures as of the digest.
      const metrics = (await (
        await a.api('GET', `/v1/metrics?from=${digest.period_from}&to=${digest.period_to}`)
      ).json()) as { mtta: Stat; mttr: Stat };
      expect(digest.data.metrics.current.mtta).toEqual(metrics.mtta);
      expect(digest.data.metrics.current.mttr).toEqual(metrics.mttr);
      const mtta =
        metrics.mtta.mean_seconds === null ? 'n/a' : humanSeconds(metrics.mtta.mean_seconds);
      expect(mail.text).toContain(`MTTA: ${mtta} over ${metrics.mtta.count} incidents`);
      const activeSev1 = digest.data.active.find((i) => i.id === sev1.id);
      if (activeSev1) {
        const minutes =
          (Date.parse(digest.data.generated_at) - Date.parse(sev1Record.started_at)) / 60_000;
        const cost = Math.round(850 * minutes * 100) / 100;
        expect(activeSev1.estimated_cost).toBe(cost);
        expect(mail.text).toContain(`Estimated cost so far: ${money(cost)}`);
        expect(mail.text).toContain('Customers affected:    1,200');
        expect(mail.html).toContain(money(cost));
      }
    }
    // The first digest after the resolutions (the daily one, unless a severe slot from just
    // before went out late) lists both as resolved, with the SEV1's cost over its lifetime.
    expect(Date.parse(recorded.find((d) => d.kind === 'daily')!.slot_at)).toBe(daily.at);
    const dailyDigest = [...recorded]
      .reverse()
      .find((d) => Date.parse(d.data.generated_at) > resolvedAt)!;
    expect(dailyDigest.data.active).toEqual([]);
    expect(dailyDigest.data.resolved.map((i) => i.id).sort()).toEqual([sev1.id, sev3.id].sort());
    const lifetime =
      (Date.parse(sev1Record.resolved_at) - Date.parse(sev1Record.started_at)) / 60_000;
    const cost = Math.round(850 * lifetime * 100) / 100;
    const dailyMail = emails.find((m) => m.slot === dailyDigest.slot_key)!;
    expect(dailyMail.headers.subject).toBe(
      '[Herald] Executive digest for Acme Cloud: 0 active, 2 resolved',
    );
    expect(dailyMail.text).toContain(`Estimated cost:        ${money(cost)}`);
    expect(dailyMail.text).toContain('RESOLVED SINCE THE LAST DIGEST: 2');
    // The business figures went to executives only, never into the public JSON.
    const site = readFileSync(join(dir, 'site', 'api/v2/incidents.json'), 'utf8');
    expect(site).toContain(sev1.id);
    expect(site).not.toContain('QZ-5');
    expect(site).not.toContain('revenue');
  }, 180_000);

  it('sends a slot the server was down through once, late, after a restart, and says when there is nothing', async () => {
    withDigest(clockIn(-3600).text, '1h');
    let server = await start();
    await waitFor('the first scheduler pass', async () => {
      const health = (await (await server.api('GET', '/healthz')).json()) as {
        scheduler: { last_tick_at: string | null };
      };
      return health.scheduler.last_tick_at !== null;
    });
    // The schedule has run (nothing owed yet); the server stops, and the daily time comes round
    // while it is down.
    await server.stop('SIGKILL');
    servers.length = 0;
    const daily = clockIn(3);
    withDigest(daily.text, '1h');
    // Down through the daily slot.
    await new Promise((r) => setTimeout(r, Math.max(0, daily.at + 2_000 - Date.now())));
    expect(digestEmails()).toEqual([]);
    server = await start();
    await waitFor('the late daily digest', () => digestEmails().length === 2, 40_000);
    const [digest] = await digests(server);
    expect(digest!.kind).toBe('daily');
    expect(Date.parse(digest!.slot_at)).toBe(daily.at);
    expect(Date.parse(digest!.sent_at)).toBeGreaterThan(daily.at + 2_000);
    expect(digest!.data.nothing_to_report).toBe(true);
    const mail = digestEmails()[0]!;
    expect(mail.headers.subject).toBe(
      '[Herald] Executive digest for Acme Cloud: nothing to report',
    );
    expect(
      mail.text.split('\n').filter((line) => line.startsWith('Nothing to report')),
    ).toHaveLength(1);

    // Killed again and restarted: the slot is not sent a second time.
    await server.stop('SIGKILL');
    servers.length = 0;
    server = await start();
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await digests(server)).toHaveLength(1);
    expectEachSlotOnce(await digests(server));
  }, 180_000);
});
