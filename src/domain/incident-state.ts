import type { ComponentStatus, IncidentStatus, Update } from './types.ts';

/** The minimum an update needs for the incident state to be derived from it. */
export type StateInput = Pick<Update, 'seq' | 'status' | 'display_at' | 'components'>;

export interface IncidentState {
  status: IncidentStatus;
  /** Current status per affected component, in the order each was first named. */
  components: Array<{ id: string; status: ComponentStatus }>;
  resolved_at: string | null;
  monitoring_at: string | null;
}

/** Timeline order: by display time, then by order of acceptance. */
export function compareTimeline(a: StateInput, b: StateInput): number {
  if (a.display_at !== b.display_at) return a.display_at < b.display_at ? -1 : 1;
  return a.seq - b.seq;
}

/**
 * Replays the updates in timeline order. The incident's status is the status of its latest update
 * by `display_at`, so a back-dated update never overrides a newer one. A `resolved` update sets
 * every affected component it does not name back to `operational`.
 */
export function deriveIncidentState(updates: readonly StateInput[]): IncidentState {
  return [...updates].sort(compareTimeline).reduce(applyUpdate, INITIAL_STATE);
}

const INITIAL_STATE: IncidentState = {
  status: 'investigating',
  components: [],
  resolved_at: null,
  monitoring_at: null,
};

/**
 * The state after one more update that is the newest in the timeline. `deriveIncidentState` folds
 * this over the whole timeline; the write path calls it directly when an update is not back-dated.
 */
export function applyUpdate(state: IncidentState, update: StateInput): IncidentState {
  const components = new Map(state.components.map((c) => [c.id, c.status]));
  for (const change of update.components) components.set(change.id, change.new_status);
  if (update.status === 'resolved') {
    const named = new Set(update.components.map((c) => c.id));
    for (const id of components.keys()) if (!named.has(id)) components.set(id, 'operational');
  }
  const resolvedAt =
    update.status !== 'resolved'
      ? null
      : state.status === 'resolved'
        ? state.resolved_at
        : update.display_at;
  const monitoringAt =
    update.status === 'monitoring'
      ? state.status === 'monitoring'
        ? state.monitoring_at
        : update.display_at
      : update.status === 'resolved'
        ? state.monitoring_at
        : null;
  return {
    status: update.status,
    components: [...components].map(([id, status]) => ({ id, status })),
    resolved_at: resolvedAt,
    monitoring_at: monitoringAt,
  };
}

/**
 * The status a new update takes when the caller names none: it continues the current status.
 * After `resolved`, an update without a status stays resolved; only an explicit open status reopens.
 */
export function statusForNewUpdate(
  current: IncidentStatus,
  requested: IncidentStatus | undefined,
): IncidentStatus {
  return requested ?? current;
}
