// Offboarding and user groups: in the cloud dialect the leaver leaves every cloud group they are in (once, even
// when an answer is lost after the server committed), SCIM groups are reported for the identity provider, and
// the report lists their groups and custom roles. The given document has no groups: the report says so.
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { workflowIds } from '../../src/catalog';
import { approveOffboardingSignal, offboardStatusQuery, offboardUser } from '../../src/workflows';
import { GROUPS_NOT_OFFERED, IDENTITY_PROVIDER_NOTE } from '../../src/workflows/offboard-groups';
import { mutations, stackPerTest, testDialect, type OpsStack } from '../helpers/stack';
import { untilStatus } from './support';

let env: TestWorkflowEnvironment;
let stack: OpsStack;
stackPerTest(
  { asyncOperationDurationMs: { '*': 20_000 }, checkDurationMs: 10_000 },
  (made) => ({ env, stack } = made),
);

const READ_ALL = { resources: { resourceType: 'namespace', allowAll: true }, actions: ['namespace:read'] };
const cloudTest: typeof test = testDialect() === 'cloud' ? test : test.skip;
const openapiTest: typeof test = testDialect() === 'cloud' ? test.skip : test;

/** The leaver in two cloud groups (one shared with a colleague) and a SCIM group, holding a custom role. */
async function seedAccount() {
  const { customRoleIds } = await stack.emulator.seed({
    customRoles: [
      { name: 'auditor', permissions: [READ_ALL] },
      { name: 'deployer', permissions: [{ ...READ_ALL, actions: ['namespace:write'] }] },
    ],
  });
  const [auditor, deployer] = customRoleIds as [string, string];
  const roles = (id: string) => ({ access: { accountAccess: { customRoles: [id] } } });
  const { userIds, userGroupIds } = await stack.emulator.seed({
    users: [{ email: 'leaver@example.com', preserved: roles(auditor) }, { email: 'stayer@example.com' }],
    userGroups: [
      { displayName: 'eng', groupType: 'cloud', memberEmails: ['leaver@example.com', 'stayer@example.com'] },
      {
        displayName: 'oncall',
        groupType: 'cloud',
        memberEmails: ['leaver@example.com'],
        preserved: roles(deployer),
      },
      {
        displayName: 'okta-all',
        groupType: 'scim',
        scimIdpId: 'okta-1',
        memberEmails: ['leaver@example.com'],
      },
      { displayName: 'design', groupType: 'cloud', memberEmails: ['stayer@example.com'] },
    ],
  });
  stack.emulator.clearRequestLog();
  return { auditor, deployer, leaver: userIds[0]!, stayer: userIds[1]!, groups: userGroupIds };
}

const offboard = (input: Partial<Parameters<typeof offboardUser>[0]> = {}) =>
  stack.runWorker(async () =>
    (
      await env.client.workflow.start(offboardUser, {
        args: [{ email: 'leaver@example.com', ...input }],
        workflowId: workflowIds.offboardUser('leaver@example.com'),
        taskQueue: stack.taskQueue,
      })
    ).result(),
  );

const membersOf = (groupId: string) =>
  stack.emulator.snapshot().userGroups.find((g) => g.id === groupId)?.members;

cloudTest(
  'leaves both cloud groups once each (a lost answer retried changes nothing twice), reports the SCIM group and the roles',
  async () => {
    const { auditor, deployer, leaver, stayer, groups } = await seedAccount();
    const [eng, oncall, okta, design] = groups as [string, string, string, string];
    stack.emulator.faults.add({ kind: 'commit-then-drop', operationId: 'removeUserGroupMember', count: 1 });

    const report = await offboard({ deleteUser: false });

    expect(stack.emulator.faults.list()).toEqual([]); // the answer was lost once
    // One removal sent per group (the edge's own answers aside): the retry found its own operation.
    const removals = stack.emulator.requestLog.filter(
      (r) => r.operationId === 'removeUserGroupMember' && !r.edge,
    );
    expect(removals.map((r) => r.path).sort()).toEqual(
      [eng, oncall].map((id) => `/cloud/user-groups/${id}/remove-member`).sort(),
    );
    expect(removals.filter((r) => r.fault === 'commit-then-drop')).toHaveLength(1);
    expect(mutations(stack.emulator).filter((m) => m === 'removeUserGroupMember')).toHaveLength(2);
    expect([membersOf(eng), membersOf(oncall), membersOf(okta), membersOf(design)]).toEqual([
      [stayer],
      [],
      [leaver], // the identity provider's: untouched
      [stayer],
    ]);
    expect(report.groups).toEqual({
      offered: true,
      groups: [
        { id: eng, displayName: 'eng', groupType: 'cloud', customRoles: [], outcome: 'removed' },
        {
          id: oncall,
          displayName: 'oncall',
          groupType: 'cloud',
          customRoles: [{ id: deployer, name: 'deployer' }],
          outcome: 'removed',
        },
        {
          id: okta,
          displayName: 'okta-all',
          groupType: 'scim',
          customRoles: [],
          outcome: 'identity-provider',
          note: IDENTITY_PROVIDER_NOTE,
        },
      ],
      customRoles: [{ id: auditor, name: 'auditor' }],
    });
    expect(report.removed.filter((r) => r.kind === 'groupMembership').map((r) => r.name)).toEqual([
      'eng',
      'oncall',
    ]);
    expect(report.plan.groups?.groups.map((g) => g.displayName)).toEqual(['eng', 'oncall', 'okta-all']);
  },
);

