import type { ListRegionsResponse } from '../ops-api';
import type { ActivityDeps } from './deps';

export function createRegionActivities({ client }: ActivityDeps) {
  return {
    async listRegions(): Promise<ListRegionsResponse> {
      return client.listRegions();
    },
  };
}
