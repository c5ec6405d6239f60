// The command-line flags a kind's starter declares and what its `buildInput` is handed (src/starters parses them).
interface FlagBase {
  description: string;
  /** Dot path of the workflow-input field this flag sets; schema problems on it are reported as the flag. */
  field?: string;
  /** Left out of --help (test and tuning knobs). */
  hidden?: boolean;
  /** One-letter alias, e.g. `f` for `-f FILE` (as `-h` is for --help). */
  short?: string;
}
/** `--flag VALUE` or `--flag=VALUE`. */
export interface StringFlag extends FlagBase {
  type: 'string';
  valueName?: string;
}
/** Like a string flag, but the value must parse as a finite number. */
export interface NumberFlag extends FlagBase {
  type: 'number';
  valueName?: string;
}
/** `--flag`; giving it a value is an error. */
export interface BooleanFlag extends FlagBase {
  type: 'boolean';
}
/** `--flag` or `--flag=VALUE` (git style: the value must be attached with `=`). */
export interface OptionalValueFlag extends FlagBase {
  type: 'optional-value';
  valueName?: string;
}
/** `--flag PATH`: the file is read while parsing, so a missing file is a flag error (exit 2). */
export interface FileFlag extends FlagBase {
  type: 'file';
  valueName?: string;
}
export type FlagSpec = StringFlag | NumberFlag | BooleanFlag | OptionalValueFlag | FileFlag;
export type FlagSpecs = Record<string, FlagSpec>;

export interface FileValue {
  path: string;
  content: Buffer;
}
type FlagValue<S extends FlagSpec> = S extends BooleanFlag
  ? boolean
  : S extends NumberFlag
    ? number | undefined
    : S extends OptionalValueFlag
      ? string | true | undefined
      : S extends FileFlag
        ? FileValue | undefined
        : string | undefined;
/** Parsed values keyed by flag name (kebab-case, as typed); booleans default to false. */
export type FlagValues<F extends FlagSpecs> = { [K in keyof F]: FlagValue<F[K]> };

/** Handed to `buildInput` for checks that span flags; problems are reported together with schema ones. */
export interface BuildContext<F extends FlagSpecs> {
  values: FlagValues<F>;
  /** Records a problem for `flag` (name without dashes, or '' for the whole command). */
  problem(flag: keyof F & string, message: string): void;
  problem(flag: '', message: string): void;
  /** Records "needs --other" when `flag` is given without `other`. */
  requires(flag: keyof F & string, other: keyof F & string): void;
  /** Records "cannot be combined with --b" when both are given. */
  conflicts(a: keyof F & string, b: keyof F & string): void;
  /** Whether a flag was given (booleans: set). */
  has(flag: keyof F & string): boolean;
}

/** A flag that signals the running run of the business key instead of starting one. */
export interface SignalFlag {
  /** The signal's name, as the workflow defines it. */
  signal: string;
  /** Past tense, for the message ("approved"). */
  done: string;
  /** The signal's argument, from the flag values and who sends it (--approver, else the login name). */
  arg(values: Record<string, unknown>, by: string): unknown;
  /** Sent only once the run's status shows this step (waiting up to a minute for it). */
  atStep?: string;
  /** Another flag it needs. */
  requires?: string;
}

/** `--requested-by` of the starters whose runs the approval policy covers (`decisions`). */
export const REQUESTER_FLAG = {
  'requested-by': {
    type: 'string',
    valueName: 'NAME',
    description: 'who asks (recorded; never approves it; default $USER)',
  },
} as const satisfies FlagSpecs;

/** --approve / --reject of a run that waits for an approval (the shared decision gate's signals): `decisions`. */
export const DECISION_FLAGS = {
  approve: {
    type: 'boolean',
    description: 'approve what the running request waits for (needs --approver; never the requester)',
  },
  reject: { type: 'boolean', description: 'reject it: nothing is changed' },
  approver: { type: 'string', valueName: 'NAME', description: 'who decides (recorded in the result)' },
  reason: { type: 'string', valueName: 'TEXT', description: 'comment recorded with --approve/--reject' },
} as const satisfies FlagSpecs;

const comment = (v: Record<string, unknown>, key: string) => (v.reason ? { [key]: v.reason } : {});

/** What DECISION_FLAGS send. A reject without --approver is the requester's, who may call off their own request. */
export const DECISION_SIGNALS = {
  approve: {
    signal: 'approve',
    done: 'approved',
    atStep: 'awaiting-approval',
    requires: 'approver',
    arg: (v, by) => ({ approver: by, ...comment(v, 'comment') }),
  },
  reject: {
    signal: 'reject',
    done: 'rejected',
    atStep: 'awaiting-approval',
    arg: (v, by) => ({ approver: by, ...comment(v, 'reason') }),
  },
} as const satisfies Record<string, SignalFlag>;

/** --confirm-cutover / --abort of a rotation's cut-over (src/workflows/cutover.ts); each names who decides. */
export const CUTOVER_SIGNALS = {
  'confirm-cutover': { signal: 'confirmCutover', done: 'cutover confirmed', arg: (_v, by) => ({ by }) },
  abort: {
    signal: 'abort',
    done: 'abort requested',
    arg: (v, by) => ({ ...(typeof v.abort === 'string' ? { reason: v.abort } : {}), by }),
  },
} as const satisfies Record<string, SignalFlag>;

const PEM_BLOCK = /-----BEGIN [A-Z0-9 ]+-----[\s\S]+?-----END [A-Z0-9 ]+-----/;

/** The Ops API takes CA certificates as base64 of the PEM text; undefined when the file holds no PEM. */
export function caFileToBase64(file: FileValue): string | undefined {
  return PEM_BLOCK.test(file.content.toString('utf8')) ? file.content.toString('base64') : undefined;
}
