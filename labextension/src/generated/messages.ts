/*
 * Generated from codeact_magic/schema/messages.schema.json by `npm run build:schema`
 * (labextension/scripts/generate-protocol.mjs). Do not edit: change the schema and run that again.
 */

/**
 * Every message is the `data` of a Jupyter comm message (comm target `codeact`). Kernel -> frontend messages travel on iopub, so every connected frontend sees them, even one that did not open the comm. A frontend drops messages whose `version` differs from its own and tells the user once.
 */
export type Message = KernelMessage | FrontendRequest;
/**
 * kernel -> frontend: every message the kernel sends, on its own comm or in reply to a request.
 */
export type KernelMessage =
  RunsMessage | RunMessage | TextMessage | CellMessage | OutputsMessage | ExportMessage | ErrorMessage | UndoMessage;
/**
 * How a run stands or how it ended (records.RunStatus). `crashed`: the run journal has the run but no end (the kernel died during it); `diverged`: a --replay step failed or printed other text than recorded.
 */
export type RunStatus = 'running' | 'done' | 'stopped' | 'failed' | 'step_limit' | 'budget' | 'crashed' | 'diverged';
/**
 * How the extension inserts a run's cells when the same %%codeact cell runs again.
 */
export type InsertMode = 'replace' | 'append' | 'none';
/**
 * What a trajectory cell holds: the task (exports only), the user's own earlier cell the run read from (setup, exports only: no outputs, its In[n] as `execution_count` and the names it gives as `names` in the metadata), the model's reasoning, a code step, a question the model asked the user (ask_user) and its reply, the final answer, or a note on how the run ended.
 */
export type CellRole = 'task' | 'setup' | 'reasoning' | 'step' | 'question' | 'answer' | 'note';
/**
 * How one code step ended (records.StepStatus). `declined`: not run, the user answered n to --approve.
 */
export type StepStatus = 'ok' | 'error' | 'timeout' | 'interrupted' | 'crashed' | 'declined';
/**
 * frontend -> kernel: the requests, on a comm the frontend opens. The kernel answers when it is next idle.
 */
export type FrontendRequest = SyncRequest | ExportRequest | UndoRequest;

/**
 * kernel -> frontend: every run of this kernel, oldest first (reply to `sync`).
 */
export interface RunsMessage {
  protocol: 'codeact';
  version: 1;
  type: 'runs';
  runs: RunSummary[];
  [k: string]: unknown;
}
/**
 * What the panel shows of one run.
 */
export interface RunSummary {
  run_id: string;
  task: string;
  model: string;
  status: RunStatus;
  /**
   * One line saying why the run ended; null while running.
   */
  end_reason: string | null;
  steps: number;
  max_steps: number;
  usage: Usage;
  /**
   * USD; null when the model's price is unknown.
   */
  cost_usd: number | null;
  /**
   * ISO 8601, UTC.
   */
  started_at: string;
  /**
   * Seconds since the run started (until it ended).
   */
  elapsed_s: number;
  /**
   * id of the %%codeact cell that started the run (from the execute_request's metadata.cellId), or null.
   */
  cell_id: string | null;
  insert_mode: InsertMode;
  /**
   * Source of the step running now, or null.
   */
  current_code: string | null;
  /**
   * The execution count the %%codeact cell got when it started (its In[n]); its steps follow it. null outside a kernel.
   */
  execution_count: number | null;
  /**
   * The run's follow-ups (%%codeact --continue), oldest first: the cell each came from and the execution count it started with.
   */
  followups: FollowUpSummary[];
  /**
   * The notebook a --replay run came from (no model calls, so no tokens), or null.
   */
  replayed_from: string | null;
  /**
   * Only in the message of a run's (or follow-up's) end, when its %%codeact cell shows the whole transcript although the run's cells go into the notebook (no frontend had opened its comm when the run started, as after Run All): the outputs the cell keeps once compact (status line, why it ended, the answer, the steps link). A frontend that inserted the cells sets the cell's outputs to them (and its errors).
   */
  compact_outputs?: Output[] | null;
  /**
   * The run's --approve mode.
   */
  approve: 'always' | 'risky' | 'never';
  /**
   * Where the steps ran when --isolated, else null (the user's kernel).
   */
  isolation: Isolation | null;
  /**
   * The files the run's steps touched, each path once with its last change (a file created then modified is created).
   */
  files: FilesTouched;
  /**
   * With -o NAME: the variable the run must leave its result in and how its check stands; else null.
   */
  output: ResultVariable | null;
  /**
   * The MCP servers connected for the run (--mcp).
   */
  mcp: string[];
  /**
   * Set once the run was undone (%codeact undo, or the panel's Undo), else null.
   */
  undone: Undone | null;
  /**
   * Whether this kernel still holds what undoing the run needs (false for a run of the journal only, one already undone whole, one whose snapshots were released to stay in the undo budget, and while it runs).
   */
  undoable: boolean;
  [k: string]: unknown;
}
/**
 * Token counts summed over the run's model turns (Messages API `usage`).
 */
