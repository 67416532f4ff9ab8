import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildRss, type FeedView } from '../../src/publish/feed.ts';

const view = (items: FeedView['items'], title = 'Acme status'): FeedView => ({
  title,
  description: 'Every public update',
  siteUrl: 'https://status.example.test',
  feedUrl: 'https://status.example.test/history.rss',
  items,
});

const item = {
  guid: 'u1',
  title: 'Elevated errors: Investigating',
  html: '<p>We are looking into it.</p>',
  url: 'https://status.example.test/incidents/abc/#u1',
  date: '2026-11-20T08:30:00.000Z',
  categories: [{ term: 'api', label: 'API' }],
};

afterEach(() => vi.useRealTimers());

/** The feed as rendered with the clock at `at`. */
function renderedAt(at: string, feed: FeedView): string {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(at));
  return buildRss(feed);
}

describe('the RSS feed', () => {
  it('says it was last built when its newest item was published, not when it was rendered', () => {
    const first = renderedAt('2026-11-27T10:00:00Z', view([item]));
    const later = renderedAt('2026-11-28T17:45:00Z', view([item]));
    expect(later).toBe(first);
    expect(first).toContain('<lastBuildDate>Fri, 20 Nov 2026 08:30:00 GMT</lastBuildDate>');
    expect(first.match(/<lastBuildDate>/g)).toHaveLength(1);
  });

  it('has no build date without items, and the same bytes at every render', () => {
    const first = renderedAt('2026-11-27T10:00:00Z', view([]));
    expect(renderedAt('2026-11-28T17:45:00Z', view([]))).toBe(first);
    expect(first).not.toContain('lastBuildDate');
    expect(first).toContain('<generator>Herald</generator>');
  });

  it("leaves a title's text alone that looks like a build date", () => {
    const title = 'Acme <lastBuildDate>x</lastBuildDate>';
    const feed = renderedAt('2026-11-27T10:00:00Z', view([item], title));
    expect(feed).toContain('<lastBuildDate>x</lastBuildDate>');
    expect(feed).toContain('<lastBuildDate>Fri, 20 Nov 2026 08:30:00 GMT</lastBuildDate>');
  });
});
