// npm run grant-temporary-access -- --principal jo@example.com --namespace payments-prod --permission write --duration 4h --reason "incident"
import { grantTemporaryAccessKind } from '../catalog';
import { starterEntry } from './main';

export const main = starterEntry(grantTemporaryAccessKind, module);
