// npm run offboard-user -- --email jo@example.com --dry-run --wait
import { offboardUserKind } from '../catalog';
import { starterEntry } from './main';

export const main = starterEntry(offboardUserKind, module);
