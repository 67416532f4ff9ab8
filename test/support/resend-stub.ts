import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomUUID } from 'node:crypto';

/**
 * A stand-in for the part of Resend's HTTP API Herald uses, on 127.0.0.1: `POST /emails/batch`
 * (and `POST /emails`), bearer auth, strict batch validation (one bad email fails the batch with
 * a 422), `Idempotency-Key` (same key and body: the first response again and nothing sent; same
 * key, other body: 409), an optional per-second rate limit answered with 429 + `retry-after`,
 * scripted failures, and holding requests unanswered (a provider that is slow or hangs). It records
 * every request and every email it accepted for delivery.
 */

export interface StubEmail {
  id: string;
  from: string;
  to: string[];
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
  idempotencyKey: string | null;
  receivedAt: number;
}

export interface StubRequest {
  path: string;
  idempotencyKey: string | null;
  status: number;
  emails: number;
  at: number;
}

export interface ScriptedResponse {
  status: number;
  name?: string;
  message?: string;
  headers?: Record<string, string>;
}

export interface ResendStub {
  url: string;
  apiKey: string;
  /** The settings that point a Herald server at this stand-in, with the tests' sender. */
  env: { RESEND_API_KEY: string; RESEND_BASE_URL: string; EMAIL_FROM: string };
  requests: StubRequest[];
  delivered: StubEmail[];
  /** The next requests get these answers, in order, before any normal handling. */
  script(...responses: ScriptedResponse[]): void;
  /** From now on requests are held, unanswered and unprocessed, until `release`. */
  hold(): void;
  /** How many requests are being held. */
  held(): number;
  /**
   * Processes the held requests as if they had just arrived (delivering their emails even when the
   * client gave up waiting, as a real provider would) and stops holding.
   */
  release(): Promise<void>;
  close(): Promise<void>;
}

const ERROR_NAMES: Record<number, string> = {
  401: 'missing_api_key',
  409: 'invalid_idempotent_request',
  422: 'validation_error',
  429: 'rate_limit_exceeded',
  500: 'internal_server_error',
  503: 'application_error',
};

const ADDRESS = /^(?:[^<>]*<)?[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+>?$/;

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (error) {
        reject(error as Error);
      }
    });
    req.on('error', reject);
  });
}

type Payload = Record<string, unknown>;
const NOT_JSON = Symbol('not JSON');

function problem(payload: Payload, index: number): string | null {
  const to = payload.to;
  const recipients = Array.isArray(to) ? to : [to];
  if (typeof payload.from !== 'string' || !ADDRESS.test(payload.from))
    return `emails[${index}].from is invalid`;
  if (
    recipients.length === 0 ||
    !recipients.every((r) => typeof r === 'string' && ADDRESS.test(r))
  ) {
    return `emails[${index}].to: Invalid \`to\` field. The email address needs to follow the \`email@example.com\` or \`Name <email@example.com>\` format.`;
  }
  if (typeof payload.subject !== 'string' || payload.subject === '')
    return `emails[${index}].subject is required`;
  if (typeof payload.html !== 'string' && typeof payload.text !== 'string')
    return `emails[${index}] needs html or text`;
  return null;
}

export interface StubOptions {
  ratePerSecond?: number;
  apiKey?: string;
  /**
   * A share (0..1) of requests that fail at random (seeded, so a run can be repeated): half with
   * 429 + `retry-after: 1` (nothing sent), half with 500, of which half after the emails were
   * in fact accepted (the client cannot tell; only the idempotency key saves it from a duplicate).
   */
  failureRate?: number;
  seed?: number;
  /** `false` keeps only the envelope of delivered emails (a benchmark's 50,000 bodies weigh). */
  recordBodies?: boolean;
}

