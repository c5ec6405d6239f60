// npm run rotate-expiring-keys -- --lead-days 14 --concurrency 5 --wait
import { rotateExpiringKeysKind } from '../catalog';
import { starterEntry } from './main';

export const main = starterEntry(rotateExpiringKeysKind, module);
