import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../support/server-process.ts';

const started: ServerProcess[] = [];
afterAll(async () => {
  for (const server of started) await server.stop('SIGKILL');
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Idempotency-Key across a SIGKILL (issue 10, item 4)', () => {
  it('lets every retry after a crash through, and applies each request exactly once', async () => {
    const first = await startServer();
    started.push(first);
    const startedAt = new Date(Date.now() - 60 * 60_000).toISOString();
    const declared = await first.api('POST', '/v1/incidents', {
      title: 'Crash drill',
      severity: 'SEV3',
      message: 'Declared before the burst.',
      started_at: startedAt,
    });
    const { id } = (await declared.json()) as { id: string };
    const count = 150;
    const bodies = Array.from({ length: count }, (_, i) => ({
      message: `Back-dated note ${i}.`,
      display_at: new Date(Date.now() - 30 * 60_000 + i * 1000).toISOString(),
    }));
    const send = (server: ServerProcess, i: number) =>
      server.api('POST', `/v1/incidents/${id}/updates`, bodies[i], {
        'idempotency-key': `drill-${i}`,
      });
    // The burst, cut off by a SIGKILL while requests are in every stage.
    let answered!: () => void;
    const firstAnswer = new Promise<void>((resolve) => (answered = resolve));
    const burst = bodies.map((_, i) => send(first, i).then(answered, () => null));
    await firstAnswer;
    await first.stop('SIGKILL');
    await Promise.all(burst);

    const second = await startServer({ dataDir: first.dataDir });
    started.push(second);
    const deadline = Date.now() + 50_000;
    const outcomes = await Promise.all(
      bodies.map(async (_, i) => {
        for (;;) {
          const res = await send(second, i);
          const body = (await res.json()) as { error?: { code: string } };
          if (res.status === 201)
            return res.headers.get('idempotent-replayed') ? 'answered before the crash' : 'applied';
          if (body.error?.code === 'idempotency_answer_lost') return 'answer lost in the crash';
          expect(body.error?.code, `request ${i}`).toBe('idempotency_in_progress');
          if (Date.now() > deadline) return 'stuck';
          await sleep(Number(res.headers.get('retry-after') ?? '1') * 1000);
        }
      }),
    );
    expect(outcomes.filter((o) => o === 'stuck')).toEqual([]);
    const incident = (await (
      await second.api('GET', `/v1/incidents/${id}?updates_limit=500`)
    ).json()) as { updates: Array<{ message: string }> };
    for (const body of bodies) {
      expect(
        incident.updates.filter((u) => u.message === body.message),
        body.message,
      ).toHaveLength(1);
    }
    expect(incident.updates).toHaveLength(count + 1);
  }, 120_000);
});
