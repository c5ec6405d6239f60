// What the approval policy asks of a kind of request, shown on its form before anything is submitted.
import { describeKinds, type ApprovalPolicy, type PolicyKind } from '../../policy/policy';

export function PolicyNote({ policy, kinds }: { policy: ApprovalPolicy; kinds: PolicyKind[] }) {
  const allowList = kinds.includes('codec-credentials') && policy.codecEndpoints.length > 0;
  return (
    <div class="note policy" role="note" data-policy={kinds.join(' ')}>
      <p>Approval policy:</p>
      <ul>
        {describeKinds(policy, kinds).map((line) => (
          <li>{line}</li>
        ))}
        {allowList ? <li>Allow-listed codec endpoints: {policy.codecEndpoints.join(', ')}.</li> : null}
      </ul>
    </div>
  );
}