/** A small seeded PRNG (mulberry32): the same seed gives the same failures. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function startResendStub(options: StubOptions = {}): Promise<ResendStub> {
  const random = seeded(options.seed ?? 1);
  const apiKey = options.apiKey ?? 're_test_stub_key';
  const requests: StubRequest[] = [];
  const delivered: StubEmail[] = [];
  const scripted: ScriptedResponse[] = [];
  const seen = new Map<string, { body: string; status: number; response: unknown }>();
  const recent: number[] = [];

  function send(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }
  function fail(
    res: ServerResponse,
    status: number,
    message: string,
    name?: string,
    headers?: Record<string, string>,
  ) {
    send(
      res,
      status,
      { statusCode: status, name: name ?? ERROR_NAMES[status] ?? 'application_error', message },
      headers,
    );
  }

  let holding = false;
  const parked: Array<() => Promise<void>> = [];

  const server: Server = createServer(async (req, res) => {
    if (holding) {
      // Read the body now (the client may go away); answer only when released.
      const body = await readJson(req).catch(() => NOT_JSON);
      parked.push(() => handle(req, res, body));
      return;
    }
    await handle(req, res, undefined);
  });

  async function handle(req: IncomingMessage, res: ServerResponse, preread: unknown) {
    const at = Date.now();
    const path = req.url ?? '/';
    const key = (req.headers['idempotency-key'] as string | undefined) ?? null;
    const record = (status: number, emails: number) =>
      requests.push({ path, idempotencyKey: key, status, emails, at });
    if (req.method !== 'POST' || (path !== '/emails/batch' && path !== '/emails')) {
      record(404, 0);
      return fail(res, 404, 'not found', 'not_found');
    }
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      record(401, 0);
      return fail(res, 401, 'Missing or invalid API key');
    }
    let body = preread;
    if (body === undefined) body = await readJson(req).catch(() => NOT_JSON);
    if (body === NOT_JSON) {
      record(400, 0);
      return fail(res, 400, 'body is not JSON', 'validation_error');
    }
    const emails = (path === '/emails/batch' ? body : [body]) as Payload[];
    const next = scripted.shift();
    if (next) {
      record(next.status, emails.length);
      return fail(
        res,
        next.status,
        next.message ?? `scripted ${next.status}`,
        next.name,
        next.headers,
      );
    }
    let failAfterDelivery = false;
    if (options.failureRate !== undefined && random() < options.failureRate) {
      const roll = random();
      if (roll < 0.5) {
        record(429, emails.length);
        return fail(res, 429, 'Too many requests (injected)', undefined, { 'retry-after': '1' });
      }
      if (roll < 0.75) {
        record(500, emails.length);
        return fail(res, 500, 'injected failure');
      }
      failAfterDelivery = true;
    }
    if (options.ratePerSecond !== undefined) {
      while (recent.length && recent[0]! <= at - 1000) recent.shift();
      if (recent.length >= options.ratePerSecond) {
        record(429, emails.length);
        return fail(res, 429, 'Too many requests', undefined, { 'retry-after': '1' });
      }
      recent.push(at);
    }
    // The body's digest stands for it: a retry must send the very same request.
    const raw = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    if (key !== null && seen.has(key)) {
      const previous = seen.get(key)!;
      if (previous.body !== raw) {
        record(409, emails.length);
        return fail(res, 409, 'Same idempotency key used with a different request body');
      }
      record(previous.status, emails.length);
      return send(res, previous.status, previous.response);
    }
    if (!Array.isArray(emails) || emails.length === 0 || emails.length > 100) {
      record(422, 0);
      return fail(res, 422, 'a batch holds 1 to 100 emails');
    }
    const problems = emails.map(problem).filter((p): p is string => p !== null);
    if (problems.length > 0) {
      record(422, emails.length);
      return fail(res, 422, problems[0]!);
    }
    const accepted = emails.map((e) => ({
      id: randomUUID(),
      from: e.from as string,
      to: (Array.isArray(e.to) ? e.to : [e.to]) as string[],
      subject: e.subject as string,
      html: options.recordBodies === false ? '' : ((e.html as string | undefined) ?? ''),
      text: options.recordBodies === false ? '' : ((e.text as string | undefined) ?? ''),
      headers: (e.headers as Record<string, string> | undefined) ?? {},
      idempotencyKey: key,
      receivedAt: at,
    }));
    delivered.push(...accepted);
    const response =
      path === '/emails/batch'
        ? { data: accepted.map((a) => ({ id: a.id })) }
        : { id: accepted[0]!.id };
    if (key !== null) seen.set(key, { body: raw, status: 200, response });
    if (failAfterDelivery) {
      record(500, emails.length);
      return fail(res, 500, 'injected failure after the emails were accepted');
    }
    record(200, emails.length);
    send(res, 200, response);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    apiKey,
    env: {
      RESEND_API_KEY: apiKey,
      RESEND_BASE_URL: url,
      EMAIL_FROM: 'Acme Status <status@acme.example>',
    },
    requests,
    delivered,
    script: (...responses) => scripted.push(...responses),
    hold: () => {
      holding = true;
    },
    held: () => parked.length,
    async release() {
      holding = false;
      for (const handle of parked.splice(0)) await handle();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
