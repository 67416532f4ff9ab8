import type { IncidentChange } from './domain/incidents/context.ts';
import type { MaintenanceChange } from './domain/maintenances/types.ts';

/**
 * A long-running part of Herald that the composition root starts and stops: the publisher, the
 * scheduler, the mail sender. Each hears about committed incident changes and reports its health.
 */
export interface Service {
  name: string;
  start?(): Promise<void>;
  /** Finishes in-flight work and stops; called on shutdown. */
  stop?(): Promise<void>;
  /** Called after every committed incident change; must not throw or block. */
  onChange?(change: IncidentChange): void;
  /** Called after every committed maintenance change; must not throw or block. */
  onMaintenanceChange?(change: MaintenanceChange): void;
  health?(): Record<string, unknown>;
  /**
   * Why this service cannot yet do its part (the first export of the site still running, say), or
   * null when it can. `/readyz` answers 200 only when every service returns null.
   */
  whyNotReady?(): string | null;
}

/** Fans one change out to every service; one failing service does not stop the others. */
export function notifyAll(
  services: Service[],
  log: (line: Record<string, unknown>) => void,
): (change: IncidentChange) => void {
  return (change) => {
    for (const service of services) {
      try {
        service.onChange?.(change);
      } catch (error) {
        log({
          level: 'error',
          msg: 'service failed to take a change',
          service: service.name,
          error: String(error),
        });
      }
    }
  };
}

/** Fans one maintenance change out to every service, like `notifyAll`. */
export function notifyMaintenanceAll(
  services: Service[],
  log: (line: Record<string, unknown>) => void,
): (change: MaintenanceChange) => void {
  return (change) => {
    for (const service of services) {
      try {
        service.onMaintenanceChange?.(change);
      } catch (error) {
        log({
          level: 'error',
          msg: 'service failed to take a maintenance change',
          service: service.name,
          error: String(error),
        });
      }
    }
  };
}

export function healthOf(services: Service[]): () => Record<string, unknown> {
  return () =>
    Object.fromEntries(services.filter((s) => s.health).map((s) => [s.name, s.health!()]));
}

/** Each service's answer to `whyNotReady` (null: ready), by name. */
export function readinessOf(services: Service[]): () => Record<string, string | null> {
  return () =>
    Object.fromEntries(
      services.filter((s) => s.whyNotReady).map((s) => [s.name, s.whyNotReady!()]),
    );
}
