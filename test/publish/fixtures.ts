import { join } from 'node:path';
import { loadContent, type Content } from '../../src/config/content.ts';
import type {
  ComponentChange,
  IncidentRecord,
  IncidentStatus,
  Update,
} from '../../src/domain/types.ts';
import type { SiteSnapshot } from '../../src/publish/snapshot.ts';
import { REPO_ROOT } from '../support/harness.ts';

export async function repoContent(): Promise<Content> {
  return loadContent(join(REPO_ROOT, 'content'));
}

/** A public incident built from a list of updates (oldest first), its state derived as the domain does. */
export function incident(
  id: string,
  updates: Array<{
    at: string;
    status: IncidentStatus;
    components?: ComponentChange[];
    message?: string;
  }>,
  extra: Partial<IncidentRecord> = {},
): IncidentRecord {
  const built: Update[] = updates.map((u, index) => ({
    id: `${id}-u${index + 1}`,
    incident_id: id,
    seq: index + 1,
    status: u.status,
    message: u.message ?? `Update ${index + 1}`,
    components: u.components ?? [],
    notify: true,
    display_at: u.at,
    created_at: u.at,
    author: 'test',
  }));
  const last = built[built.length - 1]!;
  const components = new Map<string, ComponentChange['new_status']>();
  for (const u of built) for (const c of u.components) components.set(c.id, c.new_status);
  if (last.status === 'resolved')
    for (const key of components.keys()) components.set(key, 'operational');
  return {
    id,
    title: `Incident ${id}`,
    severity: 'SEV3',
    status: last.status,
    impact: 'minor',
    impact_override: false,
    visibility: 'public',
    public_since: null,
    roles: {},
    business_impact: null,
    eta: null,
    started_at: built[0]!.display_at,
    detected_at: null,
    acknowledged_at: null,
    resolved_at: last.status === 'resolved' ? last.display_at : null,
    monitoring_at: null,
    created_at: built[0]!.display_at,
    updated_at: last.display_at,
    version: built.length,
    components: [...components].map(([cid, status]) => ({ id: cid, status })),
    updates: [...built].reverse(),
    ...extra,
  };
}

export function snapshotOf(
  content: Content,
  incidents: IncidentRecord[],
  now: string,
): SiteSnapshot {
  return {
    site: content.site,
    siteUrl: 'https://status.example.test',
    catalog: content.catalog,
    policy: content.policy,
    incidents: [...incidents].sort((a, b) => (a.started_at < b.started_at ? 1 : -1)),
    componentStatus: new Map(),
    now: new Date(now),
  };
}
