// npm run provision-namespace -- --name payments-prod --region aws-us-east-1 --retention-days 30 --wait
import { provisionNamespaceKind } from '../catalog';
import { starterEntry } from './main';

export const main = starterEntry(provisionNamespaceKind, module);
