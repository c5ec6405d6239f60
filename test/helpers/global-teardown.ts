import { rm } from 'node:fs/promises';

/** Removes what global-setup.ts made for the run. */
export default async function globalTeardown(): Promise<void> {
  const dir = process.env.TEST_BUNDLE_DIR;
  if (dir) await rm(dir, { recursive: true, force: true });
}
