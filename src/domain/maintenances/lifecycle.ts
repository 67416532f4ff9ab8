import type {
  MaintenanceEventKind,
  MaintenanceNotify,
  MaintenanceRecord,
  MaintenanceStatus,
  MaintenanceUpdateStatus,
} from './types.ts';

/** Running: its components are under maintenance. */
export function isRunning(status: MaintenanceStatus): boolean {
  return status === 'in_progress' || status === 'verifying';
}

export function isFinished(status: MaintenanceStatus): boolean {
  return status === 'completed' || status === 'cancelled';
}

/** What the scheduler has to do for one maintenance at `now`, in order. */
export type DueAction = 'remind' | 'start' | 'complete';

/**
 * The automatic steps due at `now`, a pure function of the maintenance, the reminder policy and
 * whether the reminder was already recorded. A maintenance a person moved first is left alone:
 * only `scheduled` starts, only a running one completes. A process that was down through the
 * start (or the whole window) does what was missed when it comes back: start, then complete. A
 * reminder is never sent once the start time has passed (the start email says more).
 */
export function dueActions(
  m: Pick<
    MaintenanceRecord,
    'status' | 'scheduled_for' | 'scheduled_until' | 'auto_start' | 'auto_complete' | 'notify'
  >,
  now: Date,
  remindBeforeSeconds: number,
  reminded: boolean,
): DueAction[] {
  const at = now.getTime();
  const start = Date.parse(m.scheduled_for);
  const end = Date.parse(m.scheduled_until);
  const actions: DueAction[] = [];
  let status = m.status;
  if (status === 'scheduled') {
    if (
      !reminded &&
      m.notify.reminder &&
      remindBeforeSeconds > 0 &&
      at >= start - remindBeforeSeconds * 1000 &&
      at < start
    )
      actions.push('remind');
    if (m.auto_start && at >= start) {
      actions.push('start');
      status = 'in_progress';
    }
  }
  if (isRunning(status) && m.auto_complete && at >= end) actions.push('complete');
  return actions;
}

/** When `dueActions` next has something to do after `now` (null: never, without a person acting). */
export function nextDueAt(
  m: Pick<
    MaintenanceRecord,
    'status' | 'scheduled_for' | 'scheduled_until' | 'auto_start' | 'auto_complete' | 'notify'
  >,
  remindBeforeSeconds: number,
  reminded: boolean,
  now: Date,
): number | null {
  const start = Date.parse(m.scheduled_for);
  const times: number[] = [];
  if (m.status === 'scheduled') {
    if (!reminded && m.notify.reminder && remindBeforeSeconds > 0)
      times.push(start - remindBeforeSeconds * 1000);
    if (m.auto_start) times.push(start);
  } else if (isRunning(m.status) && m.auto_complete) times.push(Date.parse(m.scheduled_until));
  const future = times.filter((t) => t > now.getTime());
  return future.length > 0 ? Math.min(...future) : null;
}

/**
 * Whether a person may post an update with `next` to a maintenance in `current`. A maintenance
 * never goes back to `scheduled` once started; nothing is posted after it completed or was
 * cancelled. Returns why not, or null.
 */
export function refuseUpdate(
  current: MaintenanceStatus,
  next: MaintenanceUpdateStatus,
): string | null {
  if (current === 'completed') return 'the maintenance is completed; nothing more can be posted';
  if (current === 'cancelled') return 'the maintenance was cancelled; nothing more can be posted';
  if (next === 'scheduled' && current !== 'scheduled')
    return `the maintenance is ${current.replace('_', ' ')}; it cannot go back to scheduled`;
  if (next === 'verifying' && current === 'scheduled')
    return 'the maintenance has not started; post in_progress first';
  return null;
}

/** The event a status change makes (null: a plain update). */
export function eventKindOf(
  before: MaintenanceStatus,
  after: MaintenanceStatus,
): MaintenanceEventKind {
  if (after === before) return 'update';
  if (after === 'in_progress' && before === 'scheduled') return 'started';
  if (after === 'completed') return 'completed';
  if (after === 'cancelled') return 'cancelled';
  return 'update';
}

/** Whether subscribers get an email for an event of this kind, given the maintenance's choices. */
export function emailsFor(kind: MaintenanceEventKind, notify: MaintenanceNotify): boolean {
  switch (kind) {
    case 'scheduled':
    case 'reminder':
    case 'started':
    case 'completed':
      return notify[kind];
    // Those told it was coming are told it is not.
    case 'cancelled':
      return notify.scheduled;
    default:
      return false;
  }
}

/** The unique key of an event: the same transition done twice writes one row. */
export function eventKey(
  maintenanceId: string,
  kind: MaintenanceEventKind,
  discriminator?: string | number,
): string {
  return discriminator === undefined
    ? `${maintenanceId}/${kind}`
    : `${maintenanceId}/${kind}/${discriminator}`;
}

/** The interval during which a maintenance held its components, for uptime (null: it never ran). */
export function maintenanceInterval(
  m: Pick<MaintenanceRecord, 'started_at' | 'completed_at' | 'cancelled_at'>,
  now: number,
): { start: number; end: number } | null {
  if (!m.started_at) return null;
  const end = m.completed_at ?? m.cancelled_at;
  return { start: Date.parse(m.started_at), end: end ? Date.parse(end) : now };
}
