import type { Catalog } from '../../config/content.ts';
import type { IncidentStatus, Update, Visibility } from '../types.ts';

/** An update owed to subscribers: the one row its transaction writes. */
export interface OwedFanout {
  updateId: string;
  incidentId: string;
  createdAt: string;
  /** It moved the incident to `resolved`: sent at once, never held back by coalescing. */
  resolves: boolean;
  /** The incident's own followers get it (they follow an incident until it is resolved). */
  followers: boolean;
}

/**
 * Who hears of an update at all. Private incidents and `notify: false` reach nobody; anything else
 * is owed to subscribers. `statusBefore` is the incident's status before the update (null for the
 * declaration).
 */
export function owedFanout(
  incident: { id: string; visibility: Visibility; status: IncidentStatus },
  statusBefore: IncidentStatus | null,
  update: Pick<Update, 'id' | 'notify' | 'created_at'>,
): OwedFanout | null {
  if (incident.visibility !== 'public' || !update.notify) return null;
  const wasOpen = statusBefore !== 'resolved';
  return {
    updateId: update.id,
    incidentId: incident.id,
    createdAt: update.created_at,
    resolves: wasOpen && incident.status === 'resolved',
    followers: wasOpen,
  };
}

/**
 * When the owed updates of one incident go out as one email. The first email of an incident goes
 * at once; later ones wait until `minIntervalMs` after the previous email, and every update owed
 * by then travels in the same email. An update that resolves the incident goes at once and takes
 * the waiting ones along.
 */
export function notificationDueAt(
  owed: Array<Pick<OwedFanout, 'createdAt' | 'resolves'>>,
  lastNotifiedAt: string | null,
  minIntervalMs: number,
): string {
  if (owed.length === 0) throw new Error('nothing owed');
  const first = owed.map((o) => o.createdAt).sort()[0]!;
  const resolving = owed.filter((o) => o.resolves).map((o) => o.createdAt);
  if (resolving.length > 0) return resolving.sort()[0]!;
  if (lastNotifiedAt === null) return first;
  const quietUntil = new Date(Date.parse(lastNotifiedAt) + minIntervalMs).toISOString();
  return quietUntil > first ? quietUntil : first;
}

/** Who a notification concerns, besides the subscribers of everything. */
export interface Audience {
  /** Component ids and the ids of their groups: a subscriber following any of them gets it. */
  keys: string[];
  /** The incident whose followers get it, when they do. */
  incidentId: string | null;
}

/**
 * The components a notification concerns are those the incident affects and those its updates
 * changed; following a group counts as following each of its components.
 */
export function audienceOf(
  catalog: Catalog,
  incident: { id: string; components: Array<{ id: string }> },
  updates: Array<Pick<Update, 'components'>>,
  followers: boolean,
): Audience {
  const keys = new Set<string>();
  const ids = [
    ...incident.components.map((c) => c.id),
    ...updates.flatMap((u) => u.components.map((c) => c.id)),
  ];
  for (const id of ids) {
    keys.add(id);
    const group = catalog.byId.get(id)?.groupId;
    if (group) keys.add(group);
  }
  return { keys: [...keys].sort(), incidentId: followers ? incident.id : null };
}

export type Follows = 'all' | 'components' | 'none';

/** What a subscriber asked for, and whether mail can reach them. */
export interface Interest {
  status: 'pending' | 'confirmed' | 'unsubscribed' | 'suppressed';
  follows: Follows;
  /** Component and group ids followed (when `follows` is `components`). */
  components: string[];
  /** Incidents followed one by one. */
  incidents: string[];
}

/** Whether a notification with this audience goes to this subscriber (the SQL expansion does the same). */
export function concerns(interest: Interest, audience: Audience): boolean {
  if (interest.status !== 'confirmed') return false;
  if (interest.follows === 'all') return true;
  if (
    interest.follows === 'components' &&
    interest.components.some((c) => audience.keys.includes(c))
  )
    return true;
  return audience.incidentId !== null && interest.incidents.includes(audience.incidentId);
}
