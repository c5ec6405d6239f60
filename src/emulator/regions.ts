import type { Region } from '../ops-api/types';

// A fixed, realistic subset of Temporal Cloud regions; ids follow the real API (`<provider>-<cloud region>`).
export const REGIONS: readonly Required<Region>[] = [
  { id: 'aws-us-east-1', cloudProvider: 'aws', location: 'US East (N. Virginia)' },
  { id: 'aws-us-east-2', cloudProvider: 'aws', location: 'US East (Ohio)' },
  { id: 'aws-us-west-2', cloudProvider: 'aws', location: 'US West (Oregon)' },
  { id: 'aws-eu-west-1', cloudProvider: 'aws', location: 'Europe (Ireland)' },
  { id: 'aws-eu-central-1', cloudProvider: 'aws', location: 'Europe (Frankfurt)' },
  { id: 'aws-ap-southeast-1', cloudProvider: 'aws', location: 'Asia Pacific (Singapore)' },
  { id: 'aws-ap-south-1', cloudProvider: 'aws', location: 'Asia Pacific (Mumbai)' },
  { id: 'gcp-us-central1', cloudProvider: 'gcp', location: 'Iowa, USA' },
  { id: 'gcp-us-east4', cloudProvider: 'gcp', location: 'Northern Virginia, USA' },
  { id: 'gcp-europe-west3', cloudProvider: 'gcp', location: 'Frankfurt, Germany' },
  { id: 'gcp-asia-south1', cloudProvider: 'gcp', location: 'Mumbai, India' },
];

export function findRegion(id: string): Required<Region> | undefined {
  return REGIONS.find((r) => r.id === id);
}

/** 'aws-us-east-1' → 'us-east-1.aws.api.temporal.io:7233', the regional endpoint for API-key clients. */
export function apiKeyGrpcAddress(regionId: string): string {
  const region = findRegion(regionId);
  const provider = region?.cloudProvider ?? regionId.split('-')[0] ?? 'aws';
  const cloudRegion = regionId.slice(provider.length + 1);
  return `${cloudRegion}.${provider}.api.temporal.io:7233`;
}
