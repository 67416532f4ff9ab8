import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseDuration } from './duration.ts';
import {
  COMPONENT_STATUSES,
  IMPACTS,
  SEVERITIES,
  type Impact,
  type Severity,
} from '../domain/types.ts';

/** A content file that cannot be used; the message names the file, the field and the problem. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and dashes');

const duration = z
  .string()
  .refine((text) => parseDuration(text) !== null, 'must be a duration like 30s, 15m, 4h or 3d')
  .transform((text) => parseDuration(text)!);

const optionalInterval = z
  .string()
  .refine(
    (text) => text === 'none' || parseDuration(text) !== null,
    'must be a duration like 15m or 4h, or none',
  )
  .transform((text) => (text === 'none' ? null : parseDuration(text)!));

const IMAGE_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]*\.(svg|png|ico)$/;
const IMAGE_TYPES: Record<string, string> = {
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
};
/** Logos and icons are embedded in every page: keep them small. */
const IMAGE_MAX_BYTES = 32 * 1024;

const siteSchema = z
  .object({
    name: z.string().min(1),
    url: z.url(),
    description: z.string().default(''),
    timezone: z
      .string()
      .default('UTC')
      .refine((zone) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: zone });
          return true;
        } catch {
          return false;
        }
      }, 'must be an IANA time zone such as UTC or Europe/Berlin'),
    links: z.array(z.object({ label: z.string().min(1), url: z.url() }).strict()).default([]),
    // File names in the content directory; once loaded, `data:` URIs of those files.
    logo: z.string().regex(IMAGE_FILE, 'must be an .svg, .png or .ico file name').optional(),
    favicon: z.string().regex(IMAGE_FILE, 'must be an .svg, .png or .ico file name').optional(),
  })
  .strict();

const componentSchema = z
  .object({
    id: slug,
    name: z.string().min(1).max(100),
    description: z.string().default(''),
    only_show_if_degraded: z.boolean().default(false),
    initial_status: z.enum(COMPONENT_STATUSES).default('operational'),
  })
  .strict();

const catalogSchema = z
  .object({
    groups: z
      .array(
        z
          .object({
            id: slug,
            name: z.string().min(1).max(100),
            description: z.string().default(''),
            components: z.array(componentSchema).min(1),
          })
          .strict(),
      )
      .default([]),
    components: z.array(componentSchema).default([]),
  })
  .strict()
  .superRefine((catalog, ctx) => {
    const seen = new Set<string>();
    const all = [...catalog.groups.flatMap((g) => g.components), ...catalog.components];
    for (const id of [...catalog.groups.map((g) => g.id), ...all.map((c) => c.id)]) {
      if (seen.has(id)) ctx.addIssue({ code: 'custom', message: `duplicate id "${id}"` });
      seen.add(id);
    }
    if (all.length === 0) ctx.addIssue({ code: 'custom', message: 'needs at least one component' });
  });

const executiveNotice = z.union([
  z.literal('immediate').transform(() => ({ kind: 'immediate' as const })),
  z.literal('never').transform(() => ({ kind: 'never' as const })),
  z
    .object({ if_unresolved_after: duration })
    .strict()
    .transform((rule) => ({
      kind: 'if_unresolved_after' as const,
      seconds: rule.if_unresolved_after,
    })),
]);

const severityPolicySchema = z
  .object({
    description: z.string().default(''),
    impact: z.enum(IMPACTS),
    update_interval: optionalInterval,
    monitoring_interval: optionalInterval.optional(),
    remind_before: duration.optional(),
    escalate_commander_after: duration.optional(),
    escalate_executives_after: duration.optional(),
    executive_notice: executiveNotice.default({ kind: 'never' }),
    review_within: duration,
    review_remind_before: duration.optional(),
    requires: z.array(z.enum(['commander', 'communications', 'business_impact'])).default([]),
  })
  .strict();

const digestSchema = z
  .object({
    daily_at: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/, 'must be a local time like 08:00 or 08:00:30')
      .optional(),
    while_severe_every: duration.optional(),
    severe: z.array(z.enum(SEVERITIES)).min(1).default(['SEV1', 'SEV2']),
  })
  .strict();

