import type { IncidentRecord } from './types.ts';

/** When the sample incident happens: a fixed instant, so rendering it is repeatable. */
export const SAMPLE_AT = '2026-01-01T10:00:00.000Z';

/**
 * A made-up public incident for trying templates once at start-up (strict variables surface a
 * template that names something missing before any real message is due). Callers set what their
 * templates show.
 */
export function sampleIncident(overrides: Partial<IncidentRecord>): IncidentRecord {
  return {
    id: 'sample',
    title: 'Sample incident',
    severity: 'SEV3',
    status: 'investigating',
    impact: 'minor',
    impact_override: false,
    visibility: 'public',
    public_since: SAMPLE_AT,
    roles: {},
    business_impact: null,
    eta: null,
    started_at: SAMPLE_AT,
    detected_at: null,
    acknowledged_at: null,
    resolved_at: null,
    monitoring_at: null,
    created_at: SAMPLE_AT,
    updated_at: SAMPLE_AT,
    version: 1,
    components: [],
    updates: [],
    ...overrides,
  };
}
