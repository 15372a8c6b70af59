/**
 * What a `%%codeact` cell becomes once its execution ended:
 * - its execution count reads top to bottom: the kernel runs each step of a `%%codeact` cell as its own execution,
 *   so the cell's execute reply carries the last step's count and JupyterLab would show [10] on the cell above its
 *   steps [5]…[9]; the count goes back to the one the cell got when it started, [4] (`RunSummary.execution_count`,
 *   or a follow-up's; see `restoredExecutionCount` in `runs.ts`);
 * - its outputs are the compact ones when the kernel could not make them so (`compactedOutputs` in `runs.ts`): the
 *   run started before this page's comm reached the kernel (Run All), so the kernel showed the whole transcript,
 *   while this page inserted the run's cells; the transcript would otherwise be in the notebook twice.
 */
import { ICellModel, ICodeCellModel } from '@jupyterlab/cells';
import { Notebook, NotebookActions } from '@jupyterlab/notebook';
import { IDisposable } from '@lumino/disposable';

import { runCellPositions } from './locate';
import { CodeActModel } from './model';
import { cellsOf } from './navigate';
import { Output } from './protocol';
import { compactedOutputs, newestExecutionOfCell, restoredExecutionCount } from './runs';

type Scheduled = Parameters<Parameters<typeof NotebookActions.executionScheduled.connect>[0]>[1];
type Executed = Parameters<Parameters<typeof NotebookActions.executed.connect>[0]>[1];

export class ExecutionCounts implements IDisposable {
  /**
   * @param modelOf - the codeact model of a notebook view, or null (not a notebook the registry follows).
   */
  constructor(modelOf: (notebook: Notebook) => CodeActModel | null) {
    this._modelOf = modelOf;
    NotebookActions.executionScheduled.connect(this._onScheduled, this);
    NotebookActions.executed.connect(this._onExecuted, this);
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    NotebookActions.executionScheduled.disconnect(this._onScheduled, this);
    NotebookActions.executed.disconnect(this._onExecuted, this);
  }

  /** Remember the cell's newest run before it runs: a run of this execution is one that was not there yet. */
  private _onScheduled(_: unknown, { notebook, cell }: Scheduled): void {
    const model = this._modelOf(notebook);
    if (model && cell.model.type === 'code') {
      this._before.set(cell.model, newestExecutionOfCell(model.runs, cell.model.id)?.token ?? null);
    }
  }

  private _onExecuted(_: unknown, { notebook, cell }: Executed): void {
    if (!this._before.has(cell.model)) {
      return;
    }
    const before = this._before.get(cell.model) ?? null;
    this._before.delete(cell.model);
    const model = this._modelOf(notebook);
    if (!model || cell.isDisposed || cell.model.type !== 'code') {
      return;
    }
    const code = cell.model as ICodeCellModel;
    const execution = newestExecutionOfCell(model.runs, code.id);
    const count = restoredExecutionCount(execution, before, code.executionCount);
    const ours = execution !== undefined && execution.token !== before;
    const run = ours ? model.runs.find(r => r.run_id === execution.run_id) : undefined;
    const current = code.sharedModel.getOutputs() as unknown as Output[];
    const outputs = compactedOutputs(run, current, run ? runCellPositions(cellsOf(notebook), run.run_id).length : 0);
    if (count !== null || outputs !== null) {
      // out of the undo history, as the reply's own count and outputs
      notebook.model?.sharedModel.transact(() => {
        if (count !== null) {
          code.executionCount = count;
        }
        if (outputs !== null) {
          code.sharedModel.setOutputs(outputs as Parameters<typeof code.sharedModel.setOutputs>[0]);
        }
      }, false);
    }
  }

  private _modelOf: (notebook: Notebook) => CodeActModel | null;
  private _before = new WeakMap<ICellModel, string | null>();
  private _isDisposed = false;
}
