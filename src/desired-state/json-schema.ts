// `npm run generate` writes desired-state.schema.json from the zod schema (a test fails when it is stale),
// so editors complete and check desired-state files: `# yaml-language-server: $schema=...`.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { desiredStateSchema } from './schema';

export const DESIRED_STATE_SCHEMA_FILE = path.resolve(__dirname, '../../desired-state.schema.json');

export function desiredStateJsonSchema(): unknown {
  return z.toJSONSchema(desiredStateSchema, { io: 'input' });
}

if (require.main === module) {
  writeFileSync(DESIRED_STATE_SCHEMA_FILE, `${JSON.stringify(desiredStateJsonSchema(), null, 2)}\n`);
}