export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  /**
   * Estimated tokens of the image blocks the requests carried (width x height / 750 each, Anthropic's vision docs); part of the input tokens, not added to them.
   */
  image_tokens?: number;
  [k: string]: unknown;
}
/**
 * One follow-up of a run, as the panel and the execution counts need it.
 */
export interface FollowUpSummary {
  /**
   * id of the follow-up's %%codeact cell, or null.
   */
  cell_id: string | null;
  /**
   * The count that cell got when it started.
   */
  execution_count: number | null;
  /**
   * ISO 8601, UTC.
   */
  started_at: string;
  [k: string]: unknown;
}
/**
 * An nbformat v4 output as a notebook file holds it; only that it has an `output_type` (`stream`, `display_data`, `execute_result` or `error`) is checked here.
 */
export interface Output {
  output_type: unknown;
  [k: string]: unknown;
}
/**
 * Where an --isolated run's steps ran: `kernel` local (a confined ipykernel) or gateway, a one-line description, the working directory (local) and the gateway URL.
 */
export interface Isolation {
  kernel: 'local' | 'gateway';
  description: string;
  workdir?: string | null;
  gateway_url?: string | null;
  with?: string[];
  returns?: string[];
  /**
   * Whether the local sandbox kept the network (--allow-network).
   */
  network?: boolean;
  /**
   * The --return names copied back at the end.
   */
  returned?: string[];
  /**
   * The --return names not copied back, with why.
   */
  not_returned?: {
    [k: string]: string;
  };
  [k: string]: unknown;
}
/**
 * The files a step (or, in RunSummary, a run) touched; `complete` is false when the bounded scan was cut short, and `reason` says how.
 */
export interface FilesTouched {
  changes: FileChange[];
  complete: boolean;
  reason?: string | null;
  [k: string]: unknown;
}
/**
 * A file under the working directory that a step created, modified or deleted (codeact_magic.files); `size` in bytes after the step, null for a deleted file.
 */
export interface FileChange {
  path: string;
  change: 'created' | 'modified' | 'deleted';
  size?: number | null;
  [k: string]: unknown;
}
/**
 * The -o NAME of a run (records.Run.output): `status` valid, missing or invalid after the model answered (null before), `error` the last problem, `corrections` the problems the model was told of.
 */
export interface ResultVariable {
  name: string;
  /**
   * The --returns expression.
   */
  type: string | null;
  status: 'valid' | 'missing' | 'invalid' | null;
  error: string | null;
  corrections?: {
    turn: number;
    problem: string;
    [k: string]: unknown;
  }[];
  [k: string]: unknown;
}
/**
 * How a run was undone.
 */
export interface Undone {
  /**
   * ISO 8601, UTC.
   */
  at: string;
  /**
   * The first step undone: 1 when the whole run was.
   */
  from_step: number;
  /**
   * The index of the first cell of the run marked undone.
   */
  from_index: number;
  /**
   * Restored with --force over changes the user made since.
   */
  forced: boolean;
  [k: string]: unknown;
}
/**
 * kernel -> frontend: one run changed (started, a step finished, usage grew, it ended).
 */
export interface RunMessage {
  protocol: 'codeact';
  version: 1;
  type: 'run';
  run: RunSummary;
  [k: string]: unknown;
}
/**
 * kernel -> frontend: the model's reasoning streamed so far in the current turn (whole text, not a delta).
 */
