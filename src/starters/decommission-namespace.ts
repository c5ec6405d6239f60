// npm run decommission-namespace -- --name payments-prod --delete-service-account-keys --wait
import { decommissionNamespaceKind } from '../catalog';
import { starterEntry } from './main';

export const main = starterEntry(decommissionNamespaceKind, module);
