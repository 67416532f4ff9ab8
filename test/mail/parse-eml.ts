/** Just enough of an RFC 5322 / MIME reader to check what Herald writes. */
export interface ParsedEml {
  headers: Record<string, string>;
  parts: Array<{ type: string; body: string }>;
}

function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?B\?([^?]*)\?=/gi, (_, b64: string) =>
      Buffer.from(b64, 'base64').toString('utf8'),
    );
}

function parseHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  const unfolded = block.replace(/\r\n[ \t]/g, ' ');
  for (const line of unfolded.split('\r\n')) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = decodeWords(line.slice(colon + 1).trim());
  }
  return headers;
}

export function parseEml(source: string): ParsedEml {
  if (/(?<!\r)\n/.test(source)) throw new Error('lines must end in CRLF');
  const split = source.indexOf('\r\n\r\n');
  const headers = parseHeaders(source.slice(0, split));
  const boundary = /boundary="([^"]+)"/.exec(headers['content-type'] ?? '')?.[1];
  if (!boundary) throw new Error('not multipart');
  const body = source.slice(split + 4);
  const sections = body.split(`--${boundary}`).slice(1, -1);
  if (!body.trimEnd().endsWith(`--${boundary}--`)) throw new Error('missing closing boundary');
  const parts = sections.map((section) => {
    const trimmed = section.replace(/^\r\n/, '');
    const end = trimmed.indexOf('\r\n\r\n');
    const partHeaders = parseHeaders(trimmed.slice(0, end));
    const content = trimmed.slice(end + 4).replace(/\r\n/g, '');
    if (partHeaders['content-transfer-encoding'] !== 'base64') throw new Error('expected base64');
    return {
      type: (partHeaders['content-type'] ?? '').split(';')[0]!,
      body: Buffer.from(content, 'base64').toString('utf8'),
    };
  });
  return { headers, parts };
}
