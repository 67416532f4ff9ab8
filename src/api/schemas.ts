import { z } from 'zod';
import {
  COMPONENT_STATUSES,
  IMPACTS,
  INCIDENT_STATUSES,
  OPEN_STATUSES,
  SCOPES,
  SEVERITIES,
  VISIBILITIES,
} from '../domain/types.ts';
import { ACTION_STATES, PRIORITIES } from '../domain/postmortems/review.ts';
import {
  MAINTENANCE_EMAILS,
  MAINTENANCE_STATUSES,
  MAINTENANCE_UPDATE_STATUSES,
  type MaintenanceEmail,
} from '../domain/maintenances/types.ts';

// Control characters other than tab and newlines, and unpaired surrogates, have no place in text
// that ends up in HTML, XML feeds and email headers: refuse them with a clear message.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

// Characters that change how the text around them reads while showing nothing themselves:
// bidirectional embeddings, overrides, isolates and marks can make `exe.txt` read as `txt.exe`.
// Refused wherever they appear, as are noncharacters (U+FFFE, U+FFFF, ...), which are not text.
const BIDI_CONTROL = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;
const NONCHARACTER = /\p{Noncharacter_Code_Point}/u;
// Invisible characters with no meaning in a status update: zero-width space, word joiner,
// Mongolian vowel separator, byte order mark; and the Unicode line and paragraph separators.
// In single-line text (titles, names) they can only hide or split: refused. In messages they are
// harmless paste artefacts: stripped, and the separators become newlines.
const INVISIBLE = /[\u180E\u200B\u2060\uFEFF]/;
const SEPARATOR = /[\u2028\u2029]/;
// Zero-width joiners stay allowed: emoji sequences and several scripts need them.

/** Something a reader can see: a letter, digit, punctuation mark or symbol. */
const VISIBLE = /[\p{L}\p{N}\p{P}\p{S}]/u;

function normaliseMultiline(s: string): string {
  return s
    .replace(new RegExp(INVISIBLE.source, 'g'), '')
    .replace(/\u2028/g, '\n')
    .replace(/\u2029/g, '\n\n');
}

function text(max: number, { multiline }: { multiline: boolean }) {
  const checked = z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine((s) => s.isWellFormed(), 'must be valid Unicode text')
    .refine(
      (s) => !CONTROL.test(s) && (multiline || !/[\r\n\t]/.test(s)),
      multiline
        ? 'must not contain control characters'
        : 'must be a single line without control characters',
    )
    .refine(
      (s) => !BIDI_CONTROL.test(s) && !NONCHARACTER.test(s),
      'must not contain direction-changing characters (U+202A-U+202E, U+2066-U+2069, marks) or noncharacters',
    );
  if (multiline) return z.string().transform(normaliseMultiline).pipe(checked);
  return checked.refine((s) => !INVISIBLE.test(s) && !SEPARATOR.test(s), {
    message:
      'must not contain invisible characters (zero-width space, word joiner, byte order mark, line or paragraph separators)',
    abort: true, // one problem per field: "must not be empty" would only repeat it
  });
}

const line = (max: number) => text(max, { multiline: false });
const paragraph = (max: number) => text(max, { multiline: true });
/** A title or name: one line with at least one visible character. */
const name = (max: number) => line(max).refine((s) => VISIBLE.test(s), 'must not be empty');

/**
 * The range of times Herald accepts. Nothing in a status page's life happened before 1990, and a
 * time far ahead is a typo: either would also stretch everything laid out by date (history pages).
 */
const EARLIEST = '1990-01-01T00:00:00.000Z';
const LATEST = '2100-01-01T00:00:00.000Z';

/** ISO 8601 with an offset, between 1990 and 2100; stored and returned in UTC. */
export const timestamp = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 date-time such as 2026-11-23T10:00:00Z' })
  .refine((value) => {
    const ms = Date.parse(value);
    return Number.isNaN(ms) || (ms >= Date.parse(EARLIEST) && ms < Date.parse(LATEST));
  }, 'must be between 1990 and 2100')
  // zod runs a transform even after a failed check, so it must not assume the value is valid.
  .transform((value) => {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? value : date.toISOString();
  });

const componentId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a component id: lowercase letters, digits, dashes');

export const componentStatusChange = z
  .object({ id: componentId, status: z.enum(COMPONENT_STATUSES) })
  .strict();

export const roles = z
  .object({
    commander: name(200).optional(),
    communications: name(200).optional(),
    technical: name(200).optional(),
    scribe: name(200).optional(),
  })
  .strict();

