// What `npm start` prints once everything is up: where each part is, and commands that work as printed (a test
// runs every one of them against a fresh stack).
import path from 'node:path';
import type { Stack } from './stack';

export interface BannerOptions {
  /** Whether TEMPORAL_ADDRESS was given (then the starters already find the server). */
  temporalAddressGiven: boolean;
  /** Paths are shown relative to this when inside it; default process.cwd(). */
  cwd?: string;
}

/** The namespace the starter commands provision; the signed event uses another, so both can be tried. */
export const BANNER_NAMESPACE = 'demo-ns';
export const BANNER_EVENT_NAMESPACE = 'demo-events';
/** Who approves in the printed commands when PORTAL_APPROVERS names nobody in particular. */
export const BANNER_APPROVER = 'a-colleague@example.com';

type Rel = (p: string) => string;

export function banner(stack: Stack, options: BannerOptions): string {
  const cwd = options.cwd ?? process.cwd();
  const rel: Rel = (p) => {
    const r = path.relative(cwd, p);
    return r === '' ? '.' : r.startsWith('..') ? p : r;
  };
  const env = options.temporalAddressGiven ? '' : `TEMPORAL_ADDRESS=${stack.temporal.address} `;
  const lines = [
    '',
    'Temporal Cloud Ops is running.',
    '',
    ...whereThingsAre(stack, rel),
    ...secrets(stack, rel),
    ...portalAccess(stack, rel),
    ...starterCommands(stack, env),
    ...demoUserSeed(stack, rel),
    ...signedEvent(stack, rel),
    '',
    'Ctrl-C stops everything (twice to force). Restarting resumes every run where it was.',
    '',
  ];
  return `${lines.join('\n')}\n`;
}

function whereThingsAre(stack: Stack, rel: Rel): string[] {
  return [
    `  Temporal         ${stack.temporal.address} (namespace ${stack.namespace})`,
    ...(stack.temporal.uiUrl ? [`  Temporal Web UI  ${stack.temporal.uiUrl}`] : []),
    `  Ops API          ${stack.opsApi.url}${stack.opsApi.emulator ? ' (emulator)' : ''}`,
    ...(stack.portal ? [`  Portal           ${stack.portal.url}`] : []),
    ...(stack.events ? [`  Events endpoint  ${stack.events.url}/events`] : []),
    ...(stack.metricsUrl ? [`  Metrics          ${stack.metricsUrl}`] : []),
    `  Data folder      ${rel(stack.dataDir)}`,
    '',
  ];
}

/** A generated secret is shown on the start that made it; afterwards only where it is kept. */
function keptOrShown(label: string, file: string | undefined, generated: string | undefined): string[] {
  if (generated) return [`  ${label} (generated; kept in ${file}): ${generated}`];
  return file ? [`  ${label}: in ${file}`] : [];
}

function secrets(stack: Stack, rel: Rel): string[] {
  const keyFile = stack.opsApi.apiKeyFile ? rel(stack.opsApi.apiKeyFile) : undefined;
  const secretFile = stack.events?.secretFile ? rel(stack.events.secretFile) : undefined;
  return [
    ...keptOrShown('Emulator API key', keyFile, stack.opsApi.generatedApiKey),
    ...keptOrShown('Events HMAC secret', secretFile, stack.events?.generatedSecret),
  ];
}

function portalAccess(stack: Stack, rel: Rel): string[] {
  const portal = stack.portal;
  const lines: string[] = [];
  if (portal) {
    const tokenFile = portal.loginTokenFile ? rel(portal.loginTokenFile) : undefined;
    if (portal.generatedLoginToken) {
      lines.push(
        `  Portal login token (shown this once; only its hash is kept, in ${tokenFile}): ${portal.generatedLoginToken}`,
      );
    } else if (tokenFile) {
      lines.push(
        `  Portal login token: printed at the first start (delete ${tokenFile} and restart for a new one)`,
      );
    }
    if (portal.trustedProxies.length) {
      lines.push(
        `  Portal users     from ${portal.trustedHeader}, sent by ${portal.trustedProxies.join(', ')}`,
      );
    }
    lines.push(
      `  Portal approvers ${portal.approvers === '*' ? 'everyone signed in (not on their own requests; PORTAL_APPROVERS limits it)' : portal.approvers.join(', ') || 'nobody yet: set PORTAL_APPROVERS'}`,
    );
  }
  const demo = stack.opsApi.demoUser;
  if (demo) lines.push(`  Demo user        ${demo.email} (id ${demo.id}), one API key, in the emulator`);
  return lines;
}

