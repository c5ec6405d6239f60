// `npm run service`: one replica of the service's front door (events endpoint and portal, no worker) for a fleet
// behind a load balancer, against an external Temporal and Ops API; workers run apart (`npm run worker`).
import { main } from './start';

main('service').then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('npm run service:', err);
    process.exit(1);
  },
);
