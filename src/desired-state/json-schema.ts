// `npm run generate` writes desired-state.schema.json from the zod schema (a test fails when it is stale),
// so editors complete and check desired-state files: `# yaml-language-server: $schema=...`. It is the file's
// schema: a namespace's accepted CAs may be PEM files there.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { desiredStateFileSchema } from './schema';

export const DESIRED_STATE_SCHEMA_FILE = path.resolve(__dirname, '../../desired-state.schema.json');

export function desiredStateJsonSchema(): unknown {
  return z.toJSONSchema(desiredStateFileSchema, { io: 'input' });
}

if (require.main === module) {
  writeFileSync(DESIRED_STATE_SCHEMA_FILE, `${JSON.stringify(desiredStateJsonSchema(), null, 2)}\n`);
}