export const businessImpact = z
  .object({
    customers_affected: z.int().min(0).max(1e12).nullable().optional(),
    revenue_per_minute: z.number().min(0).max(1e12).nullable().optional(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be a three-letter ISO 4217 code such as USD')
      .nullable()
      .optional(),
    summary: paragraph(2000).nullable().optional(),
  })
  .strict();

export const templateRef = z
  .object({
    id: z.string().min(1).max(100),
    vars: z.record(z.string().max(100), z.union([line(1000), z.number(), z.boolean()])).default({}),
  })
  .strict();

const message = paragraph(10_000).refine((s) => s.trim().length > 0, 'must not be empty');

function oneOfMessageOrTemplate<T extends { message?: string | undefined; template?: unknown }>(
  value: T,
  ctx: z.RefinementCtx<T>,
) {
  // zod still runs this when a field failed; a broken message is reported once, as itself.
  const alreadyReported = ctx.issues.some((i) =>
    ['message', 'template'].includes(String(i.path?.[0])),
  );
  if (!alreadyReported && (value.message === undefined) === (value.template === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: ['message'],
      message: 'give either message or template, not both and not neither',
    });
  }
}

export const declareIncidentBody = z
  .object({
    title: name(200),
    severity: z.enum(SEVERITIES),
    message: message.optional(),
    template: templateRef.optional(),
    status: z.enum(OPEN_STATUSES).optional(),
    impact: z.enum(IMPACTS).optional(),
    components: z.array(componentStatusChange).max(100).optional(),
    visibility: z.enum(VISIBILITIES).optional(),
    roles: roles.optional(),
    business_impact: businessImpact.nullable().optional(),
    eta: timestamp.nullable().optional(),
    started_at: timestamp.optional(),
    detected_at: timestamp.nullable().optional(),
    notify: z.boolean().optional(),
  })
  .strict()
  .superRefine(oneOfMessageOrTemplate);

export const addUpdateBody = z
  .object({
    status: z.enum(INCIDENT_STATUSES).optional(),
    message: message.optional(),
    template: templateRef.optional(),
    components: z.array(componentStatusChange).max(100).optional(),
    notify: z.boolean().optional(),
    display_at: timestamp.optional(),
  })
  .strict()
  .superRefine(oneOfMessageOrTemplate);

export const editIncidentBody = z
  .object({
    title: name(200).optional(),
    severity: z.enum(SEVERITIES).optional(),
    impact: z.enum(IMPACTS).nullable().optional(),
    roles: roles.optional(),
    business_impact: businessImpact.nullable().optional(),
    eta: timestamp.nullable().optional(),
    visibility: z.enum(VISIBILITIES).optional(),
    acknowledged_at: timestamp.nullable().optional(),
    detected_at: timestamp.nullable().optional(),
    started_at: timestamp.optional(),
  })
  .strict();

export const listIncidentsQuery = z
  .object({
    status: z.enum(['open', 'resolved']).optional(),
    severity: z.enum(SEVERITIES).optional(),
    overdue: z.enum(['true', 'false']).optional(),
    visibility: z.enum(VISIBILITIES).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    before: z.string().max(64).optional(),
  })
  .strict();

/** A long timeline comes in pages of this many updates unless the caller asks for another size. */
export const UPDATES_PER_PAGE = 100;

/** `GET /v1/incidents/{id}`: which page of the timeline (newest first). */
export const incidentQuery = z
  .object({
    updates_limit: z.coerce.number().int().min(1).max(500).default(UPDATES_PER_PAGE),
    updates_before: z.string().max(64).optional(),
  })
  .strict();

export const renderTemplateBody = z.object({ vars: templateRef.shape.vars }).strict();

export const createKeyBody = z
  .object({
    name: name(100),
    scope: z.enum(SCOPES),
  })
  .strict();

export const auditQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(100),
    before: z.coerce.number().int().min(1).optional(),
    target_id: z.string().max(64).optional(),
  })
  .strict();

// Response shapes, for the OpenAPI document.
const componentChange = z.object({
  id: z.string(),
  old_status: z.enum(COMPONENT_STATUSES).nullable(),
  new_status: z.enum(COMPONENT_STATUSES),
});

export const updateResponse = z.object({
  id: z.string(),
  status: z.enum(INCIDENT_STATUSES),
  message: z.string(),
  components: z.array(componentChange),
  notify: z.boolean(),
  display_at: z.string(),
  created_at: z.string(),
  author: z.string(),
});

export const cadenceResponse = z.object({
  interval_seconds: z.number().nullable(),
  last_public_update_at: z.string().nullable(),
  next_update_due_at: z.string().nullable(),
  overdue: z.boolean(),
  overdue_by_seconds: z.number(),
  escalation_level: z.number(),
});

export const incidentResponse = z.object({
  id: z.string(),
  title: z.string(),
  severity: z.enum(SEVERITIES),
  status: z.enum(INCIDENT_STATUSES),
  impact: z.enum(IMPACTS),
  visibility: z.enum(VISIBILITIES),
  components: z.array(
    z.object({ id: z.string(), name: z.string(), status: z.enum(COMPONENT_STATUSES) }),
  ),
  roles,
  business_impact: businessImpact.nullable(),
  eta: z.string().nullable(),
  started_at: z.string(),
  detected_at: z.string().nullable(),
  acknowledged_at: z.string().nullable(),
  resolved_at: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  version: z.number(),
  url: z.string().nullable(),
  cadence: cadenceResponse.omit({ overdue_by_seconds: true }).extend({
    overdue_by_seconds: z.number(),
  }),
  updates: z.array(updateResponse),
  update_count: z.number(),
  updates_next_cursor: z.string().nullable(),
});