export interface TextMessage {
  protocol: 'codeact';
  version: 1;
  type: 'text';
  run_id: string;
  text: string;
  [k: string]: unknown;
}
/**
 * kernel -> frontend: one finished cell of the trajectory, to insert below the run's %%codeact cell at position `index` of the run's cells.
 */
export interface CellMessage {
  protocol: 'codeact';
  version: 1;
  type: 'cell';
  run_id: string;
  /**
   * Unique per inserted cell: the same as cell.metadata.codeact.key. A frontend never inserts a key twice.
   */
  key: string;
  /**
   * Position among the run's cells, the same as cell.metadata.codeact.index.
   */
  index: number;
  cell_id: string | null;
  insert_mode: InsertMode;
  cell: TrajectoryCell;
  [k: string]: unknown;
}
/**
 * An nbformat v4 cell (https://nbformat.readthedocs.io/en/latest/format_description.html) as the kernel sends it, without `id`.
 */
export interface TrajectoryCell {
  cell_type: 'code' | 'markdown';
  source: string;
  metadata: {
    codeact: CellMetadata;
    [k: string]: unknown;
  };
  outputs?: Output[];
  execution_count?: number | null;
  [k: string]: unknown;
}
/**
 * `metadata.codeact` of a trajectory cell (written by codeact_magic.protocol.cell_metadata), in the cells sent live and in an exported notebook. `source_hash` is added by the extension when it inserts the cell, so that a later `replace` can tell whether the user edited it.
 */
export interface CellMetadata {
  run_id: string;
  role: CellRole;
  /**
   * Unique per cell of a run: `<run_id>:<index>`. An identity only: read `index` for the position.
   */
  key?: string;
  /**
   * Position among the run's cells (the task cell of an export has none).
   */
  index?: number;
  /**
   * role `step`: the step's number in the run, from 1.
   */
  step?: number;
  /**
   * The model turn the cell comes from, from 0.
   */
  turn?: number;
  /**
   * id of the %%codeact cell that started the run, or null.
   */
  source_cell_id?: string | null;
  /**
   * roles `step` and `question`: the id of its tool_use block.
   */
  tool_use_id?: string;
  /**
   * role `step`: how the step ended; role `note`: how the run ended.
   */
  status?: StepStatus | RunStatus;
  /**
   * role `step`: seconds the code ran.
   */
  duration_s?: number;
  /**
   * role `step`: the usage of the model turn that asked for it.
   */
  turn_usage?: Usage;
  /**
   * Added by the extension: a hash of the source as inserted.
   */
  source_hash?: string;
  /**
   * role `step`: how it was approved under --approve.
   */
  approval?: Approval;
  /**
   * role `step`: the files it created, modified or deleted.
   */
  files?: FilesTouched;
  /**
   * role `step`: set when the sandbox kernel was recreated before it.
   */
  environment?: Environment;
  /**
   * role `question`: whether the user replied (false: nobody could be asked, or no more questions were allowed).
   */
  answered?: boolean;
  /**
   * Set when the cell's step (or its run) was undone: ISO 8601, UTC. The cell stays, marked.
   */
  undone?: string;
  [k: string]: unknown;
}
/**
 * How a step was approved under --approve (codeact_magic.approval): the mode, whether the user was asked, the answer (y, n, a, q; `a` also for the steps after it, which were not asked), the reason typed after n, and what the risky check flagged.
 */
export interface Approval {
  mode: 'always' | 'risky' | 'never';
  asked: boolean;
  answer?: 'y' | 'n' | 'a' | 'q' | null;
  reason?: string;
  flagged?: Risk[];
  [k: string]: unknown;
}
/**
 * What the --approve risky check (codeact_magic.risks) flagged in a step: its kind and a short phrase naming it.
 */
export interface Risk {
  kind:
    | 'shell'
    | 'install'
    | 'file_write'
    | 'file_delete'
    | 'network'
    | 'rebind'
    | 'delete_name'
    | 'unreadable'
    | 'no_undo';
  detail: string;
  [k: string]: unknown;
}
/**
 * Set on a step before which the sandbox kernel was recreated (codeact_magic.sandbox): why, how many earlier steps were re-run to restore its state, and which of them failed.
 */
