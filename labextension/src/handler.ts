/**
 * What one notebook does with each codeact message from its kernel: check it, keep the runs, insert cells (and note
 * the runs a `replace` left no cell of), replace an inserted cell's outputs, mark the cells of undone runs, match
 * replies to its own requests (the one record of the requests awaiting a reply).
 * Pure (no JupyterLab import): jest feeds it the schema fixtures and whole runs.
 */
import { INotebookCells, InsertionPlanner, InsertPlan, cellToInsert } from './insertion';
import {
  CellMessage,
  ExportMessage,
  KernelMessage,
  OutputsMessage,
  PROTOCOL_VERSION,
  UndoMessage,
  UndoneCells,
  parseMessage
} from './protocol';
import { RunStore } from './runs';
import { undoneMarks, undoneOfRuns } from './undo';

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
  /**
   * An undo was done or refused; its cells are marked. `request`: the undo request of this notebook it answers, or
   * null (`%codeact undo` in a cell, or another page's request).
   */
  | { kind: 'undo'; message: UndoMessage; request: IUndoRequest | null }
  /** The kernel could not serve this notebook's request. */
  | { kind: 'error'; message: string };

/** An undo request this notebook sent. */
export interface IUndoRequest {
  runId: string;
  force: boolean;
}

/** A request awaiting its reply. */
type Pending = { kind: 'export'; runId: string } | ({ kind: 'undo' } & IUndoRequest) | { kind: 'other' };

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
    this._pending.set(msgId, runId === undefined ? { kind: 'other' } : { kind: 'export', runId });
  }

  /** Remember that an `undo_request` with this message id was sent: the run is in {@link undoing} until the reply. */
  expectUndo(msgId: string, request: IUndoRequest): void {
    this._pending.set(msgId, { kind: 'undo', ...request });
  }

  /** Whether a reply to a request of this notebook is still awaited. */
  get waiting(): boolean {
    return this._pending.size > 0;
  }

  /** Runs whose export was asked for and not answered yet (the kernel answers when it is idle). */
  get exporting(): ReadonlySet<string> {
    return this._awaited('export');
  }

  /** Runs whose undo this notebook asked for and has no answer to yet. */
  get undoing(): ReadonlySet<string> {
    return this._awaited('undo');
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
        this._markUndone(undoneOfRuns(message.runs));
        return { kind: 'runs' };
      case 'run':
        this.runs.apply(message);
        this._markUndone(undoneOfRuns([message.run]));
        return { kind: 'runs' };
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
      case 'undo': {
        // every page marks the cells, whoever asked; only the page that asked answers the user
        this._markUndone(message.undone);
        const pending = this._settle(origin);
        const request = pending?.kind === 'undo' ? { runId: pending.runId, force: pending.force } : null;
        return { kind: 'undo', message, request };
      }
      default:
        // frontend -> kernel requests seen on iopub (never sent there, but harmless)
        return { kind: 'ignored' };
    }
  }

  /** The request of this notebook the message answers, which is no longer awaited; null when none. */
  private _settle(origin: IOrigin): Pending | null {
    const pending = origin.parentMsgId === null ? undefined : this._pending.get(origin.parentMsgId);
    if (pending === undefined) {
      return null;
    }
    this._pending.delete(origin.parentMsgId!);
    return pending;
  }

  /** The runs of the requests of `kind` awaiting a reply. */
  private _awaited(kind: 'export' | 'undo'): ReadonlySet<string> {
    const runs = new Set<string>();
    this._pending.forEach(pending => pending.kind === kind && runs.add(pending.runId));
    return runs;
  }

  /** Mark the cells of the undone runs that are not marked yet (a cell already marked is left as it is). */
  private _markUndone(undone: readonly UndoneCells[]): void {
    const cells = undone.length > 0 ? this._cells() : null;
    if (cells) {
      const marks = undoneMarks(cells, undone);
      if (marks.length > 0) {
        cells.markUndone(marks);
      }
    }
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
  /** Requests awaiting a reply, by message id. */
  private _pending = new Map<string, Pending>();
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
