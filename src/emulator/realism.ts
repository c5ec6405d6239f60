// How the real Ops API behaves beyond its wire format, as named switches: each is on by default for the
// /cloud routes (the real API's dialect) and off for /api/v1, and either can be turned on or off for both
// (`realism` option, `POST /_emulator/config`, `--realism`). Each cites the public source it models; a test can
// turn one off to show that the product's handling of it matters. docs/real-service.md says what the product
// does about each.
import { z } from 'zod';

export interface RealismSwitch {
  /** What the emulator does while the switch is on. */
  description: string;
  /** The public evidence that the real service does this. */
  source: string;
}

export const REALISM_SWITCHES = {
  readAfterCreateLag: {
    description:
      'For readAfterCreateLagMs after a namespace create is fulfilled, reading, updating or deleting that ' +
      'namespace answers PERMISSION_DENIED and NOT_FOUND in turn (lists still show it)',
    source:
      'terraform-provider-temporalcloud waitForNamespaceAvailable retries GetNamespace on NotFound or ' +
      'PermissionDenied 12 × 10 s after the create is fulfilled (PR #400, issue #391: a Developer-role ' +
      'identity read PermissionDenied for ~50-60 s)',
  },
  serviceAccountRoleRule: {
    description:
      'createServiceAccount needs an account role (spec.access.accountAccess.role) or ' +
      'spec.namespaceScopedAccess, else INVALID_ARGUMENT',
    source:
      'tcld `service-account create` refuses without --account-role ("account role must be specified"); ' +
      'the Terraform provider: "Either account_access or namespace_scoped_access must be provided"; ' +
      'cloud-api ServiceAccountSpec: "one of Access or NamespaceScopedAccess must be provided"',
  },
} as const satisfies Record<string, RealismSwitch>;

export type SwitchName = keyof typeof REALISM_SWITCHES;
export const SWITCH_NAMES = Object.keys(REALISM_SWITCHES) as SwitchName[];

/** Switches set explicitly, for both dialects; a switch left out follows its dialect's default. */
export type RealismSettings = Partial<Record<SwitchName, boolean>>;

/** The real API's wire format is where the real API's behaviour is expected. */
export const defaultFor = (dialect: 'openapi' | 'cloud'): boolean => dialect === 'cloud';

/** Default lag of `readAfterCreateLag`: the ~50-60 s issue #391 measured. */
export const DEFAULT_READ_AFTER_CREATE_LAG_MS = 60_000;

export const realismSchema = z.strictObject(
  Object.fromEntries(SWITCH_NAMES.map((name) => [name, z.boolean().optional()])) as Record<
    SwitchName,
    z.ZodOptional<z.ZodBoolean>
  >,
);

/** `readAfterCreateLag=off,serviceAccountRoleRule=on` (the CLI's form) → settings; throws naming the bad part. */
export function parseRealismFlag(text: string): RealismSettings {
  const settings: RealismSettings = {};
  for (const part of text.split(',').filter(Boolean)) {
    const [name, value] = part.split('=') as [string, string | undefined];
    const names = name === 'all' ? SWITCH_NAMES : SWITCH_NAMES.filter((n) => n === name);
    if (names.length === 0)
      throw new Error(`unknown realism switch '${name}' (known: ${SWITCH_NAMES.join(', ')})`);
    if (value !== 'on' && value !== 'off') throw new Error(`'${part}' must be <switch>=on or <switch>=off`);
    for (const n of names) settings[n] = value === 'on';
  }
  return settings;
}
