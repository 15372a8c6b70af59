/**
 * What one notebook does with each codeact message from its kernel: check it, keep the runs, insert cells, match
 * replies to its own requests. Pure (no JupyterLab import): jest feeds it the schema fixtures and whole runs.
 */
import { INotebookCells, InsertionPlanner, InsertPlan, cellToInsert } from './insertion';
import { IExportMessage, KernelMessage, PROTOCOL_VERSION, parseMessage } from './protocol';
import { RunStore } from './runs';

/** Where a message came from, read from its Jupyter envelope. */
export interface IOrigin {
  /** The kernel connection of this notebook sent the request the message answers (`parent_header.session`). */
  startedHere: boolean;
  /** `parent_header.msg_id`, or null. */
  parentMsgId: string | null;
}

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
  /** The reply to this notebook's export request. */
  | { kind: 'export'; message: IExportMessage }
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

  /** Remember that a request with this message id was sent, so that its reply is recognised. */
  expectReply(msgId: string): void {
    this._pending.add(msgId);
  }

  /** Whether a reply to a request of this notebook is still awaited. */
  get waiting(): boolean {
    return this._pending.size > 0;
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
    const ours = origin.parentMsgId !== null && this._pending.delete(origin.parentMsgId);
    switch (message.type) {
      case 'runs':
      case 'run':
      case 'text':
        return this.runs.apply(message) ? { kind: 'runs' } : { kind: 'ignored' };
      case 'cell':
        return { kind: 'cell', plan: this._insert(message, origin.startedHere) };
      case 'export':
        return ours ? { kind: 'export', message } : { kind: 'ignored' };
      case 'error':
        return ours ? { kind: 'error', message: message.message } : { kind: 'ignored' };
      default:
        // frontend -> kernel requests seen on iopub (never sent there, but harmless)
        return { kind: 'ignored' };
    }
  }

  private _insert(message: Parameters<InsertionPlanner['plan']>[1], startedHere: boolean): InsertPlan {
    const cells = this._cells();
    if (!cells) {
      return { kind: 'skip', reason: 'not-ours' };
    }
    const plan = this.planner.plan(cells, message, startedHere);
    if (plan.kind === 'insert') {
      cells.apply(plan.remove, plan.at, cellToInsert(message));
    }
    if (plan.kind === 'insert' || (plan.kind === 'skip' && plan.reason === 'present')) {
      this.planner.commit(message);
    }
    return plan;
  }

  private _cells: () => INotebookCells | null;
  private _pending = new Set<string>();
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
