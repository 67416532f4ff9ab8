import type { Catalog } from '../config/content.ts';
import { deriveIncidentState } from '../domain/incident-state.ts';
import type {
  ComponentChange,
  ComponentStatus,
  Impact,
  IncidentRecord,
  IncidentStatus,
  Severity,
  Update,
} from '../domain/types.ts';

/** mulberry32: a tiny seeded PRNG, so the same arguments always give the same history. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SeedOptions {
  incidents: number;
  days: number;
  /** The history ends here; fixed by the caller so that a run can be repeated exactly. */
  now: Date;
  seed: number;
  /** How many of the newest incidents are still open. */
  active: number;
  catalog: Catalog;
}

const SEVERITY_WEIGHTS: Array<[Severity, number]> = [
  ['SEV1', 0.03],
  ['SEV2', 0.12],
  ['SEV3', 0.35],
  ['SEV4', 0.35],
  ['SEV5', 0.15],
];
const IMPACT: Record<Severity, Impact> = {
  SEV1: 'critical',
  SEV2: 'major',
  SEV3: 'minor',
  SEV4: 'minor',
  SEV5: 'none',
};
const STATUS_FOR: Record<Severity, ComponentStatus[]> = {
  SEV1: ['major_outage'],
  SEV2: ['partial_outage', 'major_outage'],
  SEV3: ['degraded_performance', 'partial_outage'],
  SEV4: ['degraded_performance'],
  SEV5: ['degraded_performance', 'operational'],
};
/** Typical length in minutes (lower, upper) per severity. */
const DURATION: Record<Severity, [number, number]> = {
  SEV1: [25, 240],
  SEV2: [20, 360],
  SEV3: [15, 600],
  SEV4: [10, 1440],
  SEV5: [5, 2880],
};

const SYMPTOMS = [
  'Elevated error rates',
  'Increased latency',
  'Intermittent timeouts',
  'Degraded performance',
  'Delayed processing',
  'Failed requests',
  'Partial unavailability',
  'Login failures',
];
const INVESTIGATING = [
  'We are investigating reports of {symptom} affecting {component}.',
  'Some customers are seeing {symptom} on {component}. Our engineers are looking into it.',
  'We are aware of {symptom} for {component} and are investigating the cause.',
];
const IDENTIFIED = [
  'We identified the cause: a configuration change rolled out earlier today. We are rolling it back.',
  'The issue was traced to an overloaded database replica. We are shifting traffic away from it.',
  'A failing network link in one region is the cause. Traffic is being rerouted.',
  'A deploy introduced a regression. We are deploying a fix.',
];
const MONITORING = [
  'A fix has been deployed and error rates are back to normal. We are monitoring the results.',
  'Traffic has recovered. We continue to monitor closely.',
  'Latency is back within normal levels; we are watching for any recurrence.',
];
const RESOLVED = [
  'This incident has been resolved. We will publish a post-incident review.',
  'All systems are operating normally. Thank you for your patience.',
  'The issue is resolved and {component} is fully operational.',
];

export function generateHistory(options: SeedOptions): IncidentRecord[] {
  const random = prng(options.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const id = () => {
    let s = '';
    for (let i = 0; i < 12; i++)
      s += '0123456789abcdefghijklmnopqrstuvwxyz'[Math.floor(random() * 36)];
    return s;
  };
  const end = options.now.getTime();
  const span = options.days * 86_400_000;
  const starts = Array.from(
    { length: options.incidents },
    () => end - span + random() * (span - 3_600_000),
  ).sort((a, b) => a - b);
  const components = options.catalog.components;
  return starts.map((startMs, index) => {
    const active = index >= options.incidents - options.active;
    // Open incidents started within the last hours: they are what the page shows right now.
    const started = active
      ? end - (options.incidents - index) * 17 * 60_000
      : Math.floor(startMs / 1000) * 1000;
    let r = random();
    const severity = SEVERITY_WEIGHTS.find(([, w]) => (r -= w) < 0)?.[0] ?? 'SEV4';
    const affected = [
      ...new Set(Array.from({ length: 1 + Math.floor(random() * 2.2) }, () => pick(components).id)),
    ];
    const firstName = options.catalog.byId.get(affected[0]!)!.name;
    const symptom = pick(SYMPTOMS);
    const fill = (text: string) =>
      text.replace('{symptom}', symptom.toLowerCase()).replace('{component}', firstName);
    const [low, high] = DURATION[severity];
    // Never resolved in the future: an incident that began shortly before `now` ends by `now`.
    const duration = Math.min((low + random() ** 2 * (high - low)) * 60_000, end - started);
    const statuses: IncidentStatus[] = active
      ? ['investigating', ...(random() < 0.5 ? (['identified'] as const) : [])]
      : [
          'investigating',
          ...(random() < 0.7 ? (['identified'] as const) : []),
          ...(random() < 0.6 ? (['monitoring'] as const) : []),
          'resolved',
        ];
    const incidentId = id();
    const componentStatus = pick(STATUS_FOR[severity]);
    const updates: Update[] = statuses.map((status, step) => {
      const at = new Date(
        active
          ? started + step * 6 * 60_000
          : started + (duration * step) / Math.max(1, statuses.length - 1),
      ).toISOString();
      let changes: ComponentChange[] = [];
      if (step === 0 && componentStatus !== 'operational') {
        changes = affected.map((c) => ({
          id: c,
          old_status: 'operational',
          new_status: componentStatus,
        }));
      } else if (status === 'resolved' && componentStatus !== 'operational') {
        changes = affected.map((c) => ({
          id: c,
          old_status: componentStatus,
          new_status: 'operational',
        }));
      }
      const text = {
        investigating: INVESTIGATING,
        identified: IDENTIFIED,
        monitoring: MONITORING,
        resolved: RESOLVED,
      }[status];
      return {
        id: id(),
        incident_id: incidentId,
        seq: step + 1,
        status,
        message: fill(pick(text)),
        components: changes,
        notify: true,
        display_at: at,
        created_at: at,
        author: 'seed',
      };
    });
    const state = deriveIncidentState(updates);
    const last = updates[updates.length - 1]!.display_at;
    const title = `${symptom} for ${firstName}`;
    return {
      id: incidentId,
      title,
      severity,
      status: state.status,
      impact: IMPACT[severity],
      impact_override: false,
      visibility: random() < 0.05 ? 'private' : 'public',
      public_since: null,
      roles: { commander: 'On-call commander', communications: 'Communications on-call' },
      business_impact: severity === 'SEV1' || severity === 'SEV2' ? { summary: `${title}.` } : null,
      eta: null,
      started_at: updates[0]!.display_at,
      detected_at: updates[0]!.display_at,
      acknowledged_at: updates[0]!.display_at,
      resolved_at: state.resolved_at,
      monitoring_at: state.monitoring_at,
      created_at: updates[0]!.display_at,
      updated_at: last,
      version: updates.length,
      components: state.components,
      updates: [...updates].reverse(),
    };
  });
}
