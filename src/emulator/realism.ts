// The real service's behaviours beyond its wire format, each a named switch: what the real service's own
// clients (terraform-provider-temporalcloud, tcld, cloud-sdk-go) are written to survive. On by default on
// the /cloud routes, off on /api/v1 unless turned on; a test turns one off to prove the product's handling
// of it matters. Every entry below is self-contained: its description, the public sources it rests on, and
// its parameters with their defaults and schema.
import { z } from 'zod';
import type { ErrorCode } from '../ops-api/types';
import type { DialectName } from '../cloud-api';
import type { ResourceKind } from './store/records';

interface RealismEntry<P extends object> {
  /** One line: what the emulator does when the switch is on. */
  description: string;
  /** The public sources this behaviour is taken from (repository and path, or issue / PR). */
  sources: readonly string[];
  /** Parameters and their defaults. */
  params: P;
  /** Checks a partial update of the parameters (runtime config, admin endpoint). */
  paramsSchema: z.ZodType<Partial<P>>;
}

/** A code the emulator may answer a conflict with instead of ALREADY_EXISTS / ABORTED. */
const conflictCode = z.enum([
  'invalid_argument',
  'failed_precondition',
  'already_exists',
  'resource_version_mismatch',
]);
type ConflictCode = z.infer<typeof conflictCode> & ErrorCode;

const entry = <P extends object>(e: RealismEntry<P>): RealismEntry<P> => e;
/** A switch without parameters. */
const NO_PARAMS = { params: {}, paramsSchema: z.strictObject({}).partial() };

