import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a receiver got, with the outcome of its own signature check. */
export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: unknown;
  /** Checked here with Node's crypto against the secret registered for the path, not with Herald's helper. */
  signatureValid: boolean;
  /** What the receiver answered. */
  answered: number;
  at: number;
}

export type Answer = {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Answer this much later (a slow receiver). */
  delayMs?: number;
};

/**
 * Local webhook receivers on 127.0.0.1: one HTTP server, one endpoint per path. Each path has its
 * own secret (set once Herald shows it) and its own script of answers (`500` then `200`, say).
 */
export interface Receiver {
  url: string;
  received: Received[];
  /** Requests to one path. */
  at(path: string): Received[];
  setSecret(path: string, secret: string): void;
  /** Answers for a path, in order; the last repeats. Default: 204. */
  script(path: string, answers: Array<Answer | ((r: Received) => Answer)>): void;
  close(): Promise<void>;
}

/** Verifies `t=<unix>,v1=<hex>` as a receiver would: HMAC-SHA256 over "t.body" with the secret as key. */
export function verifySignature(header: string | undefined, body: string, secret: string): boolean {
  if (!header) return false;
  const parts = Object.fromEntries(
    header.split(',').map((kv) => kv.split('=', 2) as [string, string]),
  );
  const t = parts.t;
  const v1 = parts.v1;
  if (!t || !v1 || !/^[0-9a-f]{64}$/.test(v1)) return false;
  const expected = createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update(`${t}.${body}`)
    .digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return null;
  }
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const secrets = new Map<string, string>();
  const scripts = new Map<string, Array<Answer | ((r: Received) => Answer)>>();
  const served = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      const json = parseJson(body);
      const secret = secrets.get(path);
      const record: Received = {
        path,
        headers: req.headers,
        body,
        json,
        signatureValid:
          secret !== undefined &&
          verifySignature(req.headers['herald-signature'] as string | undefined, body, secret),
        answered: 0,
        at: Date.now(),
      };
      const script = scripts.get(path) ?? [{ status: 204 }];
      const index = served.get(path) ?? 0;
      served.set(path, index + 1);
      const step = script[Math.min(index, script.length - 1)]!;
      const answer = typeof step === 'function' ? step(record) : step;
      record.answered = answer.status;
      received.push(record);
      const respond = () => {
        res.writeHead(answer.status, answer.headers ?? {});
        res.end(answer.body ?? '');
      };
      if (answer.delayMs) setTimeout(respond, answer.delayMs);
      else respond();
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    at: (path) => received.filter((r) => r.path === path),
    setSecret: (path, secret) => secrets.set(path, secret),
    script: (path, answers) => scripts.set(path, answers),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
