// Reconcile's API keys: created as provisioning makes them (token into the sink), or rotated as the sweep does.
import { ApplicationFailure } from '@temporalio/workflow';
import type { Change } from '../../desired-state/plan';
import { FailureType } from '../../shared/failure-types';
import { apiKeyReady, expiryInDays } from '../resource-steps';
import { rotateInChild } from '../rotate-child';
import { changeKey, Skipped, splitKeyName, type Applied, type ApplyContext } from './context';

export async function applyApiKey(ctx: ApplyContext, c: Change): Promise<Applied> {
  const [saName, displayName] = splitKeyName(c.name);
  const want = ctx.desired.serviceAccounts
    .find((s) => s.name === saName)!
    .apiKeys.find((k) => k.displayName === displayName)!;
  const ownerId = ctx.saIds[saName];
  if (!ownerId)
    throw ApplicationFailure.create({
      type: FailureType.NotFound,
      message: `service account ${saName} does not exist`,
      nonRetryable: true,
    });
  if (c.action === 'rotate') {
    const rotated = await rotateInChild(
      { ownerType: 'service-account', ownerId },
      { keyId: c.targetId!, expiryDays: want.expiryDays, gracePeriod: want.rotationGracePeriod },
    );
    if (!rotated)
      return new Skipped('a rotation of this account is already running; the next apply looks again');
    return `replaced by ${rotated.newKeyId} (${rotated.secretRef ?? 'no secret'})`;
  }
  const key = await apiKeyReady(
    {
      displayName,
      ownerId,
      ownerType: 'service-account',
      expiryTime: expiryInDays(want.expiryDays),
      operationKey: changeKey(c),
      metadata: { desiredState: ctx.name },
    },
    ctx.wait,
  );
  return `${key.keyId}, token in ${key.secretRef}`;
}
