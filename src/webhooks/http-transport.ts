import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { AttemptResult } from '../domain/webhooks/retry.ts';

/** How much of a receiver's answer is kept (enough for a verification code and an error line). */
const MAX_ANSWER_BYTES = 4096;

export interface PostRequest {
  url: URL;
  /** The address that passed the address check: the connection goes there and nowhere else. */
  address: string;
  family: 4 | 6;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
}

export type PostResult = AttemptResult & { answer?: string };

/**
 * POSTs to `address` (pinned through the request's `lookup`, so the name is not resolved a second
 * time behind the check's back), with the URL's host in `Host` and in TLS's SNI and certificate
 * check. Redirects are not followed (a redirect could point anywhere). The whole exchange has
 * `timeoutMs`; a slow receiver is an error, retried like any network error.
 */
export function postPinned(req: PostRequest): Promise<PostResult> {
  const pinned: LookupFunction = (_host, options, callback) => {
    if ((options as { all?: boolean }).all)
      callback(null, [{ address: req.address, family: req.family }]);
    else callback(null, req.address, req.family);
  };
  const send = req.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const outgoing = send(
      req.url,
      {
        method: 'POST',
        lookup: pinned,
        headers: { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) },
        agent: false,
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < MAX_ANSWER_BYTES) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', () =>
          finish({
            statusCode: res.statusCode ?? 0,
            retryAfter: res.headers['retry-after'] ?? null,
            answer: Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES).toString('utf8'),
          }),
        );
        res.on('error', (error) => finish({ error: error.message }));
      },
    );
    const timer = setTimeout(() => {
      outgoing.destroy(new Error(`no answer within ${req.timeoutMs} ms`));
    }, req.timeoutMs);
    outgoing.on('error', (error: NodeJS.ErrnoException) =>
      finish({ error: error.code ? `${error.code}: ${error.message}` : error.message }),
    );
    outgoing.end(req.body);
  });
}
