// The shape of a catalog entry: everything the starters, the intake, the events endpoint, the portal and the
// schedules need to know about one kind of workflow (see README.md). Workflows are referred to by name and typed by
// a type-only import, so the catalog never loads workflow code.
import type { Workflow, WorkflowIdReusePolicy } from '@temporalio/common';
import type { z } from 'zod';
import type { ApprovalPolicy, PolicyKind, RequestFacts } from '../policy/policy';
import type { InputProblem } from '../shared/validation';
import type { BuildContext, FlagSpecs, FlagValues, SignalFlag } from './flags';
import type { FormFields } from './form';

export type WorkflowInput<W extends Workflow> = Parameters<W>[0];
export type WorkflowResult<W extends Workflow> = Awaited<ReturnType<W>>;

/** A workflow by its name, typed by its function. */
export interface WorkflowRef<W extends Workflow> {
  readonly name: string;
  /** Never set: carries the workflow's type. */
  readonly type?: W;
}

/** `workflowNamed<typeof provisionNamespace>('provisionNamespace')`, with a type-only import of the workflow. */
export const workflowNamed = <W extends Workflow>(name: string): WorkflowRef<W> => ({ name });

/** The query every workflow answers with its `{ step, lastError, ... }`. */
export const STATUS_QUERY = 'status';

/** How a completed run ended, from its result: the last step it went through (the rest it skipped), in words. */
export interface Outcome {
  /** The run ended after this step: the later ones are skipped. */
  stoppedAfter?: string;
  /** Steps it passed over on its way (a provisioning without a key still asks the desired states). */
  skipped?: readonly string[];
  label: string;
}

/** The command-line starter (`npm run <name>`): its flags and how they become the workflow's input. */
export interface StarterSpec<W extends Workflow, F extends FlagSpecs> {
  /** Command and npm script name, e.g. `provision-namespace`. */
  name: string;
  /** One or two sentences for --help. */
  summary: string;
  examples?: string[];
  /** The starter's own flags (the shared ones are added). Keys are the flag names without dashes. */
  flags: F;
  /** Flag values → workflow input. Report cross-flag problems through `ctx`; schema problems come after. */
  buildInput(values: FlagValues<F>, ctx: BuildContext<F>): WorkflowInput<W>;
  /** One human line for a successful result (shown above the JSON result without --json). */
  summarize?(result: WorkflowResult<W>): string;
  /**
   * The approval policy covers its runs, which wait for approvals through the shared decision gate: the starter
   * takes --requested-by, and --approve/--reject (with --approver, --reason) signal the running run.
   */
  decisions?: boolean;
  /** Its own flags that signal the running run instead of starting one (after the decisions'). */
  signals?: Partial<Record<keyof F & string, SignalFlag>>;
  /**
   * The input fields a signal needs (the business key's): a signal flag given with only these reports no problem
   * with the others. Default: the kind's `keyField` (`name`).
   */
  keyFields?: string[];
}

/** What the approval policy sees in a request of this kind. */
export interface ApprovalSpec<W extends Workflow> {
  /** The policy kinds a request may fall under (what the form's policy note describes). */
  kinds: PolicyKind[];
  /** The facts of one (already validated) input. */
  facts(policy: ApprovalPolicy, input: WorkflowInput<W>): RequestFacts;
}

/**
 * A finished run that answers a repeated request vouches for what it made; this read-only workflow says whether
 * that still holds. When it does not (the namespace was deleted since), the request starts a new run.
 */
export interface FinishedRunCheck<W extends Workflow> {
  kind: AnyKind;
  input(input: WorkflowInput<W>): unknown;
  /** Whether the finished run's outcome still holds, from the check's result. */
  holds(answer: unknown): boolean;
  /** What the finished run made, for messages: "namespace payments-prod". */
  subject(input: WorkflowInput<W>): string;
}

export interface KindSpec<W extends Workflow, F extends FlagSpecs, R extends string> {
  workflow: WorkflowRef<W>;
  /** A person's name for it ("Namespace", "Offboarding"). */
  title: string;
  /**
   * The schema the workflow validates its input with (src/shared/validation.ts: workflow code imports it too), for
   * the starters and the intake to check a request before starting anything. Absent where a request is checked
   * otherwise (reconcile: the desired-state file, where it is read).
   */
  schema?: z.ZodType;
  /** The business key: a repeated request joins the run that has it. */
  workflowId(input: WorkflowInput<W>): string;
  /** The input field the id is made from, named when the id is unusable; default `name`. */
  keyField?(input: WorkflowInput<W>): string;
  /** Why an (otherwise valid) input cannot make the business key. */
  keyProblem?(input: WorkflowInput<W>): InputProblem | undefined;
  /** What a start does when the key has a closed run (a running one is always joined). */
  reusePolicy: WorkflowIdReusePolicy;
  /** `status.step` → what it means to a person, in the order a run goes through them. */
  steps: Record<string, string>;
  outcome?(result: WorkflowResult<W>): Outcome;
  approval?: ApprovalSpec<W>;
  /** The request type of signed events and portal forms that start it. */
  request?: { type: R };
  /** The portal's form for the request, where it has one. */
  form?: FormFields;
  starter?: StarterSpec<W, F>;
  finishedRunCheck?: FinishedRunCheck<W>;
}

export interface WorkflowKind<W extends Workflow, F extends FlagSpecs, R extends string> extends KindSpec<
  W,
  F,
  R
> {
  /** What Temporal knows the workflow by: its function's name. */
  workflowType: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyKind = WorkflowKind<any, any, string>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type StarterKind = AnyKind & { starter: StarterSpec<any, any> };

/** Gives `buildInput`, `summarize` and the rest their types from `workflow` and the starter's flags. */
export function defineKind<W extends Workflow, F extends FlagSpecs = FlagSpecs, R extends string = never>(
  spec: KindSpec<W, F, R>,
): WorkflowKind<W, F, R> {
  return { ...spec, workflowType: spec.workflow.name };
}
