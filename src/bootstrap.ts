import type { Settings } from './config/env.ts';
import { loadContent, type Content } from './config/content.ts';
import { loadUpdateTemplates, type UpdateTemplate } from './domain/templates.ts';
import { openDatabase, type Db } from './storage/db.ts';
import { recordCatalogSeen } from './storage/catalog.ts';
import { countLiveAdminKeys, createKey, isRevokedToken } from './storage/keys.ts';
import { migrate } from './storage/migrations.ts';

export interface Foundation {
  db: Db;
  content: Content;
  templates: Map<string, UpdateTemplate>;
  /** Set only when this start generated the first admin key: print it once. */
  generatedAdminToken: string | null;
  /** `HERALD_ADMIN_TOKEN` is set but was revoked through the API: it stays revoked. */
  adminTokenRevoked: boolean;
}

/**
 * The id under which `HERALD_ADMIN_TOKEN` is registered; a changed token replaces the old one. A
 * revoked token stays revoked: a restart with the same token does not bring it back.
 */
export const ENV_ADMIN_KEY_ID = 'env-admin';

/**
 * Loads content and templates (failing on any invalid file), opens and migrates the database, and
 * makes sure an admin key exists.
 */
export async function bootstrap(settings: Settings, now: () => Date): Promise<Foundation> {
  const [content, templates] = await Promise.all([
    loadContent(settings.contentDir),
    loadUpdateTemplates(settings.templatesDir),
  ]);
  const db = await openDatabase({
    url: settings.databaseUrl,
    authToken: settings.databaseAuthToken,
    checkpointInBackground: true,
  });
  await migrate(db, now);
  await recordCatalogSeen(
    db,
    [...content.catalog.groups.map((g) => g.id), ...content.catalog.components.map((c) => c.id)],
    now().toISOString(),
  );
  let generatedAdminToken: string | null = null;
  const adminTokenRevoked = settings.adminToken
    ? await isRevokedToken(db, ENV_ADMIN_KEY_ID, settings.adminToken)
    : false;
  if (settings.adminToken && !adminTokenRevoked) {
    await createKey(
      db,
      {
        id: ENV_ADMIN_KEY_ID,
        name: 'HERALD_ADMIN_TOKEN',
        scope: 'admin',
        createdBy: null,
        at: now().toISOString(),
      },
      settings.adminToken,
    );
  } else if ((await countLiveAdminKeys(db)) === 0) {
    const { token } = await createKey(db, {
      name: 'first admin key',
      scope: 'admin',
      createdBy: null,
      at: now().toISOString(),
    });
    generatedAdminToken = token;
  }
  return { db, content, templates, generatedAdminToken, adminTokenRevoked };
}