cloudTest(
  'a group it may not leave is reported and the others are still left; the user is kept',
  async () => {
    const { leaver, stayer, groups } = await seedAccount();
    const [eng, oncall] = groups as [string, string];
    // The API refuses to take the leaver out of eng (as a permission it lacks would): non-retryable.
    const activities = {
      ...stack.activities,
      leaveUserGroup: (input: Parameters<typeof stack.activities.leaveUserGroup>[0]) =>
        input.groupId === eng
          ? Promise.reject(
              ApplicationFailure.create({
                type: 'OpsApiPermissionDenied',
                message: 'denied',
                nonRetryable: true,
              }),
            )
          : stack.activities.leaveUserGroup(input),
    };
    const failure = await stack
      .runWorker(
        async () =>
          (
            await env.client.workflow.start(offboardUser, {
              args: [{ email: 'leaver@example.com', deleteUser: true }],
              workflowId: workflowIds.offboardUser('leaver@example.com'),
              taskQueue: stack.taskQueue,
            })
          ).result(),
        { activities },
      )
      .catch((e: unknown) => e);
    const cause = (failure as { cause?: { type?: string; message?: string; details?: unknown[] } }).cause;
    expect(cause?.type).toBe('OffboardingIncomplete');
    expect(cause?.message).toMatch(
      /could not remove leaver@example.com from 1 of 3 groups \(user kept\): eng: /,
    );
    // What was done is in the failure: the other group left, the identity provider's reported.
    const { groups: outcomes } = cause!.details![0] as {
      groups: Array<{ displayName: string; outcome: string }>;
    };
    expect(outcomes.map((o) => [o.displayName, o.outcome])).toEqual([
      ['eng', 'failed'],
      ['oncall', 'removed'],
      ['okta-all', 'identity-provider'],
    ]);
    expect([membersOf(eng), membersOf(oncall)]).toEqual([[leaver, stayer], []]);
    expect(stack.emulator.snapshot().users.map((u) => u.id)).toContain(leaver);
  },
);

cloudTest('a membership already gone when the removal is sent counts as done, not as a failure', async () => {
  const { leaver, groups } = await seedAccount();
  const [eng] = groups as [string];
  const report = await stack.runWorker(async () => {
    const handle = await env.client.workflow.start(offboardUser, {
      args: [{ email: 'leaver@example.com', requireApproval: true }],
      workflowId: workflowIds.offboardUser('leaver@example.com'),
      taskQueue: stack.taskQueue,
    });
    await untilStatus(env, handle, offboardStatusQuery, (s) => s.step === 'awaiting-approval', '1s');
    // Someone takes the leaver out of `eng` by hand between the plan and the removal.
    await stack.client.removeUserGroupMember({ groupId: eng, userId: leaver });
    await env.sleep(30_000); // its operation is fulfilled
    await handle.signal(approveOffboardingSignal, { approver: 'alice' });
    return handle.result();
  });
  expect(report.outcome).toBe('completed');
  expect(report.groups.groups.map((g) => [g.displayName, g.outcome])).toEqual([
    ['eng', 'already-gone'],
    ['oncall', 'removed'],
    ['okta-all', 'identity-provider'],
  ]);
  expect(report.removed.map((r) => r.kind)).toEqual(['groupMembership', 'user']);
  expect(stack.emulator.snapshot().users.map((u) => u.spec.email)).toEqual(['stayer@example.com']);
});

openapiTest(
  'the given document has no groups: the report says so plainly, and nothing is asked',
  async () => {
    await stack.emulator.seed({ users: [{ email: 'leaver@example.com' }] });
    stack.emulator.clearRequestLog();
    const report = await offboard({ deleteUser: false });
    expect(report.groups).toEqual({ offered: false, note: GROUPS_NOT_OFFERED, groups: [], customRoles: [] });
    expect(stack.emulator.requestLog.filter((r) => r.path.includes('group'))).toEqual([]);
  },
);
