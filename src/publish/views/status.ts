import type {
  ComponentStatus,
  Impact,
  IncidentRecord,
  IncidentStatus,
} from '../../domain/types.ts';
import { IMPACTS, worstComponentStatus } from '../../domain/types.ts';
import type { SiteSnapshot } from '../snapshot.ts';

/** A visual tone: colour in CSS, always paired with an icon and words for colour-blind readers. */
export type Tone = 'ok' | 'minor' | 'partial' | 'major' | 'maint';

export const COMPONENT_STATUS_LABEL: Record<ComponentStatus, string> = {
  operational: 'Operational',
  under_maintenance: 'Under maintenance',
  degraded_performance: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
};

export const COMPONENT_STATUS_TONE: Record<ComponentStatus, Tone> = {
  operational: 'ok',
  under_maintenance: 'maint',
  degraded_performance: 'minor',
  partial_outage: 'partial',
  major_outage: 'major',
};

export const INCIDENT_STATUS_LABEL: Record<IncidentStatus, string> = {
  investigating: 'Investigating',
  identified: 'Identified',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
};

export const IMPACT_TONE: Record<Impact, Tone> = {
  none: 'ok',
  minor: 'minor',
  major: 'partial',
  critical: 'major',
};

export const IMPACT_LABEL: Record<Impact, string> = {
  none: 'No impact',
  minor: 'Minor',
  major: 'Major',
  critical: 'Critical',
};

/** Statuspage's overall indicator. */
export type Indicator = 'none' | 'minor' | 'major' | 'critical' | 'maintenance';

export interface Overall {
  indicator: Indicator;
  description: string;
  tone: Tone;
}

const INDICATOR: Record<Indicator, { description: string; tone: Tone }> = {
  none: { description: 'All Systems Operational', tone: 'ok' },
  minor: { description: 'Minor Service Outage', tone: 'minor' },
  major: { description: 'Partial System Outage', tone: 'partial' },
  critical: { description: 'Major System Outage', tone: 'major' },
  maintenance: { description: 'Service Under Maintenance', tone: 'maint' },
};

const SEVERITY_ORDER: Indicator[] = ['none', 'minor', 'major', 'critical'];

const COMPONENT_INDICATOR: Record<ComponentStatus, Indicator> = {
  operational: 'none',
  under_maintenance: 'maintenance',
  degraded_performance: 'minor',
  partial_outage: 'major',
  major_outage: 'critical',
};

/** The current public status of a catalog component. */
export function currentStatus(snapshot: SiteSnapshot, componentId: string): ComponentStatus {
  return (
    snapshot.componentStatus.get(componentId)?.status ??
    snapshot.catalog.byId.get(componentId)?.initialStatus ??
    'operational'
  );
}

export function activeIncidents(snapshot: SiteSnapshot): IncidentRecord[] {
  return snapshot.incidents.filter((i) => i.status !== 'resolved');
}

/**
 * The page's headline: the worse of what the components show and what the open incidents declare;
 * maintenance only when nothing is worse.
 */
export function overallStatus(snapshot: SiteSnapshot): Overall {
  const worstComponent = worstComponentStatus(
    snapshot.catalog.components.map((c) => currentStatus(snapshot, c.id)),
  );
  const fromComponents = COMPONENT_INDICATOR[worstComponent];
  // Impacts and indicators share the order none < minor < major < critical.
  let rank = Math.max(0, ...activeIncidents(snapshot).map((i) => IMPACTS.indexOf(i.impact)));
  if (fromComponents !== 'maintenance')
    rank = Math.max(rank, SEVERITY_ORDER.indexOf(fromComponents));
  const indicator: Indicator =
    rank > 0 ? SEVERITY_ORDER[rank]! : fromComponents === 'maintenance' ? 'maintenance' : 'none';
  return { indicator, ...INDICATOR[indicator] };
}
