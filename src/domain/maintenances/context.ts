import type { Content } from '../../config/content.ts';
import type { Db } from '../../storage/db.ts';
import type { MaintenanceChange } from './types.ts';

export interface MaintenanceContext {
  db: Db;
  content: Content;
  now: () => Date;
  /** Called once per committed change; must not throw. */
  onChange: (change: MaintenanceChange) => void;
}
