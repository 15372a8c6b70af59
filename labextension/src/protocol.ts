/**
 * The messages between the kernel side (`codeact_magic/frontend.py`) and this extension.
 *
 * Declared once, in `codeact_magic/schema/messages.schema.json` (JSON Schema 2020-12, protocol version 1); these
 * interfaces mirror it, and `test/protocol.test.ts` checks that `parseMessage` accepts every fixture the schema
 * accepts and rejects what it rejects. Every message is the `data` of a Jupyter comm message on target `codeact`.
 *
 * This module imports nothing from JupyterLab so that jest runs it as is.
 */

/** The `protocol` field of every message. */
export const PROTOCOL = 'codeact';

/** The protocol version this extension speaks. A message with another `version` is dropped. */
export const PROTOCOL_VERSION = 1;

/** The comm target name, on both sides. */
export const COMM_TARGET = 'codeact';

export type RunStatus =
  | 'running'
  | 'done'
  | 'stopped'
  | 'failed'
  | 'step_limit'
  | 'budget'
  | 'crashed'
  | 'diverged';

export type InsertMode = 'replace' | 'append' | 'none';

export type CellRole = 'task' | 'reasoning' | 'step' | 'answer' | 'note';

/** Token counts summed over a run's model turns (Messages API `usage`). */
export interface IUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

/** What the panel shows of one run. */
export interface IRunSummary {
  run_id: string;
  task: string;
  model: string;
  status: RunStatus;
  /** One line saying why the run ended; null while running. */
  end_reason: string | null;
  steps: number;
  max_steps: number;
  usage: IUsage;
  /** USD; null when the model's price is unknown. */
  cost_usd: number | null;
  /** ISO 8601, UTC. */
  started_at: string;
  /** Seconds since the run started (until it ended), when the message was sent. */
  elapsed_s: number;
  /** Id of the `%%codeact` cell that started the run, or null. */
  cell_id: string | null;
  insert_mode: InsertMode;
  /** Source of the step running now, or null. */
  current_code: string | null;
}

/**
 * `metadata.codeact` of an inserted cell. Written by the kernel side (`trajectory.py`), except `source_hash`, which
 * this extension adds when it inserts the cell so that a later `replace` can tell whether the user edited it.
 */
export interface ICodeActCellMetadata {
  run_id: string;
  key?: string;
  role: CellRole;
  step?: number;
  source_cell_id?: string | null;
  source_hash?: string;
  [name: string]: unknown;
}

/** An nbformat v4 cell as the kernel sends it (without `id`). */
export interface ITrajectoryCell {
  cell_type: 'code' | 'markdown';
  source: string;
  metadata: { codeact: ICodeActCellMetadata; [name: string]: unknown };
  outputs?: unknown[];
  execution_count?: number | null;
  [name: string]: unknown;
}

interface IEnvelope {
  protocol: typeof PROTOCOL;
  version: typeof PROTOCOL_VERSION;
}

/** kernel -> frontend: every run of this kernel, oldest first (reply to `sync`). */
export interface IRunsMessage extends IEnvelope {
  type: 'runs';
  runs: IRunSummary[];
}

/** kernel -> frontend: one run changed (started, a step finished, usage grew, it ended). */
export interface IRunMessage extends IEnvelope {
  type: 'run';
  run: IRunSummary;
}

/** kernel -> frontend: the reasoning streamed so far in the current turn (the whole text, not a delta). */
export interface ITextMessage extends IEnvelope {
  type: 'text';
  run_id: string;
  text: string;
}

/** kernel -> frontend: one finished cell, at position `index` among the run's inserted cells. */
export interface ICellMessage extends IEnvelope {
  type: 'cell';
  run_id: string;
  /** `<run_id>:<index>`, unique per cell; never inserted twice. */
  key: string;
  index: number;
  /** Id of the `%%codeact` cell that started the run, or null. */
  cell_id: string | null;
  insert_mode: InsertMode;
  cell: ITrajectoryCell;
}

