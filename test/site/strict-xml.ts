/**
 * A small, strict XML 1.0 well-formedness check for the feeds (no XML parser is installed): every
 * character allowed, tags balanced and properly named, attributes quoted, `&` only in known or
 * numeric entities, CDATA sections closed, `]]>` never in text. Returns the problems found.
 */
// eslint-disable-next-line no-control-regex
const INVALID_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const NAME = /^[A-Za-z_][\w.:-]*$/;
const ENTITY = /^&(?:lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/;

function checkText(text: string, problems: string[], where: number): void {
  if (text.includes(']]>')) problems.push(`"]]>" in text at ${where}`);
  if (text.includes('<')) problems.push(`"<" in text at ${where}`);
  for (let i = text.indexOf('&'); i !== -1; i = text.indexOf('&', i + 1)) {
    if (!ENTITY.test(text.slice(i))) problems.push(`bad entity at ${where + i}`);
  }
}

export function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  if (INVALID_CHAR.test(xml)) problems.push('character not allowed in XML');
  let i = 0;
  if (xml.startsWith('<?xml')) i = xml.indexOf('?>') + 2;
  const stack: string[] = [];
  let roots = 0;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = lt === -1 ? xml.slice(i) : xml.slice(i, lt);
    if (stack.length === 0 && text.trim() !== '') problems.push(`text outside the root at ${i}`);
    checkText(text, problems, i);
    if (lt === -1) break;
    if (xml.startsWith('<![CDATA[', lt)) {
      const end = xml.indexOf(']]>', lt);
      if (end === -1) return [...problems, 'unclosed CDATA'];
      i = end + 3;
      continue;
    }
    if (xml.startsWith('<!--', lt)) {
      const end = xml.indexOf('-->', lt);
      if (end === -1) return [...problems, 'unclosed comment'];
      i = end + 3;
      continue;
    }
    const gt = xml.indexOf('>', lt);
    if (gt === -1) return [...problems, `unclosed tag at ${lt}`];
    const tag = xml.slice(lt + 1, gt);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      if (stack.pop() !== name) problems.push(`mismatched </${name}> at ${lt}`);
    } else {
      const selfClosing = tag.endsWith('/');
      const body = selfClosing ? tag.slice(0, -1) : tag;
      const name = body.split(/\s/, 1)[0]!;
      if (!NAME.test(name)) problems.push(`bad tag name "${name}" at ${lt}`);
      const attrs = body.slice(name.length).trim();
      const attrPattern = /^([A-Za-z_][\w.:-]*)\s*=\s*("[^"<]*"|'[^'<]*')\s*/;
      let rest = attrs;
      while (rest.length > 0) {
        const m = attrPattern.exec(rest);
        if (!m) {
          problems.push(`bad attribute in <${name}> at ${lt}`);
          break;
        }
        checkText(m[2]!.slice(1, -1), problems, lt);
        rest = rest.slice(m[0].length);
      }
      if (stack.length === 0) roots++;
      if (!selfClosing) stack.push(name);
    }
    i = gt + 1;
  }
  if (stack.length > 0) problems.push(`unclosed <${stack.join('>, <')}>`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return problems;
}
