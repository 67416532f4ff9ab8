import type { RunningServer } from '../support/server.ts';
import { messageNumber, type LoadResult } from './load.ts';

/**
 * Whether every acknowledged update is stored, read back over the API after a posting run.
 *
 * autocannon stops at its deadline by dropping its connections, so the last request on each
 * connection may have been stored without its 201 being counted. Those are accounted for by
 * message number instead of being guessed at: the check is exact.
 */
export interface StoredCheck {
  scenario: string;
  /** Responses with 201. */
  acknowledged: number;
  /** Bench updates found on the scenario's incidents. */
  stored: number;
  /** Stored, sent before the deadline, response dropped by autocannon (at most one per connection). */
  storedWithoutResponse: number;
  /** Acknowledged with 201 but not stored. Must be 0. */
  lost: number;
  /** Stored twice, or stored although its response was an error. Must be 0. */
  unexpected: number;
  ok: boolean;
}

interface IncidentBody {
  updates: Array<{ message: string }>;
}

export async function checkStored(
  server: RunningServer,
  run: LoadResult,
  label: string,
): Promise<StoredCheck> {
  const ledger = run.ledger!;
  const stored: number[] = [];
  for (const id of run.scenario.incidentIds) {
    const incident = await server.request<IncidentBody>('GET', `/v1/incidents/${id}`);
    for (const update of incident.updates) {
      const n = messageNumber(update.message);
      if (n !== null) stored.push(n);
    }
  }
  const storedSet = new Set(stored);
  let acknowledged = 0;
  let lost = 0;
  for (const [n, status] of ledger.outcomes) {
    if (status !== 201) continue;
    acknowledged++;
    if (!storedSet.has(n)) lost++;
  }
  let storedWithoutResponse = 0;
  let unexpected = stored.length - storedSet.size; // duplicates
  for (const n of storedSet) {
    const status = ledger.outcomes.get(n);
    if (status === 201) continue;
    if (status === undefined) storedWithoutResponse++;
    else unexpected++;
  }
  const inFlightLimit = run.scenario.connections;
  const ok =
    lost === 0 &&
    unexpected === 0 &&
    storedWithoutResponse <= ledger.sent - ledger.outcomes.size &&
    storedWithoutResponse <= inFlightLimit &&
    stored.length === acknowledged + storedWithoutResponse;
  return {
    scenario: label,
    acknowledged,
    stored: stored.length,
    storedWithoutResponse,
    lost,
    unexpected,
    ok,
  };
}
