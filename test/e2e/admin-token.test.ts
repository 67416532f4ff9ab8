import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../support/server-process.ts';

const started: ServerProcess[] = [];
afterAll(async () => {
  for (const server of started) await server.stop('SIGKILL');
});

async function json(res: Response) {
  return (await res.json()) as any;
}

describe('HERALD_ADMIN_TOKEN (issue 10, item 9)', () => {
  it('stays revoked across a restart, the start-up log says so, and key prefixes are public ids', async () => {
    const first = await startServer();
    started.push(first);
    const created = await json(
      await first.api('POST', '/v1/keys', { name: 'second admin', scope: 'admin' }),
    );
    expect(created.prefix).toBe(`hrd_${created.id}`);
    expect(created.token.startsWith(`${created.prefix}_`)).toBe(true);
    const keys = await json(await first.api('GET', '/v1/keys'));
    const envKey = keys.keys.find((k: any) => k.id === 'env-admin');
    expect(envKey.prefix).toBe('hrd_env-admin');
    for (const key of keys.keys) expect(first.token.startsWith(key.prefix)).toBe(false);

    const asSecond = { authorization: `Bearer ${created.token}` };
    const revoke = await fetch(`${first.url}/v1/keys/env-admin`, {
      method: 'DELETE',
      headers: asSecond,
    });
    expect(revoke.status).toBe(204);
    expect((await first.api('GET', '/v1/incidents')).status).toBe(401);
    await first.stop();

    const second = await startServer({ dataDir: first.dataDir });
    started.push(second);
    expect((await second.api('GET', '/v1/incidents')).status).toBe(401);
    expect((await fetch(`${second.url}/v1/incidents`, { headers: asSecond })).status).toBe(200);
    const warning = second
      .stdout()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.level === 'warn' && String(line.msg).includes('HERALD_ADMIN_TOKEN'));
    expect(warning?.msg).toMatch(/revoked/);
  });
});
