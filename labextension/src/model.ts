/**
 * The codeact state of one notebook (one document context, shared by all its views): the kernel channel, the
 * kernel's runs, and the insertion of run cells into the notebook model. Disposed with the context.
 */
import { Notification } from '@jupyterlab/apputils';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import { INotebookModel, Notebook } from '@jupyterlab/notebook';
import { Contents } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { IIncoming, KernelChannel } from './channel';
import { exportPath } from './format';
import { IUndoRequest, MessageHandler, Outcome, versionMismatchText } from './handler';
import { duplicatePositions } from './insertion';
import { ModelCells } from './notebookcells';
import { ExportMessage, UndoMessage, request } from './protocol';
import { IRunView } from './runs';
import { confirmUndoText, laterRuns, undoAnswer } from './undo';
import { askUndoAnyway, confirmUndo, showUndoRefused, showUndone } from './undodialog';

/** The name of the performance measure taken around each cell message (see `benchmarks/bench_ui_insert.py`). */
export const INSERT_MEASURE = 'codeact:insert';

export interface ICodeActModelOptions {
  context: DocumentRegistry.IContext<INotebookModel>;
  /** Where exports are written. */
  contents: Contents.IManager;
  /** Opens a file in the application. */
  open: (path: string) => Promise<unknown>;
}

export class CodeActModel implements IDisposable {
  constructor(options: ICodeActModelOptions) {
    this.context = options.context;
    this._contents = options.contents;
    this._open = options.open;
    this._handler = new MessageHandler(() => (this.context.isReady ? this._cells : null));
    this._cells = new ModelCells(this.context.model, () => this._views);
    this._channel = new KernelChannel(this.context.sessionContext);
    this._channel.received.connect(this._onReceived, this);
    this._channel.reset.connect(this._onReset, this);
    this._channel.stateChanged.connect(() => this._changed.emit(), this);
    this._channel.promptChanged.connect(() => this._changed.emit(), this);
    this.context.disposed.connect(this.dispose, this);
    if (this.context.model.collaborative) {
      this.context.model.cells.changed.connect(this._scheduleDeduplication, this);
    }
  }

  readonly context: DocumentRegistry.IContext<INotebookModel>;

  /** The runs, their figures or the live reasoning changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The kernel's runs, newest first. */
  get runs(): IRunView[] {
    return this._handler.runs.list();
  }

  /** The run going on now, if any. */
  get live(): IRunView | undefined {
    return this._handler.runs.live();
  }

  /** Runs whose export was asked for and not answered yet (the kernel answers when it is idle). */
  get exporting(): ReadonlySet<string> {
    return this._handler.exporting;
  }

  /** Runs whose undo this page asked for and has no answer to yet. */
  get undoing(): ReadonlySet<string> {
    return this._handler.undoing;
  }

  /** The kernel has not answered this page's questions about its runs yet: runs may be missing for now. */
  get waitingForKernel(): boolean {
    return this._channel.syncPending;
  }

