export const MAINTENANCE_STATUSES = [
  'scheduled',
  'in_progress',
  'verifying',
  'completed',
  'cancelled',
] as const;
export type MaintenanceStatus = (typeof MAINTENANCE_STATUSES)[number];

/** The statuses a person may post in an update (cancelling has its own route). */
export const MAINTENANCE_UPDATE_STATUSES = [
  'scheduled',
  'in_progress',
  'verifying',
  'completed',
] as const;
export type MaintenanceUpdateStatus = (typeof MAINTENANCE_UPDATE_STATUSES)[number];

/** The subscriber emails a maintenance sends; each can be turned off per maintenance. */
export const MAINTENANCE_EMAILS = ['scheduled', 'reminder', 'started', 'completed'] as const;
export type MaintenanceEmail = (typeof MAINTENANCE_EMAILS)[number];
export type MaintenanceNotify = Record<MaintenanceEmail, boolean>;

export interface MaintenanceUpdate {
  id: string;
  maintenance_id: string;
  seq: number;
  status: MaintenanceStatus;
  message: string;
  display_at: string;
  created_at: string;
  author: string;
}

export interface MaintenanceRecord {
  id: string;
  title: string;
  status: MaintenanceStatus;
  /** Catalog component ids, in the order given. */
  components: string[];
  scheduled_for: string;
  scheduled_until: string;
  auto_start: boolean;
  auto_complete: boolean;
  notify: MaintenanceNotify;
  started_at: string | null;
  completed_at: string | null;
  cancelled_at: string | null;
  /** iCalendar SEQUENCE: bumped when the window moves or the maintenance is cancelled. */
  sequence: number;
  created_at: string;
  updated_at: string;
  version: number;
  /** Newest first. */
  updates: MaintenanceUpdate[];
}

/** What happened to a maintenance, told to the publisher and the workers after it committed. */
export interface MaintenanceChange {
  maintenance: MaintenanceRecord;
  /** The components whose public status may have changed. */
  componentIds: string[];
  /** Something is owed to subscribers or webhooks (the workers should look now). */
  owed: boolean;
}

export type MaintenanceEventKind =
  'scheduled' | 'rescheduled' | 'reminder' | 'started' | 'completed' | 'cancelled' | 'update';

/** One row of `maintenance_events`: something owed to subscribers and/or webhooks. */
export interface MaintenanceEvent {
  key: string;
  maintenance_id: string;
  kind: MaintenanceEventKind;
  created_at: string;
  email: boolean;
  webhook: boolean;
}
