import { SAMPLE_AT, sampleIncident } from '../domain/sample-incident.ts';
import { randomBytes } from 'node:crypto';
import { domainToASCII } from 'node:url';
import type { Content } from '../config/content.ts';
import { incidentUrl } from '../domain/incident-url.ts';
import type { ConfirmationRequest } from '../storage/subscribers.ts';
import type { IncidentRecord, Update } from '../domain/types.ts';
import { utcDateTime } from '../lib/time.ts';
import type { MailTemplates } from '../mail/templates.ts';
import { parseMessage } from '../publish/message.ts';
import { INCIDENT_STATUS_LABEL } from '../publish/views/status.ts';
import type { MailBody } from '../storage/fanout.ts';
import {
  MAINTENANCE_TEMPLATE,
  maintenanceVariables,
  sampleMaintenance,
} from './maintenance-messages.ts';

export const UPDATE_TEMPLATE = 'email/subscriber-update';
export const CONFIRM_TEMPLATE = 'email/subscriber-confirm';

/** How long a confirmation link works. */
export const CONFIRMATION_TTL_MS = 48 * 3_600_000;

/**
 * A body shared by many deliveries carries placeholders where each delivery's own links go:
 * `<marker>-manage`, `<marker>-unsubscribe`, `<marker>-confirm`. The marker is random per body,
 * so no text a responder typed can stand for a link.
 */
export function newMarker(): string {
  return `hrdlink${randomBytes(12).toString('hex')}`;
}

export function linkPlaceholders(marker: string) {
  return {
    manage: `${marker}-manage`,
    unsubscribe: `${marker}-unsubscribe`,
    confirm: `${marker}-confirm`,
  };
}

/** One line, no quotes or angle brackets: safe inside a header's quoted phrase. */
function headerPhrase(text: string): string {
  return text
    .replace(/[\p{Cc}"<>\\]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 100);
}

/**
 * The list headers of every subscriber email (RFC 2369, RFC 2919, RFC 8058): one-click
 * unsubscribe by POST to the link, and a list id from the site's host name.
 */
export function listHeaders(content: Content, marker: string): Record<string, string> {
  let host = 'status.invalid';
  try {
    host = domainToASCII(new URL(content.site.url).hostname) || host;
  } catch {
    // the site URL is validated at start; keep the fallback for safety
  }
  return {
    'List-Unsubscribe': `<${linkPlaceholders(marker).unsubscribe}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    'List-Id': `"${headerPhrase(content.site.name)} status" <${host}>`,
  };
}

/** An update's message as plain paragraphs for the email (a link keeps its address). */
export function paragraphsOf(message: string): string[] {
  return parseMessage(message).map((paragraph) =>
    paragraph
      .map((s) => {
        if (s.kind === 'break') return '\n';
        if (s.kind === 'text' || s.text === s.href || s.href.startsWith(s.text)) {
          return s.kind === 'link' ? s.href : s.text;
        }
        return `${s.text} (${s.href})`;
      })
      .join(''),
  );
}

/**
 * What the update notice shows: the incident, every update it carries (newest first) and the
 * links. Every key is always present: the templates are strict.
 */
export function updateVariables(
  content: Content,
  siteUrl: string,
  incident: IncidentRecord,
  updates: Update[],
  marker: string,
): Record<string, unknown> {
  const newest = [...updates].sort((a, b) =>
    a.display_at === b.display_at ? b.seq - a.seq : a.display_at < b.display_at ? 1 : -1,
  );
  const ids = new Set([
    ...incident.components.map((c) => c.id),
    ...updates.flatMap((u) => u.components.map((c) => c.id)),
  ]);
  return {
    site: { name: content.site.name, url: siteUrl },
    incident: {
      id: incident.id,
      title: incident.title,
      status: newest[0]!.status,
      status_label: INCIDENT_STATUS_LABEL[newest[0]!.status],
      url: incidentUrl(siteUrl, incident) ?? siteUrl,
      components: [...ids].map((id) => content.catalog.byId.get(id)?.name ?? id),
    },
    updates: newest.map((u) => ({
      status_label: INCIDENT_STATUS_LABEL[u.status],
      at: utcDateTime(u.display_at),
      paragraphs: paragraphsOf(u.message),
    })),
    links: linkPlaceholders(marker),
  };
}

/** What a confirmation asks for, in words. */
export function describeRequest(
  content: Content,
  request: ConfirmationRequest,
  incidentTitle: string | null,
): string {
  if (request.incident_id !== null) return `the incident “${incidentTitle ?? request.incident_id}”`;
  if (request.follows === 'all') return 'all components';
  const names = request.components.map(
    (id) =>
      content.catalog.byId.get(id)?.name ??
      content.catalog.groups.find((g) => g.id === id)?.name ??
      id,
  );
  return names.join(', ');
}

export function confirmVariables(
  content: Content,
  siteUrl: string,
  description: string,
  marker: string,
): Record<string, unknown> {
  return {
    site: { name: content.site.name, url: siteUrl },
    request: { description, expires_in: '48 hours' },
    links: linkPlaceholders(marker),
  };
}

/** Renders a shared body once; `headers` may carry placeholders too. */
export function renderBody(
  mail: MailTemplates,
  template: string,
  vars: Record<string, unknown>,
  id: string,
  marker: string,
  headers: Record<string, string>,
): MailBody {
  return { id, marker, headers, ...mail.render(template, vars) };
}

/** The subscriber templates, tried once at start-up with made-up values. */
export function subscriberSamples(
  content: Content,
  siteUrl: string,
): Record<string, Record<string, unknown>> {
  const at = SAMPLE_AT;
  const update: Update = {
    id: 'sample-update',
    incident_id: 'sample',
    seq: 1,
    status: 'investigating',
    message: 'Sample message.\n\nSecond paragraph with https://example.com/a link.',
    components: [],
    notify: true,
    display_at: at,
    created_at: at,
    author: 'sample',
  };
  const incident = sampleIncident({ updates: [update] });
  return {
    [UPDATE_TEMPLATE]: updateVariables(content, siteUrl, incident, [update], 'sample'),
    [MAINTENANCE_TEMPLATE]: maintenanceVariables(
      content,
      siteUrl,
      sampleMaintenance(content),
      'scheduled',
      SAMPLE_AT,
      'sample',
    ),
    [CONFIRM_TEMPLATE]: confirmVariables(content, siteUrl, 'all components', 'sample'),
  };
}