export interface Environment {
  recreated: boolean;
  reason: string;
  replayed?: number;
  failed_replays?: number[];
  unloaded?: string[];
  [k: string]: unknown;
}
/**
 * kernel -> frontend: the outputs of the run's cell at `index` changed after it was sent (a later step's update_display_data replaced an output with its display_id, as a notebook does): replace that inserted cell's outputs with these.
 */
export interface OutputsMessage {
  protocol: 'codeact';
  version: 1;
  type: 'outputs';
  run_id: string;
  /**
   * cell.metadata.codeact.key of the cell.
   */
  key: string;
  index: number;
  outputs: Output[];
  [k: string]: unknown;
}
/**
 * kernel -> frontend: reply to `export_request`: the run as an nbformat v4 notebook.
 */
export interface ExportMessage {
  protocol: 'codeact';
  version: 1;
  type: 'export';
  run_id: string;
  filename: string;
  /**
   * The run as an nbformat v4 notebook; only its top-level keys are checked here.
   */
  notebook: {
    cells: unknown;
    metadata: unknown;
    nbformat: unknown;
    nbformat_minor: unknown;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}
/**
 * kernel -> frontend: a request could not be served.
 */
export interface ErrorMessage {
  protocol: 'codeact';
  version: 1;
  type: 'error';
  message: string;
  [k: string]: unknown;
}
/**
 * kernel -> frontend: an undo was done or refused (the reply to `undo_request`, and sent on the kernel's comm after `%codeact undo`). A frontend marks the cells in `undone` (a badge, greyed) and keeps them.
 */
export interface UndoMessage {
  protocol: 'codeact';
  version: 1;
  type: 'undo';
  /**
   * The runs undone (in part with --step), newest first; empty when refused.
   */
  run_ids: string[];
  /**
   * Nothing was touched: the user changed names or files since the runs (the report lists them; force restores anyway), or nothing could be undone.
   */
  refused: boolean;
  /**
   * What the user changed since the runs (names in backticks, relative paths), when that is why it was refused: `force` restores anyway. Empty otherwise.
   */
  changed: string[];
  /**
   * What was restored and what could not be, grouped: the text `%codeact undo` prints.
   */
  report: string;
  undone: UndoneCells[];
  [k: string]: unknown;
}
/**
 * The cells of one run an undo marks as undone: those whose `metadata.codeact.index` is at least `from_index`.
 */
export interface UndoneCells {
  run_id: string;
  /**
   * 0 for the whole run; for `--step N` the index of step N's cell.
   */
  from_index: number;
  /**
   * When it was undone: ISO 8601, UTC.
   */
  at: string;
  [k: string]: unknown;
}
/**
 * frontend -> kernel: send `runs`. Answered when the kernel is next idle.
 */
export interface SyncRequest {
  protocol: 'codeact';
  version: 1;
  type: 'sync';
  /**
   * false: this frontend renders no ipywidgets (the `codeact run` command), so the kernel shows its status as static output. Absent means true.
   */
  widgets?: boolean;
  [k: string]: unknown;
}
/**
 * frontend -> kernel: send run `run_id` as an `export` message.
 */
export interface ExportRequest {
  protocol: 'codeact';
  version: 1;
  type: 'export_request';
  run_id: string;
  [k: string]: unknown;
}
/**
 * frontend -> kernel: undo run `run_id` and every later run of the kernel, newest first (as `%codeact undo --run ID`); answered with an `undo` message.
 */
export interface UndoRequest {
  protocol: 'codeact';
  version: 1;
  type: 'undo_request';
  run_id: string;
  /**
   * Restore even the names and files the user changed since the runs (`--force`).
   */
  force: boolean;
  [k: string]: unknown;
}

/**
 * The data of the application/vnd.codeact.steps+json output that closes a %%codeact cell's compact output: one line pointing at the run's cells below (the extension renders it with a 'Go to' button; other frontends show its text/plain).
 */
export interface StepsLink {
  run_id: string;
  /**
   * Code steps the run ran.
   */
  steps: number;
  /**
   * Cells the run inserted (Markdown ones included).
   */
  cells: number;
  /**
   * The line itself, for example '5 steps below ↓'.
   */
  text: string;
}

/** The `protocol` field of every message. */
export const PROTOCOL = 'codeact';

/** The protocol version of the schema. A frontend drops messages of another `version` and tells the user once. */
export const PROTOCOL_VERSION = 1;
