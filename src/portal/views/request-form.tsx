// The frame every request form shares: title, lead, the policy's note, CSRF token, request id, errors, submit.
import type { ComponentChildren } from 'preact';
import type { ApprovalPolicy, PolicyKind } from '../../policy/policy';
import { CsrfField } from './components';
import { FormErrors, type FieldState } from './fields';
import { Layout } from './layout';
import { PolicyNote } from './policy-note';

/** The request forms, each at `/new/<form>` and under this name in the navigation. */
export type RequestForm = 'namespace' | 'rotation' | 'ca-rotation' | 'offboarding' | 'access';

export interface RequestFormPageProps {
  form: RequestForm;
  title: string;
  /** What the request does, in a sentence or two. */
  lead: string;
  policy: ApprovalPolicy;
  /** The policy's kinds this form's requests fall under. */
  kinds: PolicyKind[];
  user: string;
  csrf: string;
  state: FieldState;
  submit: string;
  children: ComponentChildren;
}

export function RequestFormPage(p: RequestFormPageProps) {
  return (
    <Layout title={p.title} user={p.user} csrf={p.csrf} current={p.form}>
      <h1>{p.title}</h1>
      <p class="lead">{p.lead}</p>
      <PolicyNote policy={p.policy} kinds={p.kinds} />
      <form
        method="post"
        action={`/new/${p.form}`}
        class="request-form"
        novalidate
        data-request-form={p.form}
      >
        <CsrfField token={p.csrf} />
        <input type="hidden" name="requestId" value={p.state.values.requestId ?? ''} />
        <FormErrors state={p.state} />
        {p.children}
        <button type="submit" class="primary">
          {p.submit}
        </button>
      </form>
    </Layout>
  );
}
