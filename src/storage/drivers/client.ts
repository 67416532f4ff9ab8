import { createClient, type Client, type Transaction } from '@libsql/client';
import type { Db, Tx } from '../db.ts';

/**
 * A libSQL server or Turso (`libsql://`, `http(s)://`, `ws(s)://`), or any URL when asked for
 * explicitly, through `@libsql/client`. The test suite runs the API over this driver on a file too
 * (`test/storage/client-driver.test.ts`), so the remote path is the tested code.
 */
export async function openClient(
  url: string,
  authToken: string | undefined,
  queue: <T>(job: () => Promise<T>) => Promise<T>,
): Promise<Db> {
  const isFile = url.startsWith('file:');
  const client: Client = createClient({
    url,
    authToken,
    // One connection keeps the per-connection pragmas below in force.
    concurrency: isFile ? 1 : 20,
    timeout: isFile ? 10_000 : undefined,
  });
  if (isFile) {
    await client.execute('PRAGMA journal_mode = WAL');
    await client.execute('PRAGMA synchronous = NORMAL');
    await client.execute('PRAGMA foreign_keys = ON');
  }
  return {
    url,
    query: (sql, args) => queue(async () => (await client.execute({ sql, args: args ?? [] })).rows),
    batch: (statements) =>
      queue(async () => {
        await client.batch(
          statements.map((s) => ({ sql: s.sql, args: s.args ?? [] })),
          'write',
        );
      }),
    write: (work) =>
      queue(async () => {
        const transaction: Transaction = await client.transaction('write');
        const tx: Tx = {
          execute: async (sql, args) => (await transaction.execute({ sql, args: args ?? [] })).rows,
          run: async (sql, args) =>
            (await transaction.execute({ sql, args: args ?? [] })).rowsAffected,
        };
        try {
          const result = await work(tx);
          await transaction.commit();
          return result;
        } catch (error) {
          await transaction.rollback().catch(() => undefined);
          throw error;
        } finally {
          transaction.close();
        }
      }),
    close: () => client.close(),
  };
}