  /** Whether the notebook has a kernel to talk to. */
  get hasKernel(): boolean {
    return !!this._channel.kernel;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** A view of the notebook (a `Notebook` widget showing this model), until it is disposed. */
  addView(view: Notebook): void {
    this._views.add(view);
    view.disposed.connect(() => this._views.delete(view));
  }

  /** The run's prompt waiting on this page (`--approve`'s question of a step, or the model's question), or null. */
  get prompt(): string | null {
    return this._channel.prompt;
  }

  /** Answer the waiting prompt (`y`, `n`, `a`, `q` to an approval; the reply to a question); false when none waits. */
  answerPrompt(value: string): boolean {
    return this._channel.answerPrompt(value);
  }

  /** Interrupt the kernel: the run ends as "stopped" and keeps its steps. */
  async stop(): Promise<void> {
    await this._channel.interrupt();
  }

  /** Ask the kernel for run `runId` as a notebook; it is written beside this notebook and opened. */
  requestExport(runId: string): void {
    const msgId = this._channel.send(request('export_request', runId));
    if (msgId === null) {
      Notification.error('codeact: the notebook has no kernel to export the run from.', { autoClose: 5000 });
      return;
    }
    this._handler.expectReply(msgId, runId);
    this._changed.emit();
  }

  /**
   * Undo run `runId` (and every later run, newest first), once the user said so in a dialog: the kernel restores the
   * variables and files as they were before it, and the runs' cells stay, marked undone (in every notebook of the
   * kernel). The kernel's answer is shown here only (see {@link _answerUndo}).
   *
   * @returns whether the request was sent.
   */
  async undo(runId: string): Promise<boolean> {
    const later = laterRuns(this.runs, runId).map(run => run.run_id);
    if (!(await confirmUndo(confirmUndoText(runId, later))) || this._isDisposed) {
      return false;
    }
    return this._sendUndo({ runId, force: false });
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._channel.dispose();
    Signal.clearData(this);
  }

  private _onReceived(_sender: KernelChannel, incoming: IIncoming): void {
    if (!this.context.isReady) {
      // Only before the notebook is loaded; the kernel session starts after that, so in practice never.
      void this.context.ready.then(() => this._onReceived(_sender, incoming));
      return;
    }
    const start = performance.now();
    const outcome = this._handler.handle(incoming.data, incoming);
    if (outcome.kind === 'cell') {
      performance.measure(INSERT_MEASURE, {
        start,
        end: performance.now(),
        detail: { plan: outcome.plan.kind, reason: outcome.plan.kind === 'skip' ? outcome.plan.reason : null }
      });
    }
    this._react(outcome, incoming);
  }

  private _react(outcome: Outcome, incoming: IIncoming): void {
    switch (outcome.kind) {
      case 'runs':
        this._changed.emit();
        break;
      case 'version':
        if (!WARNED_KERNELS.has(incoming.kernelId)) {
          WARNED_KERNELS.add(incoming.kernelId);
          Notification.warning(versionMismatchText(outcome.version), { autoClose: false });
        }
        break;
      case 'invalid':
        console.warn(`codeact: dropped a message that breaks the protocol: ${outcome.reason}`);
        break;
      case 'export':
        this._changed.emit(); // no longer exporting
        void this._saveExport(outcome.message);
        break;
      case 'error':
        this._changed.emit();
        Notification.error(`codeact: ${outcome.message}`, { autoClose: 8000 });
        break;
      case 'undo':
        this._changed.emit(); // no longer undoing
        if (outcome.request) {
          void this._answerUndo(outcome.message, outcome.request);
        }
        break;
      default:
        break;
    }
  }

  private _sendUndo(undo: IUndoRequest): boolean {
    const msgId = this._channel.send(request('undo_request', undo.runId, undo.force));
    if (msgId === null) {
      Notification.error('codeact: the notebook has no kernel to undo the run in.', { autoClose: 5000 });
      return false;
    }
    this._handler.expectUndo(msgId, undo);
    this._changed.emit();
    return true;
  }

  /**
   * The kernel's answer to this page's undo request: the report as news when done; when the user changed names or
   * files since the runs, the report and "Undo anyway" (the request again, forced); otherwise the report.
   */
  private async _answerUndo(message: UndoMessage, undo: IUndoRequest): Promise<void> {
    const answer = undoAnswer(message);
    if (answer === 'done') {
      showUndone(message.report);
    } else if (answer === 'changed' && !undo.force) {
      if ((await askUndoAnyway(undo.runId, message.report)) && !this._isDisposed) {
        this._sendUndo({ runId: undo.runId, force: true });
      }
    } else {
      await showUndoRefused(undo.runId, message.report);
    }
  }

  /** Write the exported run beside the notebook, under a name no file has, and open it. */
  private async _saveExport(message: ExportMessage): Promise<void> {
    const notebookPath = this.context.localPath;
    const slash = notebookPath.lastIndexOf('/');
    const dir = slash < 0 ? '' : notebookPath.slice(0, slash);
    try {
      const listing = await this._contents.get(dir, { content: true, type: 'directory' });
      const taken = new Set<string>(
        ((listing.content ?? []) as Contents.IModel[]).map(item => item.name)
      );
      const path = exportPath(notebookPath, message.filename, taken);
      await this._contents.save(path, {
        type: 'notebook',
        format: 'json',
        content: message.notebook
      });
      Notification.success(`codeact: run ${message.run_id} exported to ${path}`, { autoClose: 5000 });
      await this._open(path);
    } catch (reason) {
      Notification.error(`codeact: could not export run ${message.run_id}: ${String(reason)}`, {
        autoClose: 8000
      });
    }
  }

  /** In a collaborative notebook, remove the copies of a cell that two clients inserted at the same time. */
  private _scheduleDeduplication(): void {
    if (this._dedupeScheduled) {
      return;
    }
    this._dedupeScheduled = true;
    requestAnimationFrame(() => {
      this._dedupeScheduled = false;
      if (this.isDisposed) {
        return;
      }
      const duplicates = duplicatePositions(this._cells);
      if (duplicates.length > 0) {
        this._cells.remove(duplicates);
      }
    });
  }

  private _onReset(): void {
    this._handler.reset();
    this._changed.emit();
  }

  private _handler: MessageHandler;
  private _cells: ModelCells;
  private _views = new Set<Notebook>();
  private _channel: KernelChannel;
  private _contents: Contents.IManager;
  private _open: (path: string) => Promise<unknown>;
  private _isDisposed = false;
  private _dedupeScheduled = false;
  private _changed = new Signal<this, void>(this);
}

/** Kernels whose protocol mismatch the user was told about (once per kernel, whichever notebook saw it). */
const WARNED_KERNELS = new Set<string>();
