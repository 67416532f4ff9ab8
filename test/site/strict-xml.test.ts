import { describe, expect, it } from 'vitest';
import { xmlProblems } from './strict-xml.ts';

describe('the strict XML check used on feeds', () => {
  it('accepts well-formed XML with CDATA and entities', () => {
    expect(
      xmlProblems(
        '<?xml version="1.0"?><rss a="1"><x><![CDATA[a <b> ]]]]><![CDATA[>]]></x><y>&amp;&#38;</y><z/></rss>',
      ),
    ).toEqual([]);
  });
  it('rejects what a feed reader would choke on', () => {
    expect(xmlProblems('<rss><x><![CDATA[a ]]> b]]></x></rss>')).not.toEqual([]);
    expect(xmlProblems('<rss><x>a & b</x></rss>')).not.toEqual([]);
    expect(xmlProblems('<rss><x>\u0001</x></rss>')).not.toEqual([]);
    expect(xmlProblems('<rss><x></rss>')).not.toEqual([]);
    expect(xmlProblems('<rss><x a=1></x></rss>')).not.toEqual([]);
  });
});
