import type { Scope } from '../domain/types.ts';

/** Hono's per-request variables. */
export interface AppEnv {
  Variables: {
    actor: { id: string; name: string; scope: Scope };
  };
}
