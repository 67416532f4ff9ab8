import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';

/** The `handler` that `@astrojs/node` exports in middleware mode. */
export type AstroMiddleware = (
  req: unknown,
  res: unknown,
  next: ((error?: unknown) => void) | undefined,
  locals: Record<string, unknown>,
) => Promise<void>;

export interface Rendered {
  status: number;
  contentType: string | null;
  body: Buffer;
}

/**
 * The least of Node's ServerResponse that Astro's `NodeApp.writeResponse` uses, collecting the
 * body in memory. Rendering in-process this way skips sockets and HTTP parsing entirely.
 */
class CollectingResponse extends EventEmitter {
  statusCode = 200;
  statusMessage = '';
  headersSent = false;
  headers: Record<string, unknown> = {};
  readonly chunks: Buffer[] = [];
  readonly done: Promise<void>;
  #finish!: () => void;
  constructor(readonly req: unknown) {
    super();
    this.done = new Promise((resolve) => (this.#finish = resolve));
  }
  writeHead(status: number, headers?: Record<string, unknown>): this {
    this.statusCode = status;
    if (headers) Object.assign(this.headers, lowerKeys(headers));
    this.headersSent = true;
    return this;
  }
  setHeader(name: string, value: unknown): void {
    this.headers[name.toLowerCase()] = value;
  }
  write(chunk: Uint8Array | string): boolean {
    this.chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
    return true;
  }
  end(chunk?: Uint8Array | string): this {
    if (chunk) this.write(chunk);
    this.emit('finish');
    this.#finish();
    return this;
  }
}

function lowerKeys(headers: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

/** Renders one path through the Astro server build with `view` as `Astro.locals.view`. */
export async function renderWithAstro(
  handler: AstroMiddleware,
  path: string,
  view: unknown,
): Promise<Rendered> {
  const headers: IncomingHttpHeaders = { host: 'localhost', accept: '*/*' };
  // The adapter listens for the request's errors and its socket's close, so both are emitters.
  const req = Object.assign(new EventEmitter(), {
    url: path,
    method: 'GET',
    headers,
    socket: new EventEmitter(),
  });
  const res = new CollectingResponse(req);
  let passed = false;
  await handler(
    req,
    res,
    () => {
      // No Astro route matched the path.
      passed = true;
      res.writeHead(404);
      res.end();
    },
    { view },
  );
  if (!passed) await res.done;
  const contentType = res.headers['content-type'];
  return {
    status: res.statusCode,
    contentType: typeof contentType === 'string' ? contentType : null,
    body: Buffer.concat(res.chunks),
  };
}
