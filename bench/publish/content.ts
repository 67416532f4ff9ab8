import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

const GROUPS = ['Core platform', 'Payments', 'Data services', 'Messaging', 'Developer tools'];
const NAMES = ['API', 'Dashboard', 'Authentication', 'Webhooks', 'Search', 'Exports'];

/** The repository's content with a catalog of 30 components in 5 groups, as the targets ask for. */
export function writeBenchContent(root: string, dir: string): void {
  cpSync(join(root, 'content'), dir, { recursive: true });
  const groups = GROUPS.map((group, g) => ({
    id: group.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
    name: group,
    description: `${group} of Acme Cloud.`,
    components: NAMES.map((name, c) => ({
      id: `${GROUPS[g]!.split(' ')[0]!.toLowerCase()}-${name.toLowerCase()}`,
      name: `${group.split(' ')[0]} ${name}`,
      description: `${name} for ${group.toLowerCase()}.`,
      ...(c === 5 && g === 4 ? { only_show_if_degraded: false } : {}),
    })),
  }));
  writeFileSync(join(dir, 'components.yaml'), stringify({ groups }));
}
