// npm run rotate-api-key -- --owner-type service-account --owner-id sa-123 --grace 7d --wait
import { rotateApiKeyKind } from '../catalog';
import { starterEntry } from './main';

export const main = starterEntry(rotateApiKeyKind, module);
