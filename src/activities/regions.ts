import type { ActivityDeps } from './deps';

export function createRegionActivities({ client }: ActivityDeps) {
  return {
    /** The account's regions, read at most once a minute per client (see OpsApiClient.knownRegions). */
    listRegions: () => client.knownRegions(),
  };
}
