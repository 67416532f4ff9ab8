import { cleanText, escapeHtml } from './text.ts';

/**
 * Update messages are plain text with Markdown-style paragraphs and links, never raw HTML. They are
 * parsed into segments once; the Astro pages print the segments (escaped by Astro) and the feeds
 * use `messageToHtml`, so both read the same structure.
 */
export type Segment =
  { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string } | { kind: 'break' };

export type Paragraph = Segment[];

/** `[label](url)` or a bare URL; only web and mail links are ever made clickable. */
const LINK =
  /\[([^\]\n]{1,500})\]\(((?:https?:\/\/|mailto:)[^\s()<>]{1,2000})\)|(https?:\/\/[^\s<>"'()[\]]{1,2000}[^\s<>"'()[\].,;:!?])/g;

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
      if (match[1] !== undefined) segments.push({ kind: 'link', text: match[1], href: match[2]! });
      else segments.push({ kind: 'link', text: match[3]!, href: match[3]! });
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

/** The message as plain text in one line, for summaries (`description` fields, titles). */
export function messageToPlainText(message: string): string {
  return parseMessage(message)
    .map((paragraph) => paragraph.map((s) => (s.kind === 'break' ? ' ' : s.text)).join(''))
    .join(' ');
}