/** kernel -> frontend: reply to `export_request`, the run as an nbformat v4 notebook. */
export interface IExportMessage extends IEnvelope {
  type: 'export';
  run_id: string;
  filename: string;
  notebook: {
    cells: unknown[];
    metadata: Record<string, unknown>;
    nbformat: number;
    nbformat_minor: number;
    [name: string]: unknown;
  };
}

/** kernel -> frontend: a request could not be served. */
export interface IErrorMessage extends IEnvelope {
  type: 'error';
  message: string;
}

/** frontend -> kernel: send `runs`. Answered when the kernel is next idle. */
export interface ISyncRequest extends IEnvelope {
  type: 'sync';
}

/** frontend -> kernel: send run `run_id` as an `export` message. Answered when the kernel is next idle. */
export interface IExportRequest extends IEnvelope {
  type: 'export_request';
  run_id: string;
}

export type KernelMessage =
  | IRunsMessage
  | IRunMessage
  | ITextMessage
  | ICellMessage
  | IExportMessage
  | IErrorMessage;

export type FrontendRequest = ISyncRequest | IExportRequest;

export type Message = KernelMessage | FrontendRequest;

/** What {@link parseMessage} made of a comm message's `data`. */
export type ParseResult =
  | { kind: 'ok'; message: Message }
  /** Not a codeact message at all (another comm): ignore silently. */
  | { kind: 'foreign' }
  /** A codeact message of another protocol version: drop it and tell the user once. */
  | { kind: 'version'; version: unknown }
  /** A codeact message of our version that breaks the schema: drop it (and log it). */
  | { kind: 'invalid'; reason: string };

/** Build a frontend -> kernel request with its envelope. */
export function request(type: 'sync'): ISyncRequest;
export function request(type: 'export_request', runId: string): IExportRequest;
export function request(type: FrontendRequest['type'], runId?: string): FrontendRequest {
  const envelope = { protocol: PROTOCOL, version: PROTOCOL_VERSION } as const;
  return type === 'sync'
    ? { ...envelope, type }
    : { ...envelope, type, run_id: runId ?? '' };
}

/**
 * Check a comm message's `data` against the protocol.
 *
 * Mirrors the schema's `required` fields and types; it never accepts what the schema rejects (the jest suite
 * checks that against the fixtures and against every fixture with one required field removed).
 */
export function parseMessage(data: unknown): ParseResult {
  if (!isObject(data) || data.protocol !== PROTOCOL) {
    return { kind: 'foreign' };
  }
  if (data.version !== PROTOCOL_VERSION) {
    return { kind: 'version', version: data.version };
  }
  const check = CHECKS[data.type as string];
  if (!check) {
    return { kind: 'invalid', reason: `unknown type ${JSON.stringify(data.type)}` };
  }
  const problem = check(data);
  return problem === null
    ? { kind: 'ok', message: data as unknown as Message }
    : { kind: 'invalid', reason: `${String(data.type)}: ${problem}` };
}

// -- checks, one per message type: each returns null or what is wrong ------------------------------------------------

type Check = (value: Record<string, unknown>) => string | null;

const RUN_STATUSES: readonly string[] = [
  'running',
  'done',
  'stopped',
  'failed',
  'step_limit',
  'budget',
  'crashed',
  'diverged'
];
const INSERT_MODES: readonly string[] = ['replace', 'append', 'none'];
const USAGE_FIELDS = [
  'input_tokens',
  'output_tokens',
  'cache_creation_input_tokens',
  'cache_read_input_tokens'
];

