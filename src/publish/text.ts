/**
 * Characters XML 1.0 forbids (C0 controls other than tab/newline/return, lone surrogates,
 * U+FFFE/U+FFFF) plus C1 controls, which no reader wants to see. Stripping them from every piece of
 * user text keeps the HTML, the RSS and the JSON well-formed however the text got in.
 */
const UNWANTED =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function cleanText(text: string): string {
  return text.replace(UNWANTED, '');
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML or XML content and attribute values (after cleaning it). */
export function escapeHtml(text: string): string {
  return cleanText(text).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}
