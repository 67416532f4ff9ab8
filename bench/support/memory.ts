import { readFileSync } from 'node:fs';

/**
 * A process's resident set now (`VmRSS`) or at its peak (`VmHWM`), in MiB, from `/proc`; null
 * where there is no such figure (the process is gone, or this is not Linux).
 */
export function memoryMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null;
  }
}
