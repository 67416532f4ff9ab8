import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { siteView } from '../../src/publish/views/common.ts';
import { createHarness, type Harness } from '../support/harness.ts';
import { repoContent, snapshotOf } from '../publish/fixtures.ts';

describe('the site copied to a CDN still reaches the API', () => {
  it('posts its forms to the API’s public URL and allows that origin in the page’s form-action', async () => {
    const snapshot = snapshotOf(await repoContent(), [], '2026-11-23T10:00:00.000Z');
    const served = siteView(snapshot);
    expect(served.subscribeAction).toBe('/v1/subscriptions');
    expect(served.contentSecurityPolicy).toMatch(/form-action 'self'$/);
    const cdn = siteView({ ...snapshot, apiUrl: 'https://api.acme.example' });
    expect(cdn.subscribeAction).toBe('https://api.acme.example/v1/subscriptions');
    expect(cdn.contentSecurityPolicy).toContain("form-action 'self' https://api.acme.example");
  });
});

describe('CORS on the subscription routes', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(() => h.close());

  it('lets a script on the site’s origin subscribe, and no other origin', async () => {
    const preflight = await h.request('OPTIONS', '/v1/subscriptions', {
      token: null,
      headers: {
        origin: 'https://status.example.test',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(
      'https://status.example.test',
    );
    const post = await h.request('POST', '/v1/subscriptions', {
      token: null,
      body: { email: 'x@example.com' },
      headers: { origin: 'https://status.example.test' },
    });
    expect(post.status).toBe(202);
    expect(post.headers.get('access-control-allow-origin')).toBe('https://status.example.test');
    const foreign = await h.request('POST', '/v1/subscriptions', {
      token: null,
      body: { email: 'y@example.com' },
      headers: { origin: 'https://evil.example' },
    });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });
});
