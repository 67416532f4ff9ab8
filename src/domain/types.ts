import type { PublicPostmortem } from './postmortems/review.ts';

export const SEVERITIES = ['SEV1', 'SEV2', 'SEV3', 'SEV4', 'SEV5'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const INCIDENT_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];
export const OPEN_STATUSES = ['investigating', 'identified', 'monitoring'] as const;

export const IMPACTS = ['none', 'minor', 'major', 'critical'] as const;
export type Impact = (typeof IMPACTS)[number];

/** Ordered from best to worst; the order decides a component's overall status. */
export const COMPONENT_STATUSES = [
  'operational',
  'under_maintenance',
  'degraded_performance',
  'partial_outage',
  'major_outage',
] as const;
export type ComponentStatus = (typeof COMPONENT_STATUSES)[number];

export const VISIBILITIES = ['public', 'private'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

export const ROLE_NAMES = ['commander', 'communications', 'technical', 'scribe'] as const;
export type Roles = Partial<Record<(typeof ROLE_NAMES)[number], string>>;

/** `executive` reads like `read` and, with `admin`, may see executive content (digests, money). */
export const SCOPES = ['read', 'write', 'admin', 'executive'] as const;
export type Scope = (typeof SCOPES)[number];

export interface BusinessImpact {
  customers_affected?: number | null;
  revenue_per_minute?: number | null;
  currency?: string | null;
  summary?: string | null;
}

export interface ComponentChange {
  id: string;
  old_status: ComponentStatus | null;
  new_status: ComponentStatus;
}

export interface Update {
  id: string;
  incident_id: string;
  /** Order of acceptance within the incident; breaks display_at ties. */
  seq: number;
  status: IncidentStatus;
  message: string;
  components: ComponentChange[];
  notify: boolean;
  display_at: string;
  created_at: string;
  author: string;
}

export interface IncidentRecord {
  id: string;
  title: string;
  severity: Severity;
  status: IncidentStatus;
  impact: Impact;
  impact_override: boolean;
  visibility: Visibility;
  /**
   * When the incident last became public (its cadence starts no earlier). Null while private, and
   * for rows written without it (seeded history): those count as public from their first update.
   */
  public_since: string | null;
  roles: Roles;
  business_impact: BusinessImpact | null;
  eta: string | null;
  started_at: string;
  detected_at: string | null;
  acknowledged_at: string | null;
  resolved_at: string | null;
  monitoring_at: string | null;
  created_at: string;
  updated_at: string;
  version: number;
  /** Current status of each affected component, in the order they were first affected. */
  components: Array<{ id: string; status: ComponentStatus }>;
  updates: Update[];
  /** The published postmortem's public form, attached where the public site is rendered. */
  postmortem?: PublicPostmortem | null;
}

export function worstComponentStatus(statuses: Iterable<ComponentStatus>): ComponentStatus {
  let worst = 0;
  for (const status of statuses) worst = Math.max(worst, COMPONENT_STATUSES.indexOf(status));
  return COMPONENT_STATUSES[worst]!;
}
