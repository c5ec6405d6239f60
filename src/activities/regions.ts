import type { ActivityDeps } from './deps';
import { clientCalls } from './util';

export function createRegionActivities({ client }: ActivityDeps) {
  return clientCalls(client, 'listRegions');
}
