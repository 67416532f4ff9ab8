import { request as httpRequest } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../support/server-process.ts';

const started: ServerProcess[] = [];
afterAll(async () => {
  for (const server of started) await server.stop('SIGKILL');
});

async function json(res: Response) {
  return (await res.json()) as any;
}

describe('the real server process', () => {
  it('drives a whole incident over HTTP: declare → identified → monitoring → resolved → reopen', async () => {
    const server = await startServer();
    started.push(server);
    const declared = await server.api('POST', '/v1/incidents', {
      title: 'Checkout latency',
      severity: 'SEV2',
      message: 'We are investigating slow checkouts.',
      components: [{ id: 'checkout', status: 'degraded_performance' }],
      roles: { commander: 'Ada', communications: 'comms@acme.example' },
      business_impact: {
        summary: 'Checkout conversion down 20%',
        revenue_per_minute: 400,
        currency: 'USD',
      },
    });
    expect(declared.status).toBe(201);
    const { id } = await json(declared);
    for (const [status, message] of [
      ['identified', 'A payment provider is slow.'],
      ['monitoring', 'Failover done; watching.'],
      ['resolved', 'Checkout is back to normal.'],
    ] as const) {
      const res = await server.api('POST', `/v1/incidents/${id}/updates`, { status, message });
      expect(res.status).toBe(201);
    }
    let incident = await json(await server.api('GET', `/v1/incidents/${id}`));
    expect(incident.status).toBe('resolved');
    expect(incident.components).toEqual([
      { id: 'checkout', name: 'Checkout', status: 'operational' },
    ]);
    expect(incident.resolved_at).not.toBeNull();

    const reopen = await server.api('POST', `/v1/incidents/${id}/updates`, {
      status: 'investigating',
      message: 'Slow checkouts are back.',
      components: [{ id: 'checkout', status: 'partial_outage' }],
    });
    expect(reopen.status).toBe(201);
    incident = await json(await server.api('GET', `/v1/incidents/${id}`));
    expect(incident.status).toBe('investigating');
    expect(incident.resolved_at).toBeNull();
    expect(incident.updates).toHaveLength(5);
    const components = await json(await server.api('GET', '/v1/components'));
    expect(components.components.find((c: any) => c.id === 'checkout').status).toBe(
      'partial_outage',
    );

    // nothing in the whole lifecycle (API, publisher, scheduler) left a promise rejection unhandled
    const health = await json(await fetch(`${server.url}/healthz`));
    expect(health).toMatchObject({ status: 'ok', database: 'ok', unhandled_rejections: 0 });

    // one structured log line per request
    const lines = server
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    const requests = lines.filter((l) => l.method);
    expect(
      requests.filter((l) => l.path === `/v1/incidents/${id}/updates` && l.status === 201),
    ).toHaveLength(4);
    expect(requests.every((l) => typeof l.ms === 'number' && typeof l.time === 'string')).toBe(
      true,
    );
  });

  it('prints a generated admin key once on first start, never again, and keeps its data across restarts', async () => {
    const first = await startServer({ env: { HERALD_ADMIN_TOKEN: '' } });
    started.push(first);
    const token = /(hrd_[a-z0-9]{12}_[A-Za-z0-9_-]{32})/.exec(first.stdout())?.[1];
    expect(token).toBeDefined();
    const res = await fetch(`${first.url}/v1/incidents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({
        title: 'Persisted',
        severity: 'SEV4',
        message: 'Survives a restart.',
      }),
    });
    expect(res.status).toBe(201);
    expect(await first.stop('SIGTERM')).toEqual({ code: 0, signal: null });

    const second = await startServer({ dataDir: first.dataDir, env: { HERALD_ADMIN_TOKEN: '' } });
    started.push(second);
    expect(second.stdout()).not.toMatch(/hrd_/);
    const list = await json(
      await fetch(`${second.url}/v1/incidents`, { headers: { authorization: `Bearer ${token}` } }),
    );
    expect(list.incidents.map((i: any) => i.title)).toEqual(['Persisted']);
  });

  it('finishes an in-flight request on SIGTERM, then closes the database and exits 0', async () => {
    const server = await startServer();
    started.push(server);
    const { id } = await json(
      await server.api('POST', '/v1/incidents', {
        title: 'Shutdown',
        severity: 'SEV3',
        message: 'Before shutdown.',
      }),
    );
    const body = Buffer.from(
      JSON.stringify({ status: 'identified', message: 'Sent across a shutdown.' }),
    );
    // Send the headers and half the body, signal the server, then send the rest.
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: server.port,
          method: 'POST',
          path: `/v1/incidents/${id}/updates`,
          headers: {
            authorization: `Bearer ${server.token}`,
            'content-type': 'application/json',
            'content-length': body.length,
          },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.write(body.subarray(0, 10));
      setTimeout(() => {
        server.child.kill('SIGTERM');
        setTimeout(() => req.end(body.subarray(10)), 300);
      }, 300);
    });
    const result = await response;
    expect(result.status).toBe(201);
    expect(JSON.parse(result.text).incident_status).toBe('identified');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.stdout()).toContain('"msg":"stopped"');

    // the update was committed before exit
    const again = await startServer({ dataDir: server.dataDir });
    started.push(again);
    const incident = await json(await again.api('GET', `/v1/incidents/${id}`));
    expect(incident.status).toBe('identified');
  });

  it('refuses to start with an invalid content file, naming the file and field', async () => {
    const { mkdtempSync, cpSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { REPO_ROOT } = await import('../support/harness.ts');
    const dir = mkdtempSync(join(tmpdir(), 'herald-badcontent-'));
    cpSync(join(REPO_ROOT, 'content'), dir, { recursive: true });
    writeFileSync(join(dir, 'site.yaml'), 'name: Acme\nurl: not-a-url\n');
    await expect(startServer({ env: { HERALD_CONTENT_DIR: dir } })).rejects.toThrow(
      /site\.yaml is invalid:\s+url:/,
    );
  });
});
