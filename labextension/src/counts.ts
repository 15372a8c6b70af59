/**
 * Execution counts that read top to bottom: the kernel runs each step of a `%%codeact` cell as its own execution, so
 * the cell's execute reply carries the last step's count and JupyterLab would show [10] on the cell above its steps
 * [5]…[9]. Once the cell's execution ended, its count goes back to the one it got when it started, [4]
 * (`RunSummary.execution_count`, or a follow-up's; see `restoredExecutionCount` in `runs.ts`).
 */
import { ICellModel, ICodeCellModel } from '@jupyterlab/cells';
import { Notebook, NotebookActions } from '@jupyterlab/notebook';
import { IDisposable } from '@lumino/disposable';

import { CodeActModel } from './model';
import { newestExecutionOfCell, restoredExecutionCount } from './runs';

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
    const count = restoredExecutionCount(newestExecutionOfCell(model.runs, code.id), before, code.executionCount);
    if (count !== null) {
      // out of the undo history, as the reply's own count
      notebook.model?.sharedModel.transact(() => {
        code.executionCount = count;
      }, false);
    }
  }

  private _modelOf: (notebook: Notebook) => CodeActModel | null;
  private _before = new WeakMap<ICellModel, string | null>();
  private _isDisposed = false;
}
