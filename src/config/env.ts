import { resolve } from 'node:path';
import { z } from 'zod';
import { parseAllowList, type Cidr } from '../domain/webhooks/address-policy.ts';
import { ConfigError } from './content.ts';

const MAILBOX = /^[^\s@<>",;:]+@[^\s@<>",;:]+$/;

/** `status@acme.example` or `Acme Status <status@acme.example>`, the forms Resend accepts. */
function isSender(text: string): boolean {
  const named = /^([^<>]*)<([^<>]+)>$/.exec(text.trim());
  return MAILBOX.test(named ? named[2]!.trim() : text.trim());
}

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  SITE_URL: z.url().optional(),
  HERALD_DATA_DIR: z.string().min(1).default('./data'),
  HERALD_CONTENT_DIR: z.string().min(1).default('./content'),
  HERALD_TEMPLATES_DIR: z.string().min(1).default('./templates'),
  DATABASE_URL: z
    .string()
    .regex(/^(file:|libsql:|https?:|wss?:)/, 'must be a file:, libsql:, http(s): or ws(s): URL')
    .optional(),
  DATABASE_AUTH_TOKEN: z.string().optional(),
  HERALD_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  RESEND_API_KEY: z.string().optional(),
  RESEND_BASE_URL: z.url().optional(),
  EMAIL_FROM: z
    .string()
    .refine(isSender, 'must be an address like status@acme.example or "Acme <status@acme.example>"')
    .optional(),
  RESEND_WEBHOOK_SECRET: z.string().optional(),
  // Subscription links are derived from it; without it, <data>/secret.key is made on first start.
  HERALD_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  // Where browsers and mail clients reach the API, when the site is hosted elsewhere (a CDN).
  HERALD_PUBLIC_API_URL: z.url().optional(),
  HERALD_SUBSCRIBE_PER_HOUR: z.coerce.number().int().min(1).default(20),
  HERALD_CONFIRMATIONS_PER_DAY: z.coerce.number().int().min(1).default(3),
  HERALD_TICK_MS: z.coerce.number().int().min(10).default(15_000),
  // A test and operations switch: `off` lets every process run the scheduler's periodic pass.
  HERALD_SCHEDULER_LEASE: z.enum(['on', 'off']).default('on'),
  // Resend's default limit is 2 requests per second per team.
  HERALD_EMAIL_RATE_PER_SECOND: z.coerce.number().int().min(1).max(1000).default(2),
  // Webhooks: address ranges opened to webhooks (and plain http to them), e.g. `127.0.0.1/32`.
  HERALD_WEBHOOK_ALLOW: z
    .string()
    .refine((text) => {
      try {
        parseAllowList(text);
        return true;
      } catch {
        return false;
      }
    }, 'must be address ranges like 127.0.0.1/32, separated by commas')
    .optional(),
  HERALD_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  HERALD_WEBHOOK_BACKOFF_MS: z.coerce.number().int().min(10).default(10_000),
  HERALD_WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(32),
});

export interface Settings {
  port: number;
  host: string;
  siteUrl: string;
  /** `SITE_URL` was set; otherwise `withSiteYamlUrl` takes `site.yaml`'s `url` once content is read. */
  siteUrlFromEnv: boolean;
  dataDir: string;
  contentDir: string;
  templatesDir: string;
  databaseUrl: string;
  databaseAuthToken: string | undefined;
  adminToken: string | undefined;
  resendApiKey: string | undefined;
  resendBaseUrl: string | undefined;
  emailFrom: string;
  resendWebhookSecret: string | undefined;
  secret: string | undefined;
  /** The API's public base URL: subscription links and the site's forms point here. */
  publicApiUrl: string;
  /** `HERALD_PUBLIC_API_URL` was set; otherwise the API is public where the site is. */
  publicApiUrlFromEnv: boolean;
  subscribePerHour: number;
  confirmationsPerDay: number;
  tickMs: number;
  schedulerLease: boolean;
  emailRatePerSecond: number;
  webhooks: { allow: Cidr[]; timeoutMs: number; backoffBaseMs: number; concurrency: number };
}

/** Reads the environment once at start; a bad value stops start-up naming the variable. */
export function readSettings(env: NodeJS.ProcessEnv): Settings {
  // Empty variables count as unset, as in most deployment tools.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`environment is invalid:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const dataDir = resolve(e.HERALD_DATA_DIR);
  const siteUrl = (e.SITE_URL ?? `http://${e.HOST}:${e.PORT}`).replace(/\/$/, '');
  return {
    port: e.PORT,
    host: e.HOST,
    siteUrl,
    siteUrlFromEnv: e.SITE_URL !== undefined,
    dataDir,
    contentDir: resolve(e.HERALD_CONTENT_DIR),
    templatesDir: resolve(e.HERALD_TEMPLATES_DIR),
    databaseUrl: e.DATABASE_URL ?? `file:${resolve(dataDir, 'herald.db')}`,
    databaseAuthToken: e.DATABASE_AUTH_TOKEN,
    adminToken: e.HERALD_ADMIN_TOKEN,
    resendApiKey: e.RESEND_API_KEY,
    resendBaseUrl: e.RESEND_BASE_URL,
    emailFrom: e.EMAIL_FROM ?? 'Herald <status@localhost>',
    resendWebhookSecret: e.RESEND_WEBHOOK_SECRET,
    secret: e.HERALD_SECRET,
    publicApiUrl: (e.HERALD_PUBLIC_API_URL ?? siteUrl).replace(/\/$/, ''),
    publicApiUrlFromEnv: e.HERALD_PUBLIC_API_URL !== undefined,
    subscribePerHour: e.HERALD_SUBSCRIBE_PER_HOUR,
    confirmationsPerDay: e.HERALD_CONFIRMATIONS_PER_DAY,
    tickMs: e.HERALD_TICK_MS,
    schedulerLease: e.HERALD_SCHEDULER_LEASE === 'on',
    emailRatePerSecond: e.HERALD_EMAIL_RATE_PER_SECOND,
    webhooks: {
      allow: parseAllowList(e.HERALD_WEBHOOK_ALLOW),
      timeoutMs: e.HERALD_WEBHOOK_TIMEOUT_MS,
      backoffBaseMs: e.HERALD_WEBHOOK_BACKOFF_MS,
      concurrency: e.HERALD_WEBHOOK_CONCURRENCY,
    },
  };
}

/**
 * The public base URL: `SITE_URL` when set, else the `url` of `content/site.yaml` (links, feeds,
 * JSON and emails then name the real site, not the loopback address the server listens on).
 */
export function withSiteYamlUrl(settings: Settings, siteYamlUrl: string): Settings {
  if (settings.siteUrlFromEnv) return settings;
  const siteUrl = siteYamlUrl.replace(/\/$/, '');
  // The API is served beside the site unless HERALD_PUBLIC_API_URL says otherwise.
  return {
    ...settings,
    siteUrl,
    publicApiUrl: settings.publicApiUrlFromEnv ? settings.publicApiUrl : siteUrl,
  };
}
