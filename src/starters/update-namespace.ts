// npm run update-namespace -- --name payments-prod --retention-days 14 --wait
import { updateNamespaceKind } from '../catalog';
import { starterEntry } from './main';

export const main = starterEntry(updateNamespaceKind, module);