const policySchema = z
  .object({
    severities: z
      .object(
        Object.fromEntries(SEVERITIES.map((s) => [s, severityPolicySchema])) as Record<
          Severity,
          typeof severityPolicySchema
        >,
      )
      .strict(),
    recipients: z
      .object({
        communications_lead: z.email().optional(),
        executives: z.array(z.email()).default([]),
      })
      .strict()
      .default({ executives: [] }),
    // Subscriber email: updates to one incident closer together than this are sent as one email.
    subscriber_email: z
      .object({ min_interval: duration.default(300) })
      .strict()
      .default({ min_interval: 300 }),
    executive_digest: digestSchema.optional(),
    // Scheduled maintenance: subscribers are reminded this long before a window starts.
    maintenance: z
      .object({ remind_before: duration.default(3600) })
      .strict()
      .default({ remind_before: 3600 }),
  })
  .strict();

export type SiteConfig = z.output<typeof siteSchema>;
export type ExecutiveNoticeRule = z.output<typeof executiveNotice>;

export interface SeverityPolicy {
  description: string;
  impact: Impact;
  /** Seconds of silence allowed between public updates; null: no cadence. */
  updateIntervalSeconds: number | null;
  monitoringIntervalSeconds: number | null;
  remindBeforeSeconds: number;
  escalateCommanderAfterSeconds: number;
  escalateExecutivesAfterSeconds: number | null;
  executiveNotice: ExecutiveNoticeRule;
  reviewWithinSeconds: number;
  /** How long before the review is due the commander is reminded (default: a quarter of it). */
  reviewRemindBeforeSeconds: number;
  requires: Array<'commander' | 'communications' | 'business_impact'>;
}

/** When the scheduled executive digest goes out; null in `Policy` when there is none. */
export interface DigestPolicy {
  /** Seconds after local midnight (site time zone) of the daily digest; null: no daily digest. */
  dailyAtSeconds: number | null;
  /** While an incident of `severe` severity is open, a digest every this many seconds. */
  whileSevereEverySeconds: number | null;
  severe: Severity[];
}

export interface Policy {
  severities: Record<Severity, SeverityPolicy>;
  recipients: { communicationsLead: string | null; executives: string[] };
  /** Updates to one incident closer together than this go to subscribers as one email. */
  subscriberEmailMinIntervalSeconds: number;
  digest: DigestPolicy | null;
  /** Scheduled maintenance: the reminder goes this long before the start (0: no reminder). */
  maintenance: { remindBeforeSeconds: number };
}

export interface CatalogComponent {
  id: string;
  name: string;
  description: string;
  groupId: string | null;
  position: number;
  onlyShowIfDegraded: boolean;
  initialStatus: (typeof COMPONENT_STATUSES)[number];
}

export interface CatalogGroup {
  id: string;
  name: string;
  description: string;
  position: number;
  componentIds: string[];
}

export interface Catalog {
  groups: CatalogGroup[];
  /** Every component in display order (grouped ones first, by group). */
  components: CatalogComponent[];
  byId: Map<string, CatalogComponent>;
}

export interface Content {
  site: SiteConfig;
  catalog: Catalog;
  policy: Policy;
}

function describeIssues(file: string, error: z.ZodError): string {
  const lines = error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    return `  ${field}: ${issue.message}`;
  });
  return `${file} is invalid:\n${lines.join('\n')}`;
}

async function readYaml(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`${file} cannot be read: ${(error as Error).message}`);
  }
  try {
    return parseYaml(text) ?? {};
  } catch (error) {
    throw new ConfigError(`${file} is not valid YAML: ${(error as Error).message}`);
  }
}

function parseWith<S extends z.ZodType>(file: string, schema: S, raw: unknown): z.output<S> {
  const result = schema.safeParse(raw);
  if (!result.success) throw new ConfigError(describeIssues(file, result.error));
  return result.data;
}

