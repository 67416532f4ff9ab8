import { cleanText, escapeHtml } from './text.ts';

/**
 * Update messages are plain text with Markdown-style paragraphs and links, never raw HTML. They are
 * parsed into segments once; the Astro pages print the segments (escaped by Astro) and the feeds
 * use `messageToHtml`, so both read the same structure.
 */
export type Segment =
  { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string } | { kind: 'break' };

export type Paragraph = Segment[];

/**
 * `[label](url)` or a bare URL; only web and mail links are ever made clickable. Quotes, angle
 * brackets and whitespace never belong to a URL: Astro leaves some URL attribute values
 * unescaped, so a quote in an href could otherwise end the attribute.
 */
const LINK =
  /\[([^\]\n]{1,500})\]\(((?:https?:\/\/|mailto:)[^\s()<>"'`]{1,2000})\)|(https?:\/\/[^\s<>"'`()[\]]{1,2000}[^\s<>"'`()[\].,;:!?])/g;

/** The URL as the WHATWG parser normalises it (anything unusual percent-encoded), or null. */
export function safeHref(href: string): string | null {
  try {
    const url = new URL(href);
    if (!['http:', 'https:', 'mailto:'].includes(url.protocol)) return null;
    return /["'<>`\s]/.test(url.href) ? null : url.href;
  } catch {
    return null;
  }
}

export function parseMessage(message: string): Paragraph[] {
  return cleanText(message)
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n+/)
    .map((block) => block.trim())
    .filter((block) => block.length > 0)
    .map(parseParagraph);
}

function parseParagraph(block: string): Paragraph {
  const segments: Segment[] = [];
  block.split('\n').forEach((line, index) => {
    if (index > 0) segments.push({ kind: 'break' });
    let last = 0;
    for (const match of line.matchAll(LINK)) {
      if (match.index > last) segments.push({ kind: 'text', text: line.slice(last, match.index) });
      const text = match[1] ?? match[3]!;
      const href = safeHref(match[2] ?? match[3]!);
      segments.push(href ? { kind: 'link', text, href } : { kind: 'text', text: match[0] });
      last = match.index + match[0].length;
    }
    if (last < line.length) segments.push({ kind: 'text', text: line.slice(last) });
  });
  return segments;
}

/** The message as escaped HTML paragraphs, for feeds. */
export function messageToHtml(message: string): string {
  return parseMessage(message)
    .map((paragraph) => `<p>${paragraph.map(segmentToHtml).join('')}</p>`)
    .join('');
}

function segmentToHtml(segment: Segment): string {
  if (segment.kind === 'break') return '<br>';
  if (segment.kind === 'text') return escapeHtml(segment.text);
  return `<a href="${escapeHtml(segment.href)}">${escapeHtml(segment.text)}</a>`;
}

/**
 * The message as plain text in one line, for summaries (`description` fields, JSON bodies). A
 * link keeps its address, `label (url)`, so nothing the message pointed to is lost.
 */
export function messageToPlainText(message: string): string {
  return parseMessage(message)
    .map((paragraph) => paragraph.map(segmentToPlainText).join(''))
    .join(' ');
}

/** The message as plain text with its paragraphs and line breaks kept (calendar descriptions). */
export function messageToPlainParagraphs(message: string): string {
  return parseMessage(message)
    .map((paragraph) =>
      paragraph.map((s) => (s.kind === 'break' ? '\n' : segmentToPlainText(s))).join(''),
    )
    .join('\n\n');
}

function segmentToPlainText(segment: Segment): string {
  if (segment.kind === 'break') return ' ';
  if (
    segment.kind === 'link' &&
    segment.text !== segment.href &&
    !segment.href.startsWith(segment.text)
  )
    return `${segment.text} (${segment.href})`;
  return segment.text;
}