export const errorResponse = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ field: z.string(), message: z.string() })),
  }),
});

export const metricsQuery = z
  .object({
    from: timestamp.optional(),
    to: timestamp.optional(),
  })
  .strict();

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date like 2026-12-01')
  .refine(
    (s) =>
      !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) &&
      new Date(`${s}T00:00:00Z`).toISOString().startsWith(s),
    'must be a real calendar date',
  );

const listOfText = z.array(paragraph(2000)).max(50).default([]);

export const actionItemBody = z
  .object({
    id: z.string().min(1).max(64).optional(),
    title: line(300).refine((s) => s.trim().length > 0, 'must not be empty'),
    owner: line(200).nullable().optional(),
    priority: z.enum(PRIORITIES).default('P3'),
    due_date: day.nullable().optional(),
    state: z.enum(ACTION_STATES).default('open'),
  })
  .strict();

export const postmortemBody = z
  .object({
    summary: paragraph(10_000).default(''),
    root_cause: paragraph(10_000).default(''),
    root_cause_category: line(100).nullable().optional(),
    contributing_factors: listOfText,
    impact: paragraph(10_000).default(''),
    what_went_well: listOfText,
    what_could_improve: listOfText,
    internal_notes: paragraph(20_000).default(''),
    action_items: z.array(actionItemBody).max(100).default([]),
    completed: z.boolean().optional(),
    published: z.boolean().optional(),
  })
  .strict();

export const actionItemPatchBody = z
  .object({
    state: z.enum(ACTION_STATES).optional(),
    owner: line(200).nullable().optional(),
    due_date: day.nullable().optional(),
    priority: z.enum(PRIORITIES).optional(),
    title: line(300)
      .refine((s) => s.trim().length > 0, 'must not be empty')
      .optional(),
  })
  .strict();

export const postmortemsQuery = z
  .object({ state: z.enum(['overdue', 'due']).default('overdue') })
  .strict();

export const digestsQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    before: z.string().max(64).optional(),
  })
  .strict();

// Scheduled maintenance (issue 11).

/** `true`/`false` switch every email of the maintenance; an object switches them one by one. */
const maintenanceNotify = z.union([
  z.boolean(),
  z
    .object(
      Object.fromEntries(MAINTENANCE_EMAILS.map((k) => [k, z.boolean().optional()])) as Record<
        MaintenanceEmail,
        z.ZodOptional<z.ZodBoolean>
      >,
    )
    .strict(),
]);

export const createMaintenanceBody = z
  .object({
    title: name(200),
    message: message.optional(),
    template: templateRef.optional(),
    components: z.array(componentId).min(1, 'name at least one component').max(100),
    scheduled_for: timestamp,
    scheduled_until: timestamp,
    notify: maintenanceNotify.optional(),
    auto_start: z.boolean().optional(),
    auto_complete: z.boolean().optional(),
  })
  .strict()
  .superRefine(oneOfMessageOrTemplate);

export const editMaintenanceBody = z
  .object({
    title: name(200).optional(),
    components: z.array(componentId).min(1, 'name at least one component').max(100).optional(),
    scheduled_for: timestamp.optional(),
    scheduled_until: timestamp.optional(),
    notify: maintenanceNotify.optional(),
    auto_start: z.boolean().optional(),
    auto_complete: z.boolean().optional(),
  })
  .strict();

export const maintenanceUpdateBody = z
  .object({
    status: z.enum(MAINTENANCE_UPDATE_STATUSES).optional(),
    message: message.optional(),
    template: templateRef.optional(),
  })
  .strict()
  .superRefine(oneOfMessageOrTemplate);

export const cancelMaintenanceBody = z.object({ message: message.optional() }).strict();

export const listMaintenancesQuery = z
  .object({
    status: z.enum([...MAINTENANCE_STATUSES, 'open']).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

export const maintenanceResponse = z.object({
  id: z.string(),
  title: z.string(),
  status: z.enum(MAINTENANCE_STATUSES),
  components: z.array(z.object({ id: z.string(), name: z.string() })),
  scheduled_for: z.string(),
  scheduled_until: z.string(),
  auto_start: z.boolean(),
  auto_complete: z.boolean(),
  notify: z.object(
    Object.fromEntries(MAINTENANCE_EMAILS.map((k) => [k, z.boolean()])) as Record<
      MaintenanceEmail,
      z.ZodBoolean
    >,
  ),
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  cancelled_at: z.string().nullable(),
  sequence: z.number(),
  created_at: z.string(),
  updated_at: z.string(),
  version: z.number(),
  url: z.string(),
  updates: z.array(
    z.object({
      id: z.string(),
      status: z.enum(MAINTENANCE_STATUSES),
      message: z.string(),
      display_at: z.string(),
      created_at: z.string(),
      author: z.string(),
    }),
  ),
});
