import { cleanText } from './text.ts';

/** One calendar entry: a maintenance window. */
export interface CalendarEvent {
  /** Stable across every version of the entry: calendars replace by it. */
  uid: string;
  /** Bumped whenever what a calendar shows changes (RFC 5545 §3.8.7.4). */
  sequence: number;
  start: string;
  end: string;
  summary: string;
  description: string;
  url: string;
  cancelled: boolean;
  created: string;
  lastModified: string;
  categories: string[];
}

export interface CalendarView {
  name: string;
  /** Added to PRODID-independent identity: the calendar's own URL. */
  url: string;
  events: CalendarEvent[];
}

/** `2026-11-24T10:00:00.000Z` → `20261124T100000Z` (UTC DATE-TIME form). */
export function icsDateTime(iso: string): string {
  return new Date(iso)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** TEXT values (RFC 5545 §3.3.11): backslash, semicolon, comma and newlines escaped. */
export function escapeIcsText(text: string): string {
  return cleanText(text)
    .replace(/\r\n?/g, '\n')
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\n/g, '\\n');
}

const encoder = new TextEncoder();

/**
 * Folds a content line at 75 octets (RFC 5545 §3.1): each continuation line starts with one
 * space, and a multi-octet UTF-8 character is never split.
 */
export function foldLine(line: string): string {
  if (encoder.encode(line).length <= 75) return line;
  const parts: string[] = [];
  let current = '';
  let size = 0;
  let limit = 75;
  for (const char of line) {
    const bytes = encoder.encode(char).length;
    if (size + bytes > limit) {
      parts.push(current);
      current = '';
      size = 0;
      limit = 74; // the leading space takes one octet of the 75
    }
    current += char;
    size += bytes;
  }
  parts.push(current);
  return parts.join('\r\n ');
}

/** A URI value has no escaping: anything that could break the line is left out. */
function uri(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f]/g, '');
}

/** The calendar as an iCalendar stream: CRLF line ends, folded lines, escaped text. */
export function buildCalendar(view: CalendarView): string {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Herald//Scheduled maintenance//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `X-WR-CALNAME:${escapeIcsText(view.name)}`,
    'X-PUBLISHED-TTL:PT15M',
    'REFRESH-INTERVAL;VALUE=DURATION:PT15M',
    `SOURCE;VALUE=URI:${uri(view.url)}`,
  ];
  for (const e of view.events) {
    lines.push(
      'BEGIN:VEVENT',
      `UID:${escapeIcsText(e.uid)}`,
      `DTSTAMP:${icsDateTime(e.lastModified)}`,
      `DTSTART:${icsDateTime(e.start)}`,
      `DTEND:${icsDateTime(e.end)}`,
      `SEQUENCE:${e.sequence}`,
      `STATUS:${e.cancelled ? 'CANCELLED' : 'CONFIRMED'}`,
      `SUMMARY:${escapeIcsText(e.summary)}`,
      `DESCRIPTION:${escapeIcsText(e.description)}`,
      `URL;VALUE=URI:${uri(e.url)}`,
      ...(e.categories.length > 0
        ? [`CATEGORIES:${e.categories.map(escapeIcsText).join(',')}`]
        : []),
      'TRANSP:TRANSPARENT',
      `CREATED:${icsDateTime(e.created)}`,
      `LAST-MODIFIED:${icsDateTime(e.lastModified)}`,
      'END:VEVENT',
    );
  }
  lines.push('END:VCALENDAR');
  return lines.map(foldLine).join('\r\n') + '\r\n';
}
