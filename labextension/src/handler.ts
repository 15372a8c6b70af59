/**
 * What one notebook does with each codeact message from its kernel: check it, keep the runs, insert cells (and note
 * the runs a `replace` left no cell of), replace an inserted cell's outputs, match replies to its own requests (the one
 * record of the requests awaiting a reply).
 * Pure (no JupyterLab import): jest feeds it the schema fixtures and whole runs.
 */
import { INotebookCells, InsertionPlanner, InsertPlan, cellToInsert } from './insertion';
import { CellMessage, ExportMessage, KernelMessage, OutputsMessage, PROTOCOL_VERSION, parseMessage } from './protocol';
import { RunStore } from './runs';

/** Where a message came from, read from its Jupyter envelope. */
export interface IOrigin {
  /** The kernel connection of this notebook sent the request the message answers (`parent_header.session`). */
  startedHere: boolean;
  /** `parent_header.msg_id`, or null. */
  parentMsgId: string | null;
}

/** What becomes of an `outputs` message. */
export type OutputsPlan =
  /** Replace the outputs of the cell at position `at`. */
  | { kind: 'replace'; at: number }
  /** No cell of the notebook carries the key (not inserted here, or deleted), or there is no notebook. */
  | { kind: 'skip'; reason: 'absent' | 'not-ours' };

export type Outcome =
  /** Not a codeact message, or one that is not for this notebook (a reply to another frontend's request). */
  | { kind: 'ignored' }
  /** Another protocol version: dropped. */
  | { kind: 'version'; version: unknown }
  /** Breaks the schema: dropped. */
  | { kind: 'invalid'; reason: string }
  /** The runs changed. */
  | { kind: 'runs' }
  /** A cell message, and what was done with it. */
  | { kind: 'cell'; plan: InsertPlan }
  /** An outputs message, and what was done with it. */
  | { kind: 'outputs'; plan: OutputsPlan }
  /** The reply to this notebook's export request. */
  | { kind: 'export'; message: ExportMessage }
  /** The kernel could not serve this notebook's request. */
  | { kind: 'error'; message: string };

export class MessageHandler {
  /**
   * @param cells - the notebook's cells, or null while there is no notebook to insert into.
   */
  constructor(cells: () => INotebookCells | null) {
    this._cells = cells;
  }

  /** The kernel's runs. */
  readonly runs = new RunStore();

  /** Where cells go, and which were handled. */
  readonly planner = new InsertionPlanner();

  /**
   * Remember that a request with this message id was sent, so that its reply (`export` or `error`) is recognised.
   *
   * @param runId - the run an `export_request` asks for: it is in {@link exporting} until the reply comes.
   */
  expectReply(msgId: string, runId?: string): void {
    this._pending.set(msgId, runId ?? null);
  }

  /** Whether a reply to a request of this notebook is still awaited. */
  get waiting(): boolean {
    return this._pending.size > 0;
  }

  /** Runs whose export was asked for and not answered yet (the kernel answers when it is idle). */
  get exporting(): ReadonlySet<string> {
    const runs = new Set<string>();
    this._pending.forEach(runId => runId !== null && runs.add(runId));
    return runs;
  }

  /** Forget the kernel's runs and pending requests (the kernel restarted or changed). Handled keys stay. */
  reset(): void {
    this.runs.clear();
    this._pending.clear();
  }

  /**
   * Handle the `data` of one comm message from the kernel.
   */
  handle(data: unknown, origin: IOrigin): Outcome {
    const parsed = parseMessage(data);
    switch (parsed.kind) {
      case 'foreign':
        return { kind: 'ignored' };
      case 'version':
        return { kind: 'version', version: parsed.version };
      case 'invalid':
        return { kind: 'invalid', reason: parsed.reason };
    }
    const message = parsed.message as KernelMessage;
    switch (message.type) {
      case 'runs':
        // all of the kernel's runs (a page (re)connecting): the replacements seen before a reload are found again
        this.runs.apply(message);
        this._findReplaced();
        return { kind: 'runs' };
      case 'run':
      case 'text':
        return this.runs.apply(message) ? { kind: 'runs' } : { kind: 'ignored' };
      case 'cell':
        return { kind: 'cell', plan: this._insert(message, origin.startedHere) };
      case 'outputs':
        return { kind: 'outputs', plan: this._replaceOutputs(message) };
      case 'export':
        return this._settle(origin) ? { kind: 'export', message } : { kind: 'ignored' };
      case 'error':
        return this._settle(origin) ? { kind: 'error', message: message.message } : { kind: 'ignored' };
      default:
        // frontend -> kernel requests seen on iopub (never sent there, but harmless)
        return { kind: 'ignored' };
    }
  }