export function buildCatalog(raw: z.output<typeof catalogSchema>): Catalog {
  const components: CatalogComponent[] = [];
  const groups: CatalogGroup[] = raw.groups.map((group, groupIndex) => {
    for (const component of group.components) {
      components.push(toCatalogComponent(component, group.id, components.length));
    }
    return {
      id: group.id,
      name: group.name,
      description: group.description,
      position: groupIndex + 1,
      componentIds: group.components.map((c) => c.id),
    };
  });
  for (const component of raw.components) {
    components.push(toCatalogComponent(component, null, components.length));
  }
  return { groups, components, byId: new Map(components.map((c) => [c.id, c])) };
}

function toCatalogComponent(
  raw: z.output<typeof componentSchema>,
  groupId: string | null,
  index: number,
): CatalogComponent {
  return {
    id: raw.id,
    name: raw.name,
    description: raw.description,
    groupId,
    position: index + 1,
    onlyShowIfDegraded: raw.only_show_if_degraded,
    initialStatus: raw.initial_status,
  };
}

function buildPolicy(raw: z.output<typeof policySchema>): Policy {
  const severities = {} as Record<Severity, SeverityPolicy>;
  for (const severity of SEVERITIES) {
    const s = raw.severities[severity];
    severities[severity] = {
      description: s.description,
      impact: s.impact,
      updateIntervalSeconds: s.update_interval,
      monitoringIntervalSeconds:
        s.monitoring_interval === undefined ? s.update_interval : s.monitoring_interval,
      remindBeforeSeconds: s.remind_before ?? 0,
      escalateCommanderAfterSeconds: s.escalate_commander_after ?? 0,
      escalateExecutivesAfterSeconds: s.escalate_executives_after ?? null,
      executiveNotice: s.executive_notice,
      reviewWithinSeconds: s.review_within,
      reviewRemindBeforeSeconds: s.review_remind_before ?? Math.floor(s.review_within / 4),
      requires: s.requires,
    };
  }
  return {
    severities,
    recipients: {
      communicationsLead: raw.recipients.communications_lead ?? null,
      executives: raw.recipients.executives,
    },
    subscriberEmailMinIntervalSeconds: raw.subscriber_email.min_interval,
    maintenance: { remindBeforeSeconds: raw.maintenance.remind_before },
    digest: raw.executive_digest
      ? {
          dailyAtSeconds: raw.executive_digest.daily_at
            ? raw.executive_digest.daily_at
                .split(':')
                .map(Number)
                .reduce((total, part, index) => total + part * [3600, 60, 1][index]!, 0)
            : null,
          whileSevereEverySeconds: raw.executive_digest.while_severe_every ?? null,
          severe: raw.executive_digest.severe,
        }
      : null,
  };
}

async function imageDataUri(siteFile: string, key: string, file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new ConfigError(`${siteFile} is invalid:\n  ${key}: ${(error as Error).message}`);
  }
  if (bytes.length > IMAGE_MAX_BYTES)
    throw new ConfigError(`${siteFile} is invalid:\n  ${key}: ${file} is larger than 32 KB`);
  const type = IMAGE_TYPES[file.slice(file.lastIndexOf('.') + 1)]!;
  return `data:${type};base64,${bytes.toString('base64')}`;
}

/** Reads and validates `site.yaml`, `components.yaml` and `policy.yaml` from one directory. */
export async function loadContent(dir: string): Promise<Content> {
  const files = {
    site: join(dir, 'site.yaml'),
    components: join(dir, 'components.yaml'),
    policy: join(dir, 'policy.yaml'),
  };
  const [site, components, policy] = await Promise.all([
    readYaml(files.site),
    readYaml(files.components),
    readYaml(files.policy),
  ]);
  const siteConfig = parseWith(files.site, siteSchema, site);
  for (const key of ['logo', 'favicon'] as const) {
    const name = siteConfig[key];
    if (name) siteConfig[key] = await imageDataUri(files.site, key, join(dir, name));
  }
  return {
    site: siteConfig,
    catalog: buildCatalog(parseWith(files.components, catalogSchema, components)),
    policy: buildPolicy(parseWith(files.policy, policySchema, policy)),
  };
}