function starterCommands(stack: Stack, env: string): string[] {
  const ns = BANNER_NAMESPACE;
  const demo = stack.opsApi.demoUser;
  // The approval policy has a short rotation and a decommission wait for someone else's approval.
  const approvers = stack.portal?.approvers;
  const approver = approvers && approvers !== '*' && approvers[0] ? approvers[0] : BANNER_APPROVER;
  const owner = `--owner-type user --owner-id ${demo ? demo.id : '<userId>'}`;
  return [
    '',
    'Start workflows from another terminal:',
    '',
    `  ${env}npm run provision-namespace -- --name ${ns} --region aws-us-east-1 --retention-days 7 \\`,
    '      --service-account --api-key --wait',
    '',
    '  A grace period under a day deletes the old key only once someone else approves (the approval policy):',
    `  ${env}npm run rotate-api-key -- ${owner} --grace 5s`,
    `  ${env}npm run rotate-api-key -- ${owner} --approve --approver ${approver} --wait`,
    `  ${env}npm run offboard-user -- --email ${demo ? demo.email : '<email>'} --dry-run --wait`,
    '',
    '  Decommissioning waits for an approver too:',
    `  ${env}npm run decommission-namespace -- --name ${ns} --delete-service-accounts`,
    `  ${env}npm run decommission-namespace -- --name ${ns} --approve --approver ${approver} --wait`,
  ];
}

/** Only a fresh data folder gets the demo user; after it was offboarded, this makes another one. */
function demoUserSeed(stack: Stack, rel: Rel): string[] {
  const keyFile = stack.opsApi.apiKeyFile ? rel(stack.opsApi.apiKeyFile) : undefined;
  if (stack.opsApi.demoUser || !stack.opsApi.emulator || !keyFile) return [];
  return [
    '',
    '  The demo user is gone; add a user to the emulator (the answer holds its id; its API keys are',
    '  seeded the same way, as "apiKeys"), then use its email and id above:',
    '',
    `  curl -sS -w '\\n' ${stack.opsApi.url}/_emulator/seed -H "Authorization: Bearer $(cat ${keyFile})" \\`,
    `      -H 'Content-Type: application/json' -d '{"users":[{"email":"someone@example.com","access":{"accountAccess":{"role":"developer"}}}]}'`,
  ];
}

function signedEvent(stack: Stack, rel: Rel): string[] {
  if (!stack.events) return [];
  const secretFile = stack.events.secretFile ? rel(stack.events.secretFile) : undefined;
  const secret = secretFile ? `$(cat ${secretFile})` : "'<EVENTS_HMAC_SECRET>'";
  const name = BANNER_EVENT_NAMESPACE;
  return [
    '',
    'Or send a signed event:',
    '',
    `  SECRET=${secret}`,
    `  BODY='{"id":"evt-1","type":"namespace.requested","data":{"name":"${name}","region":"aws-us-east-1","retentionDays":7,"serviceAccount":{},"apiKey":{}}}'`,
    '  TS=$(date +%s)',
    `  SIG=$(printf '%s.%s' "$TS" "$BODY" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.* //')`,
    `  ANSWER=$(curl -sS ${stack.events.url}/events -H 'Content-Type: application/json' \\`,
    `      -H "X-Signature-Timestamp: $TS" -H "X-Signature-256: sha256=$SIG" -d "$BODY"); echo "$ANSWER"`,
    '  # its status, through the link only this answer holds:',
    `  curl -sS -w '\\n' "$(printf '%s' "$ANSWER" | sed -E 's/.*"statusUrl":"([^"]+)".*/\\1/')"`,
    '',
    '  Event types: namespace.requested, namespace.decommission.requested, apikey.rotation.requested,',
    '  user.offboarding.requested (data = the workflow input, as for the starters).',
  ];
}