export const REALISM = {
  edgeAnswers: entry({
    description:
      'About one Ops API request in `every` (seeded draws) is answered by the load balancer / gateway ' +
      'instead of the API: an HTML 503 (with Retry-After: 1), a plain-text 429 without Retry-After, an ' +
      'empty 502 or an HTML 504 — the last two, on a mutation, after the mutation was applied (committed, ' +
      'answer lost).',
    sources: [
      'grpc/grpc-go internal/transport/http_util.go (HTTPStatusConvTab: a 429/502/503/504 without a gRPC ' +
        'body is UNAVAILABLE, whatever the body)',
      'grpc-ecosystem/go-grpc-middleware interceptors/retry/options.go (DefaultRetriableCodes: ' +
        'ResourceExhausted, Unavailable)',
      'temporalio/cloud-sdk-go cloudclient/options.go (7 retries with exponential backoff and jitter; sets an ' +
        'async operation id on every write so a retried write is idempotent) and cloudclient/operation_id.go',
      'temporalio/terraform-provider-temporalcloud internal/client/retry.go (retries Unavailable and ' +
        'ResourceExhausted) and issue #142 (rate-limit errors were not retried)',
      'googleapis/googleapis google/rpc/code.proto (DEADLINE_EXCEEDED: a change may have completed although ' +
        'the caller saw a timeout)',
    ],
    // One in 20: every suite meets the edge many times, yet an activity that makes a few calls per attempt
    // is not starved within its retry window (the dedicated tests use 1 in 5).
    params: { every: 20 },
    paramsSchema: z.strictObject({ every: z.number().int().min(1).max(1_000_000) }).partial(),
  }),
  undocumentedConflictCodes: entry({
    description:
      'A taken name, a refused reuse of an asyncOperationId and a stale resourceVersion are answered with ' +
      'other codes than ALREADY_EXISTS / ABORTED (by default INVALID_ARGUMENT, FAILED_PRECONDITION and ' +
      'FAILED_PRECONDITION; a parameter each).',
    sources: [
      'googleapis/googleapis google/rpc/code.proto (FAILED_PRECONDITION "(d) … conditional REST ' +
        'Get/Update/Delete … conflicting read-modify-write"; ABORTED "(b) … restarting a read-modify-write"; ' +
        'both HTTP 400/409 at the gateway)',
      'temporalio/terraform-provider-temporalcloud internal/provider/namespace_resource.go (branches on ' +
        'codes.NotFound only; every other failure is reported as it came) and issue #127 (finer-grained error ' +
        'handling asked for: which code answers what is not documented)',
      'temporalio/cloud-api protos bundled in @temporalio/proto (no error codes documented on any method)',
    ],
    params: {
      takenName: 'invalid_argument' as ConflictCode,
      staleVersion: 'failed_precondition' as ConflictCode,
      reusedOperationId: 'failed_precondition' as ConflictCode,
    },
    paramsSchema: z
      .strictObject({ takenName: conflictCode, staleVersion: conflictCode, reusedOperationId: conflictCode })
      .partial(),
  }),
  unmodelledFields: entry({
    description:
      'Spec fields the domain does not model (users\u2019 accountAccess.customRoles, service accounts\u2019 ' +
      'description, API keys\u2019 description, namespaces\u2019 lifecycle, search ' +
      'attributes, …) are kept, and a whole-spec update that leaves one out clears it; each loss is reported.',
    sources: [
      'temporalio/terraform-provider-temporalcloud internal/provider/namespace_resource.go (Update sends the ' +
        'search attributes of the namespace as read, because the update replaces the whole spec) and ' +
        'issue #75 (an update without them tried to delete the search attributes)',
      'temporalio/terraform-provider-temporalcloud internal/provider/namespace_search_attribute_resource.go ' +
        '(GetNamespace, change one field of the spec as read, UpdateNamespace with its resourceVersion)',
      'temporalio/tcld app/apikey.go (disable / enable: the key as read with spec.Disabled changed, sent with ' +
        'its resourceVersion) and app/user.go (set-account-role: the user as read with its roles changed)',
    ],
    ...NO_PARAMS,
  }),
  emitUnpopulated: entry({
    description:
      'Every /cloud answer spells out the fields that are not set, as the HTTP gateway does: null for a ' +
      'message (`"namespaceScopedAccess": null`), false, 0, "0", "", the enum\u2019s zero value, [] and {} ' +
      '(fields of a oneof excepted); which fields, from the response message\u2019s descriptors.',
    sources: [
      'grpc-ecosystem/grpc-gateway runtime/marshaler_registry.go (the default marshaler is JSONPb with ' +
        'protojson.MarshalOptions{EmitUnpopulated: true})',
      'protocolbuffers/protobuf-go encoding/protojson/encode.go (EmitUnpopulated: false, 0, "" for proto3 ' +
        'scalars, null for messages, [] for lists, {} for maps; "does not emit unpopulated oneof fields")',
    ],
    ...NO_PARAMS,
  }),
  readAfterCreateLag: entry({
    description:
      'For `lagMs` after a namespace create is fulfilled, reading, updating or deleting that namespace ' +
      'answers PERMISSION_DENIED and NOT_FOUND in turn (lists still show it; seeded namespaces never lag).',
    sources: [
      'temporalio/terraform-provider-temporalcloud PR #400 (waitForNamespaceAvailable: GetNamespace retried ' +
        'on NotFound or PermissionDenied, 12 × 10 s, after the create is fulfilled)',
      'temporalio/terraform-provider-temporalcloud issue #391 (a Developer-role identity read ' +
        'PermissionDenied "request unauthorized" for ~50-60 s after create)',
    ],
    // The ~50-60 s issue #391 measured.
    params: { lagMs: 60_000 },
    paramsSchema: z.strictObject({ lagMs: z.number().int().min(0).max(86_400_000) }).partial(),
  }),
  serviceAccountRoleRule: entry({
    description:
      'createServiceAccount needs an account role (spec.access.accountAccess.role) or ' +
      'spec.namespaceScopedAccess, else INVALID_ARGUMENT.',
    sources: [
      'temporalio/tcld app/serviceaccount.go (`service-account create` refuses without --account-role: ' +
        '"account role must be specified"; `create-scoped` is the namespace-scoped form)',
      'temporalio/terraform-provider-temporalcloud internal/provider/service_account_resource.go ("Either ' +
        'account_access or namespace_scoped_access must be provided")',
      'temporalio/cloud-api ServiceAccountSpec ("one of Access or NamespaceScopedAccess must be provided, ' +
        'but not both")',
    ],
    ...NO_PARAMS,
  }),
  caBundleChecks: entry({
    description:
      'A namespace\u2019s spec.mtlsAuth.acceptedClientCa must be base64 of at most 16 PEM certificates (32 KB ' +
      'of PEM), each an X.509 CA (basicConstraints CA:TRUE) that is a root or issued by another certificate of ' +
      'the bundle, else INVALID_ARGUMENT naming the certificate; the bundle is kept (and answered) re-encoded, ' +
      'certificate by certificate, without what stood between them.',
    sources: [
      'temporalio/documentation docs/cloud/get-started/certificates.mdx ("Requirements for CA certificates": ' +
        'each certificate in the bundle a root or issued by another certificate in the bundle, with CA: true; ' +
        '"up to 16 CA certificates", "a maximum payload size of 32 KB before base64 encoding")',
      'temporalio/terraform-provider-temporalcloud internal/types/encoded_ca.go (normalizeCAString re-encodes ' +
        'each certificate before comparing: "The Temporal API will do this and cause a mismatch in the state if ' +
        'we don\u2019t also do it here")',
      'temporalio/tcld app/ca.go (parseCertificates reads the bundle the API answers as PEM certificate blocks ' +
        'only; `namespace accepted-client-ca add` refuses a fingerprint already in it)',
    ],
    ...NO_PARAMS,
  }),
  identityProviderGroups: entry({
    description:
      'A SCIM or Google group\u2019s members belong to the identity provider: AddUserGroupMember and ' +
      'RemoveUserGroupMember on one answer FAILED_PRECONDITION (the group stays readable, its members listed).',
    sources: [
      'temporalio/terraform-provider-temporalcloud internal/provider/user_group_resource.go (creates and ' +
        'updates CloudGroup groups only) and scim_group_datasource.go (SCIM groups are read, never managed)',
      'temporalio/terraform-provider-temporalcloud internal/provider/user_group_members_resource.go (members ' +
        'are set on a group id through Add/RemoveUserGroupMember, never on an identity provider\u2019s group)',
      'temporalio/cloud-api UserGroupSpec (group_type oneof: google_group, scim_group, cloud_group)',
    ],
    ...NO_PARAMS,
  }),
  customRoleInUse: entry({
    description:
      'DeleteCustomRole of a role a user, group or service account still names in ' +
      'access.accountAccess.customRoles answers FAILED_PRECONDITION naming them (unverified against the live ' +
      'service: no public client shows the answer; refusing is the safe side).',
    sources: [
      'temporalio/terraform-provider-temporalcloud internal/provider/custom_role_resource.go (Delete sends the ' +
        'role\u2019s resourceVersion and reports any failure as it came; no cascade to its holders)',
      'temporalio/cloud-api AccountAccess.custom_roles (holders name roles by id)',
    ],
    ...NO_PARAMS,
  }),
} as const;

