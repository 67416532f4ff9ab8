// Malformed, hostile and random bodies against every write route: only 4xx JSON errors, never a 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/harness.ts';

let h: Harness;
let routes: Array<{ method: string; path: string }>;

beforeAll(async () => {
  h = await createHarness();
  const created = (await (
    await h.request('POST', '/v1/incidents', {
      body: { title: 'sweep', severity: 'SEV3', message: 'sweep target' },
    })
  ).json()) as any;
  const key = (await (
    await h.request('POST', '/v1/keys', { body: { name: 'victim', scope: 'read' } })
  ).json()) as any;
  const postmortem = (await (
    await h.request('PUT', `/v1/incidents/${created.id}/postmortem`, {
      body: { summary: 's', action_items: [{ title: 'fix it' }] },
    })
  ).json()) as any;
  routes = [
    { method: 'PUT', path: `/v1/incidents/${created.id}/postmortem` },
    {
      method: 'PATCH',
      path: `/v1/incidents/${created.id}/postmortem/action-items/${postmortem.action_items[0].id}`,
    },
    { method: 'POST', path: '/v1/incidents' },
    { method: 'PATCH', path: `/v1/incidents/${created.id}` },
    { method: 'POST', path: `/v1/incidents/${created.id}/updates` },
    { method: 'POST', path: '/v1/templates/investigating/render' },
    { method: 'POST', path: '/v1/keys' },
    { method: 'DELETE', path: `/v1/keys/${key.id}x` },
  ];
});
afterAll(() => h.close());

const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const deepObject = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

const HOSTILE_STRINGS = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  ']]>',
  'x'.repeat(60_000),
  '\u0000\u0007\u001b',
  '\ud800',
  '__proto__',
  '{{ 7 | times: 6 }}{% assign x = 1 %}',
  "'; DROP TABLE incidents; --",
  '𝕳𝖊𝖗𝖆𝖑𝖉 🚨',
  '',
  ' ',
];

const WRONG_TYPES: unknown[] = [
  null,
  true,
  0,
  -1,
  1e308,
  'string',
  [],
  {},
  [1, 2],
  { nested: { deep: 1 } },
];

/** Raw bodies that are not even valid JSON objects of the right kind. */
const RAW_BODIES: Array<string | Uint8Array> = [
  '',
  'null',
  '[]',
  '"just a string"',
  '42',
  '{',
  '{"title": "x",}',
  "{'title': 'x'}",
  '{"title": "x"} trailing',
  deep(5_000),
  deepObject(5_000),
  new Uint8Array([0xc3, 0x28]),
  new Uint8Array([0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x3a, 0x31, 0x7d]),
  '{"__proto__": {"admin": true}, "title": "x", "severity": "SEV3", "message": "m"}',
  '{"constructor": {"prototype": {"x": 1}}}',
];

const FIELDS = [
  'title',
  'severity',
  'message',
  'status',
  'components',
  'visibility',
  'roles',
  'business_impact',
  'eta',
  'started_at',
  'detected_at',
  'notify',
  'display_at',
  'template',
  'vars',
  'name',
  'scope',
  'impact',
  'acknowledged_at',
  'summary',
  'root_cause',
  'root_cause_category',
  'contributing_factors',
  'action_items',
  'owner',
  'due_date',
  'state',
  'priority',
  'published',
  'completed',
];

function bodiesForFields(): unknown[] {
  const bodies: unknown[] = [];
  const valid = { title: 't', severity: 'SEV3', message: 'm' };
  for (const field of FIELDS) {
    for (const value of [...WRONG_TYPES, ...HOSTILE_STRINGS])
      bodies.push({ ...valid, [field]: value });
  }
  bodies.push({
    ...valid,
    components: Array.from({ length: 500 }, (_, i) => ({ id: `c${i}`, status: 'major_outage' })),
  });
  bodies.push({ ...valid, components: [{ id: 'api', status: 'on_fire' }] });
  bodies.push({
    ...valid,
    components: [
      { id: 'api', status: 'major_outage' },
      { id: 'api', status: 'operational' },
    ],
  });
  bodies.push({ ...valid, roles: { commander: { name: 'x' } } });
  bodies.push({ ...valid, business_impact: { revenue_per_minute: -5, currency: 'dollars' } });
  bodies.push({ ...valid, template: { id: '../../etc/passwd', vars: {} } });
  bodies.push({ ...valid, started_at: '0000-01-01T00:00:00Z' });
  bodies.push({ ...valid, started_at: '2026-02-30T00:00:00Z' });
  bodies.push({ ...valid, display_at: '+275760-09-13T00:00:00.000Z' });
  bodies.push({ ...valid, unknown_field: 1, another: { x: 1 } });
  return bodies;
}

