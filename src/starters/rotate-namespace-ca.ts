// npm run rotate-namespace-ca -- --namespace payments-prod --ca-file new-ca.pem --grace 7d --wait
import { rotateNamespaceCaKind } from '../catalog';
import { starterEntry } from './main';

export const main = starterEntry(rotateNamespaceCaKind, module);
