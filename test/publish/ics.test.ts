import { describe, expect, it } from 'vitest';
import { buildCalendar, escapeIcsText, foldLine, icsDateTime } from '../../src/publish/ics.ts';

/** RFC 5545 §3.1 unfolding, written here rather than taken from the writer. */
const unfold = (text: string) => text.replace(/\r\n[ \t]/g, '');

describe('the iCalendar writer', () => {
  it('escapes backslash, semicolon, comma and newlines in TEXT', () => {
    expect(escapeIcsText('a\\b;c,d\ne\r\nf')).toBe('a\\\\b\\;c\\,d\\ne\\nf');
  });

  it('folds at 75 octets without splitting a UTF-8 character, and unfolds to the same line', () => {
    const line = `SUMMARY:${'Wartung für Zürich – 数据库 '.repeat(8)}`;
    const folded = foldLine(line);
    const physical = folded.split('\r\n');
    expect(physical.length).toBeGreaterThan(3);
    for (const part of physical) {
      expect(Buffer.byteLength(part)).toBeLessThanOrEqual(75);
      expect(part).not.toContain('\uFFFD');
    }
    for (const part of physical.slice(1)) expect(part.startsWith(' ')).toBe(true);
    expect(unfold(folded)).toBe(line);
    expect(foldLine('SHORT:x')).toBe('SHORT:x');
  });

  it('writes UTC date-times and a CRLF stream with a cancelled event marked so', () => {
    expect(icsDateTime('2026-11-24T10:00:00.000Z')).toBe('20261124T100000Z');
    const text = buildCalendar({
      name: 'Acme, Inc. maintenance',
      url: 'https://status.example.test/maintenance.ics',
      events: [
        {
          uid: 'maintenance-abc@status.example.test',
          sequence: 2,
          start: '2026-11-24T10:00:00.000Z',
          end: '2026-11-24T12:00:00.000Z',
          summary: 'Maintenance: DB',
          description: 'Line one\nLine two',
          url: 'https://status.example.test/maintenances/abc/',
          cancelled: true,
          created: '2026-11-20T10:00:00.000Z',
          lastModified: '2026-11-21T10:00:00.000Z',
          categories: ['API', 'Data, storage'],
        },
      ],
    });
    expect(text.endsWith('\r\n')).toBe(true);
    const lines = unfold(text).split('\r\n');
    expect(lines[0]).toBe('BEGIN:VCALENDAR');
    expect(lines).toContain('X-WR-CALNAME:Acme\\, Inc. maintenance');
    expect(lines).toContain('UID:maintenance-abc@status.example.test');
    expect(lines).toContain('SEQUENCE:2');
    expect(lines).toContain('STATUS:CANCELLED');
    expect(lines).toContain('DTSTART:20261124T100000Z');
    expect(lines).toContain('DESCRIPTION:Line one\\nLine two');
    expect(lines).toContain('CATEGORIES:API,Data\\, storage');
    expect(lines.filter((l) => l === 'BEGIN:VEVENT')).toHaveLength(1);
  });
});