  /** Whether the message answers a request of this notebook; the request is no longer awaited. */
  private _settle(origin: IOrigin): boolean {
    return origin.parentMsgId !== null && this._pending.delete(origin.parentMsgId);
  }

  private _insert(message: CellMessage, startedHere: boolean): InsertPlan {
    const cells = this._cells();
    if (!cells) {
      return { kind: 'skip', reason: 'not-ours' };
    }
    const plan = this.planner.plan(cells, message, startedHere);
    if (plan.kind === 'insert') {
      const removed = new Set(plan.remove.map(i => cells.codeact(i)?.run_id));
      cells.apply(plan.remove, plan.at, cellToInsert(message));
      // a run is replaced once the planner removed its cells and none of them is left (the user's edited ones stay)
      for (let i = 0; i < cells.length && removed.size > 0; i++) {
        removed.delete(cells.codeact(i)?.run_id);
      }
      removed.forEach(runId => runId !== undefined && this.runs.markReplaced(runId, message.run_id));
    }
    if (plan.kind === 'insert' || (plan.kind === 'skip' && plan.reason === 'present')) {
      this.planner.commit(message);
    }
    return plan;
  }

  /**
   * Mark the runs whose cells a later run of the same `%%codeact` cell replaced, from the notebook as it is: a run
   * with no cell here, its cell here, and a later run of that cell (insert mode `replace`) whose cells are here.
   */
  private _findReplaced(): void {
    const cells = this._cells();
    if (!cells) {
      return;
    }
    const present = new Set<string>();
    const ids = new Set<string>();
    for (let i = 0; i < cells.length; i++) {
      const runId = cells.codeact(i)?.run_id;
      if (runId) {
        present.add(runId);
      }
      ids.add(cells.id(i));
    }
    const runs = this.runs.list(); // newest first
    runs.forEach((run, i) => {
      if (run.replaced_by !== null || present.has(run.run_id) || run.cell_id === null || !ids.has(run.cell_id)) {
        return;
      }
      const by = runs
        .slice(0, i)
        .reverse()
        .find(later => later.cell_id === run.cell_id && later.insert_mode === 'replace' && present.has(later.run_id));
      if (by) {
        this.runs.markReplaced(run.run_id, by.run_id);
      }
    });
  }

  private _replaceOutputs(message: OutputsMessage): OutputsPlan {
    const cells = this._cells();
    if (!cells) {
      return { kind: 'skip', reason: 'not-ours' };
    }
    const plan = planOutputs(cells, message);
    if (plan.kind === 'replace') {
      cells.setOutputs(plan.at, message.outputs);
    }
    return plan;
  }

  private _cells: () => INotebookCells | null;
  /** Requests awaiting a reply: message id -> the run an export request asks for, or null. */
  private _pending = new Map<string, string | null>();
}

/**
 * Where an `outputs` message goes: the cell of the notebook carrying its key (a later step updated a display of
 * that cell's step, as `update_display_data` does in a notebook), or nowhere.
 */
export function planOutputs(cells: INotebookCells, message: OutputsMessage): OutputsPlan {
  for (let i = 0; i < cells.length; i++) {
    const meta = cells.codeact(i);
    if (meta && meta.key === message.key && meta.run_id === message.run_id) {
      return { kind: 'replace', at: i };
    }
  }
  return { kind: 'skip', reason: 'absent' };
}

/**
 * What to tell the user when the kernel speaks another protocol version: which side to upgrade, in at most 140
 * characters (JupyterLab cuts longer notifications).
 */
export function versionMismatchText(kernelVersion: unknown): string {
  const theirs = typeof kernelVersion === 'number' ? kernelVersion : NaN;
  const version = String(kernelVersion).slice(0, 10);
  const versions = `codeact: the kernel speaks protocol v${version}, this extension v${PROTOCOL_VERSION}.`;
  return theirs > PROTOCOL_VERSION
    ? `${versions} Upgrade the extension (pip install -U codeact-magic) and reload the page.`
    : `${versions} Upgrade codeact-magic in the kernel's environment and restart the kernel.`;
}
