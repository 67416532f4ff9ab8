import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createApp } from '../../src/app.ts';
import { loadContent, type Content } from '../../src/config/content.ts';
import type { IncidentChange } from '../../src/domain/incidents/context.ts';
import type { MaintenanceChange } from '../../src/domain/maintenances/types.ts';
import { loadUpdateTemplates } from '../../src/domain/templates.ts';
import { loadMailTemplates } from '../../src/mail/templates.ts';
import { sampleVariables } from '../../src/scheduler/messages.ts';
import { openDatabase, type Db } from '../../src/storage/db.ts';
import { createKey } from '../../src/storage/keys.ts';
import { migrate } from '../../src/storage/migrations.ts';
import type { Scope } from '../../src/domain/types.ts';
import {
  DEFAULT_LIMITS,
  type SubscriptionContext,
  type SubscriptionLimits,
} from '../../src/domain/subscriptions/context.ts';
import { subscriberSamples } from '../../src/fanout/messages.ts';
import { TestClock } from './clock.ts';
import {
  createWebhookServices,
  type WebhookServices,
  type WebhookSetup,
} from '../../src/webhooks/setup.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');

/** The secret subscription links are derived from in tests. */
export const TEST_SECRET = 'test secret for subscription links, 32+ chars';

export interface Harness {
  app: ReturnType<typeof createApp>;
  db: Db;
  dir: string;
  content: Content;
  clock: TestClock;
  adminToken: string;
  changes: IncidentChange[];
  maintenanceChanges: MaintenanceChange[];
  /** What the subscription routes run with (secret, templates, limits). */
  subscriptions: SubscriptionContext;
  /** Webhook services (routes' context and worker), when asked for with `webhooks`. */
  webhooks: WebhookServices | null;
  /** Sends a request to the app; `body` objects are sent as JSON, strings as they are. */
  request(
    method: string,
    path: string,
    options?: { body?: unknown; token?: string | null; headers?: Record<string, string> },
  ): Promise<Response>;
  /** A key of the given scope. */
  key(scope: Scope): Promise<string>;
  close(): void;
}

/**
 * The app as `main.ts` builds it, on a real libSQL file in a temporary directory, with a hand-moved
 * clock and the repository's content and templates (or `contentDir`).
 */
export async function createHarness(
  options: {
    contentDir?: string;
    clock?: TestClock;
    onChange?: (c: IncidentChange) => void;
    /** `client` runs on `@libsql/client`, the driver remote databases use. */
    driver?: 'embedded' | 'client';
    limits?: Partial<SubscriptionLimits>;
    webhookSecret?: string;
    /** Webhook subscribers: the allow list, an injected resolver, timings. */
    webhooks?: Partial<WebhookSetup>;
  } = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'herald-test-'));
  const clock = options.clock ?? new TestClock();
  const db = await openDatabase({ url: `file:${join(dir, 'herald.db')}`, driver: options.driver });
  await migrate(db, clock.now);
  const content = await loadContent(options.contentDir ?? join(REPO_ROOT, 'content'));
  const templates = await loadUpdateTemplates(join(REPO_ROOT, 'templates'));
  const mail = await loadMailTemplates(
    join(REPO_ROOT, 'templates'),
    sampleVariables(content, 'https://status.example.test'),
  );
  const at = clock.now().toISOString();
  const { token: adminToken } = await createKey(db, {
    name: 'test admin',
    scope: 'admin',
    createdBy: null,
    at,
  });
  const changes: IncidentChange[] = [];
  const maintenanceChanges: MaintenanceChange[] = [];
  const siteUrl = 'https://status.example.test';
  const subscriptions: SubscriptionContext = {
    db,
    content,
    mail: await loadMailTemplates(
      join(REPO_ROOT, 'templates'),
      subscriberSamples(content, siteUrl),
    ),
    now: clock.now,
    siteUrl,
    secret: Buffer.from(TEST_SECRET),
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    onQueued: () => undefined,
  };
  const webhooks = options.webhooks
    ? createWebhookServices({
        db,
        content,
        now: clock.now,
        log: () => undefined,
        siteUrl,
        apiUrl: siteUrl,
        secret: Buffer.from(TEST_SECRET),
        allow: [],
        timeoutMs: 2000,
        backoffBaseMs: 1000,
        concurrency: 16,
        pollMs: 1000,
        requestsPerClientPerHour: DEFAULT_LIMITS.requestsPerClientPerHour,
        onMailQueued: () => undefined,
        ...options.webhooks,
      })
    : null;
  const app = createApp({
    db,
    content,
    templates,
    now: clock.now,
    siteUrl,
    log: () => undefined,
    mail,
    onChange: (change) => {
      changes.push(change);
      options.onChange?.(change);
    },
    onMaintenanceChange: (change) => {
      maintenanceChanges.push(change);
    },
    subscriptions: {
      ctx: subscriptions,
      apiUrl: siteUrl,
      allowedOrigins: [siteUrl],
      webhookSecret: options.webhookSecret,
    },
    ...(webhooks ? { webhooks: webhooks.ctx } : {}),
  });
  return {
    app,
    db,
    dir,
    content,
    clock,
    adminToken,
    changes,
    maintenanceChanges,
    subscriptions,
    webhooks,
    async request(method, path, { body, token = adminToken, headers = {} } = {}) {
      const init: RequestInit = { method, headers: { ...headers } };
      if (token !== null)
        (init.headers as Record<string, string>).authorization = `Bearer ${token}`;
      if (body !== undefined) {
        init.body =
          typeof body === 'string' || body instanceof Uint8Array
            ? (body as string)
            : JSON.stringify(body);
        (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
      }
      return app.request(path, init);
    },
    async key(scope) {
      const { token } = await createKey(db, {
        name: `test ${scope}`,
        scope,
        createdBy: null,
        at: clock.now().toISOString(),
      });
      return token;
    },
    close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A valid SEV1 declaration body (the policy requires roles and a business-impact summary). */
export function sev1Body(extra: Record<string, unknown> = {}) {
  return {
    title: 'Checkout failing for card payments',
    severity: 'SEV1',
    message: 'We are investigating failed card payments at checkout.',
    components: [{ id: 'checkout', status: 'major_outage' }],
    roles: { commander: 'Ada Lovelace', communications: 'comms@acme.example' },
    business_impact: {
      summary: 'Card payments fail',
      customers_affected: 1200,
      revenue_per_minute: 850,
      currency: 'USD',
    },
    ...extra,
  };
}
