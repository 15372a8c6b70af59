/**
 * {@link INotebookCells} over a JupyterLab notebook model: the planner reads the shared model and its changes go in
 * through it, so every view of the notebook (and every collaborator) sees them, and no file is written.
 */
import { INotebookModel, Notebook } from '@jupyterlab/notebook';

import { INotebookCells } from './insertion';
import { ICodeActCellMetadata, ITrajectoryCell } from './protocol';

/** The `metadata.codeact` of a cell model, or null. */
export function codeactMetadata(value: unknown): ICodeActCellMetadata | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'run_id' in value
    ? (value as ICodeActCellMetadata)
    : null;
}

export class ModelCells implements INotebookCells {
  /**
   * @param model - the notebook model.
   * @param views - the notebook widgets showing it now.
   */
  constructor(model: INotebookModel, views: () => Iterable<Notebook>) {
    this._model = model;
    this._views = views;
  }

  get length(): number {
    return this._model.sharedModel.cells.length;
  }

  id(index: number): string {
    return this._model.sharedModel.cells[index].getId();
  }

  codeact(index: number): ICodeActCellMetadata | null {
    return codeactMetadata(this._model.sharedModel.cells[index].getMetadata('codeact'));
  }

  source(index: number): string {
    return this._model.sharedModel.cells[index].getSource();
  }

  /**
   * One transaction, kept out of the user's undo history: an undo in the notebook undoes the user's own actions,
   * not the run's insertions.
   */
  apply(remove: readonly number[], at: number, cell: ITrajectoryCell): void {
    const shared = this._model.sharedModel;
    withoutSelectionTrim(this._views(), () => {
      shared.transact(() => {
        for (let i = remove.length - 1; i >= 0; i--) {
          shared.deleteCell(remove[i]);
        }
        shared.insertCell(at, cell as Parameters<typeof shared.insertCell>[1]);
      }, false);
    });
  }

  /** Delete the cells at `positions` (descending), out of the undo history. */
  remove(positions: readonly number[]): void {
    const shared = this._model.sharedModel;
    withoutSelectionTrim(this._views(), () => {
      shared.transact(() => positions.forEach(i => shared.deleteCell(i)), false);
    });
  }

  private _model: INotebookModel;
  private _views: () => Iterable<Notebook>;
}

/**
 * Run `change` with the views' selection trimming turned off.
 *
 * When a cell is inserted above the active cell, JupyterLab 4's `Notebook.onCellInserted` moves `activeCellIndex`
 * (the same cell stays active), and every move of `activeCellIndex` collapses the selection of every other rendered
 * editor (`Notebook._trimSelections`: one CodeMirror transaction per cell). The active cell does not change, and
 * the other cells' selections were trimmed when it became active, so there is nothing to trim; but it costs
 * O(cells) per inserted cell (about 5 ms per cell at 140 cells, half a second over a 50-step run). The private
 * method is shadowed on the instance for the duration of `change` only; if a JupyterLab version has no such method,
 * nothing is touched and its behaviour stays as it is.
 */
function withoutSelectionTrim(views: Iterable<Notebook>, change: () => void): void {
  const patched: { _trimSelections?: unknown }[] = [];
  for (const view of views) {
    const widget = view as unknown as { _trimSelections?: unknown };
    if (typeof widget._trimSelections === 'function' && !Object.prototype.hasOwnProperty.call(widget, '_trimSelections')) {
      widget._trimSelections = NOOP;
      patched.push(widget);
    }
  }
  try {
    change();
  } finally {
    for (const widget of patched) {
      delete widget._trimSelections;
    }
  }
}

function NOOP(): void {
  // nothing to trim: see withoutSelectionTrim
}
