// How a rotation names the replacement key: the old name plus ` ~r<8 hex>`. Workflow-safe.
const ROTATION_SUFFIX = / ~r[0-9a-f]{8}$/;

/** The name a key was given before any rotation: what a desired-state file calls it. */
export function baseDisplayName(displayName: string): string {
  return displayName.replace(ROTATION_SUFFIX, '');
}

/** `base ~r<hash>`; chains of rotations replace the suffix instead of growing the name. */
export function rotatedDisplayName(displayName: string, hash: string): string {
  return `${baseDisplayName(displayName).slice(0, 110)} ~r${hash}`;
}