export type RealismSwitch = keyof typeof REALISM;
export const REALISM_SWITCHES = Object.keys(REALISM) as RealismSwitch[];
export type RealismParams = { [S in RealismSwitch]: (typeof REALISM)[S]['params'] };
/** Switches set explicitly: `true` / `false` hold on both dialects; unset is on for /cloud, off for /api/v1. */
export type RealismSettings = Partial<Record<RealismSwitch, boolean>>;
export type RealismParamsUpdate = { [S in RealismSwitch]?: Partial<RealismParams[S]> };

/** One field of a resource's spec that a whole-spec update left out, so the real service would clear it. */
export interface UnmodelledLoss {
  kind: ResourceKind;
  id: string;
  operationId: string;
  /** The lost field, in the real API's names (`spec.access.accountAccess.customRoles`). */
  field: string;
  /** The emulator clock when the update was accepted (ms). */
  time: number;
}

export const realismSettingsSchema = z.strictObject(
  Object.fromEntries(REALISM_SWITCHES.map((s) => [s, z.boolean().nullable().optional()])) as Record<
    RealismSwitch,
    z.ZodOptional<z.ZodNullable<z.ZodBoolean>>
  >,
);
export const realismParamsSchema = z.strictObject(
  Object.fromEntries(REALISM_SWITCHES.map((s) => [s, REALISM[s].paramsSchema.optional()])) as {
    [S in RealismSwitch]: z.ZodOptional<(typeof REALISM)[S]['paramsSchema']>;
  },
);

/** The run-time state of the switches: what is on where, the parameters, and the losses seen. */
export class Realism {
  #explicit: RealismSettings = {};
  #params = Object.fromEntries(
    REALISM_SWITCHES.map((s) => [s, { ...REALISM[s].params }]),
  ) as unknown as RealismParams;
  readonly losses: UnmodelledLoss[] = [];

  on(name: RealismSwitch, dialect: DialectName): boolean {
    return this.#explicit[name] ?? dialect === 'cloud';
  }

  params<S extends RealismSwitch>(name: S): RealismParams[S] {
    return this.#params[name];
  }

  /** `null` puts a switch back to its default (on for /cloud, off for /api/v1). */
  set(settings: Partial<Record<RealismSwitch, boolean | null>> = {}, params: RealismParamsUpdate = {}): void {
    for (const [name, value] of Object.entries(settings) as [RealismSwitch, boolean | null | undefined][]) {
      if (value === null) delete this.#explicit[name];
      else if (value !== undefined) this.#explicit[name] = value;
    }
    for (const [name, update] of Object.entries(params) as [RealismSwitch, object | undefined][]) {
      Object.assign(this.#params[name], update);
    }
  }

  /** Each switch with where it is on, its parameters, description and sources (the admin endpoint's view). */
  describe() {
    return Object.fromEntries(
      REALISM_SWITCHES.map((s) => [
        s,
        {
          cloud: this.on(s, 'cloud'),
          openapi: this.on(s, 'openapi'),
          params: { ...this.#params[s] },
          description: REALISM[s].description,
          sources: REALISM[s].sources,
        },
      ]),
    );
  }
}

/**
 * The CLI's / EMULATOR_REALISM's form: `on` or `off` (every switch, both dialects), or a comma-separated
 * list of `name=on|off|default`. Throws with the offending part named.
 */
export function parseRealismFlag(text: string): Partial<Record<RealismSwitch, boolean | null>> {
  const value = (word: string, what: string): boolean | null => {
    if (word === 'on') return true;
    if (word === 'off') return false;
    if (word === 'default') return null;
    throw new Error(`${what}: expected on, off or default, got '${word}'`);
  };
  const trimmed = text.trim();
  if (trimmed === 'on' || trimmed === 'off' || trimmed === 'default') {
    const all = value(trimmed, 'realism');
    return Object.fromEntries(REALISM_SWITCHES.map((s) => [s, all]));
  }
  const out: Partial<Record<RealismSwitch, boolean | null>> = {};
  for (const part of trimmed
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name, word = ''] = part.split('=', 2).map((p) => p.trim()) as [string, string?];
    if (!(REALISM_SWITCHES as string[]).includes(name)) {
      throw new Error(`realism: unknown switch '${name}' (known: ${REALISM_SWITCHES.join(', ')})`);
    }
    out[name as RealismSwitch] = value(word, name);
  }
  return out;
}