const CHECKS: Record<string, Check> = {
  runs: m => (Array.isArray(m.runs) ? firstProblem(m.runs.map(checkRun), 'runs') : 'runs is not an array'),
  run: m => (isObject(m.run) ? prefix('run', checkRun(m.run)) : 'run is not an object'),
  text: m => strings(m, ['run_id', 'text']),
  cell: checkCell,
  export: m =>
    strings(m, ['run_id', 'filename']) ??
    (isObject(m.notebook) ? missing(m.notebook, ['cells', 'metadata', 'nbformat', 'nbformat_minor']) : 'notebook is not an object'),
  error: m => strings(m, ['message']),
  sync: () => null,
  export_request: m => strings(m, ['run_id'])
};

function checkRun(run: unknown): string | null {
  if (!isObject(run)) {
    return 'not an object';
  }
  if (typeof run.run_id !== 'string' || run.run_id.length === 0) {
    return 'run_id is not a non-empty string';
  }
  return (
    strings(run, ['task', 'model', 'started_at']) ??
    (RUN_STATUSES.includes(run.status as string) ? null : 'bad status') ??
    nullable(run, 'end_reason', 'string') ??
    counts(run, ['steps']) ??
    (isInteger(run.max_steps) && (run.max_steps as number) >= 1 ? null : 'max_steps is not an integer >= 1') ??
    (isObject(run.usage) ? prefix('usage', counts(run.usage, USAGE_FIELDS)) : 'usage is not an object') ??
    nullable(run, 'cost_usd', 'number') ??
    (typeof run.elapsed_s === 'number' && run.elapsed_s >= 0 ? null : 'elapsed_s is not a number >= 0') ??
    nullable(run, 'cell_id', 'string') ??
    (INSERT_MODES.includes(run.insert_mode as string) ? null : 'bad insert_mode') ??
    nullable(run, 'current_code', 'string')
  );
}

function checkCell(m: Record<string, unknown>): string | null {
  const problem =
    strings(m, ['run_id', 'key']) ??
    counts(m, ['index']) ??
    nullable(m, 'cell_id', 'string') ??
    (INSERT_MODES.includes(m.insert_mode as string) ? null : 'bad insert_mode');
  if (problem) {
    return problem;
  }
  const cell = m.cell;
  if (!isObject(cell)) {
    return 'cell is not an object';
  }
  if (cell.cell_type !== 'code' && cell.cell_type !== 'markdown') {
    return 'cell.cell_type is not code or markdown';
  }
  if (typeof cell.source !== 'string') {
    return 'cell.source is not a string';
  }
  if (!isObject(cell.metadata) || !('codeact' in cell.metadata)) {
    return 'cell.metadata.codeact is missing';
  }
  if ('outputs' in cell && !Array.isArray(cell.outputs)) {
    return 'cell.outputs is not an array';
  }
  if ('execution_count' in cell && cell.execution_count !== null && !isInteger(cell.execution_count)) {
    return 'cell.execution_count is not an integer or null';
  }
  return null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value);
}

function strings(value: Record<string, unknown>, names: string[]): string | null {
  const bad = names.find(name => typeof value[name] !== 'string');
  return bad === undefined ? null : `${bad} is not a string`;
}

function counts(value: Record<string, unknown>, names: string[]): string | null {
  const bad = names.find(name => !isInteger(value[name]) || (value[name] as number) < 0);
  return bad === undefined ? null : `${bad} is not an integer >= 0`;
}

function nullable(value: Record<string, unknown>, name: string, type: 'string' | 'number'): string | null {
  if (!(name in value)) {
    return `${name} is missing`;
  }
  const v = value[name];
  return v === null || typeof v === type ? null : `${name} is not a ${type} or null`;
}

function missing(value: Record<string, unknown>, names: string[]): string | null {
  const bad = names.find(name => !(name in value));
  return bad === undefined ? null : `${bad} is missing`;
}

function prefix(where: string, problem: string | null): string | null {
  return problem === null ? null : `${where}.${problem}`;
}

function firstProblem(problems: (string | null)[], where: string): string | null {
  const i = problems.findIndex(p => p !== null);
  return i < 0 ? null : `${where}[${i}]: ${problems[i]}`;
}