/** A small deterministic PRNG so the random sweep is the same every run. */
function prng(seed: number) {
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
}

function randomValue(rand: () => number, depth = 0): unknown {
  const pick = Math.floor(rand() * (depth > 3 ? 6 : 8));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return rand() < 0.5;
    case 2:
      return Math.floor((rand() - 0.5) * 1e6);
    case 3:
      return HOSTILE_STRINGS[Math.floor(rand() * HOSTILE_STRINGS.length)]!.slice(0, 300);
    case 4:
      return ['SEV1', 'resolved', 'api', 'major_outage', 'public', '2026-11-23T09:00:00Z'][
        Math.floor(rand() * 6)
      ];
    case 5:
      return FIELDS[Math.floor(rand() * FIELDS.length)];
    case 6:
      return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: Math.floor(rand() * 5) }, () => [
          FIELDS[Math.floor(rand() * FIELDS.length)]!,
          randomValue(rand, depth + 1),
        ]),
      );
  }
}

async function send(route: { method: string; path: string }, body: unknown) {
  const raw = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  const res = await h.request(route.method, route.path, { body: raw });
  const text = await res.text();
  return { status: res.status, text, type: res.headers.get('content-type') ?? '' };
}

function expectNoServerError(result: { status: number; text: string; type: string }, what: string) {
  expect(result.status, `${what} → ${result.status} ${result.text.slice(0, 200)}`).toBeLessThan(
    500,
  );
  if (result.status >= 400) {
    expect(result.type).toMatch(/application\/json/);
    const parsed = JSON.parse(result.text);
    expect(typeof parsed.error.code).toBe('string');
  }
}

describe('the malformed-input sweep', () => {
  it('answers every raw malformed body on every write route with a 4xx JSON error', async () => {
    for (const route of routes) {
      for (const body of RAW_BODIES) {
        const result = await send(route, body);
        expectNoServerError(result, `${route.method} ${route.path} raw`);
        if (route.method !== 'DELETE') expect(result.status).toBeGreaterThanOrEqual(400);
      }
    }
  });

  it('never answers a wrong type, a huge string or a hostile string in any field with a 5xx', async () => {
    const bodies = bodiesForFields();
    for (const route of routes) {
      for (const body of bodies)
        expectNoServerError(
          await send(route, body),
          `${route.method} ${route.path} ${JSON.stringify(body).slice(0, 120)}`,
        );
    }
  });

  it('survives 1,500 random bodies (seeded) without a 5xx', async () => {
    const rand = prng(20261123);
    for (let i = 0; i < 1500; i++) {
      const route = routes[i % routes.length]!;
      const body = randomValue(rand);
      expectNoServerError(
        await send(route, body),
        `${route.method} ${route.path} ${JSON.stringify(body).slice(0, 200)}`,
      );
    }
  });

  it('stores script tags as plain text and returns them JSON-escaped, never interpreted', async () => {
    const title = '<script>alert("x")</script>"><img src=x onerror=alert(1)>';
    const res = await h.request('POST', '/v1/incidents', {
      body: { title, severity: 'SEV3', message: title },
    });
    expect(res.status).toBe(201);
    const incident = (await res.json()) as any;
    expect(incident.title).toBe(title);
    expect(incident.updates[0].message).toBe(title);
  });

  it('refuses control characters and broken Unicode in text with a 422 that says so', async () => {
    const res = await h.request('POST', '/v1/incidents', {
      body: { title: 'bell\u0007', severity: 'SEV3', message: 'm\ud800' },
    });
    expect(res.status).toBe(422);
    const error = ((await res.json()) as any).error;
    expect(error.details).toEqual([
      { field: 'title', message: 'must be a single line without control characters' },
      { field: 'message', message: 'must be valid Unicode text' },
    ]);
  });
});
