/**
 * {@link INotebookCells} over a JupyterLab notebook model: the planner reads the shared model and its changes go in
 * through it, so every view of the notebook (and every collaborator) sees them, and no file is written.
 */
import { ICodeCellModel } from '@jupyterlab/cells';
import { INotebookModel, Notebook } from '@jupyterlab/notebook';

import { INotebookCells } from './insertion';
import { CellMetadata, Output, TrajectoryCell } from './protocol';

/** The `metadata.codeact` of a cell model, or null. */
export function codeactMetadata(value: unknown): CellMetadata | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'run_id' in value
    ? (value as CellMetadata)
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

  /**
   * Read once per cell and kept until the cell's metadata changes: the planner reads every cell for every message,
   * and `getMetadata` copies the value each time. The value is shared: never change it.
   */
  codeact(index: number): CellMetadata | null {
    const cell = this._model.sharedModel.cells[index];
    let meta = this._codeact.get(cell);
    if (meta === undefined) {
      meta = codeactMetadata(cell.getMetadata('codeact'));
      this._codeact.set(cell, meta);
      cell.changed.connect(this._onCellChanged, this); // once: a slot is connected at most once
    }
    return meta;
  }

  source(index: number): string {
    return this._model.sharedModel.cells[index].getSource();
  }

  /**
   * One transaction, kept out of the user's undo history: an undo in the notebook undoes the user's own actions,
   * not the run's insertions.
   */
  apply(remove: readonly number[], at: number, cell: TrajectoryCell): void {
    const shared = this._model.sharedModel;
    quietActiveCell(this._views(), () => {
      shared.transact(() => {
        for (let i = remove.length - 1; i >= 0; i--) {
          shared.deleteCell(remove[i]);
        }
        shared.insertCell(at, cell as Parameters<typeof shared.insertCell>[1]);
      }, false);
    });
  }

  /**
   * Replace the outputs in the shared model, in one transaction out of the undo history; the cell's output area
   * follows the shared model. A cell that is not a code cell (any more) is left alone.
   */
  setOutputs(index: number, outputs: Output[]): void {
    const cell = this._model.cells.get(index);
    if (cell?.type !== 'code') {
      return;
    }
    const shared = (cell as ICodeCellModel).sharedModel;
    this._model.sharedModel.transact(() => shared.setOutputs(outputs as Parameters<typeof shared.setOutputs>[0]), false);
  }

  /**
   * Set `codeact.undone` through each cell model's metadata (saved with the notebook, which becomes dirty), in one
   * transaction out of the undo history: the notebook's undo does not take the mark off.
   */
  markUndone(marks: readonly { index: number; at: string }[]): void {
    if (marks.length === 0) {
      return;
    }
    this._model.sharedModel.transact(() => {
      for (const { index, at } of marks) {
        const cell = this._model.cells.get(index);
        const meta = cell ? codeactMetadata(cell.getMetadata('codeact')) : null;
        if (cell && meta && meta.undone === undefined) {
          cell.setMetadata('codeact', { ...meta, undone: at });
        }
      }
    }, false);
  }

  /** Delete the cells at `positions` (descending), out of the undo history. */
  remove(positions: readonly number[]): void {
    const shared = this._model.sharedModel;
    quietActiveCell(this._views(), () => {
      shared.transact(() => positions.forEach(i => shared.deleteCell(i)), false);
    });
  }

  private _onCellChanged(cell: SharedCell, change: { metadataChange?: unknown }): void {
    if (change.metadataChange) {
      this._codeact.delete(cell);
    }
  }

  private _model: INotebookModel;
  private _views: () => Iterable<Notebook>;
  private _codeact = new WeakMap<SharedCell, CellMetadata | null>();
}

/** A cell of the shared notebook model. */
type SharedCell = INotebookModel['sharedModel']['cells'][number];

/**
 * Run `change` with each view's active cell kept quietly where it is.
 *
 * When a cell is inserted above the active cell, JupyterLab 4's `Notebook.onCellInserted` moves `activeCellIndex`
 * by one: the same cell stays active, but the setter emits `activeCellChanged` and collapses the selection of every
 * other rendered editor (`Notebook._trimSelections`, one CodeMirror transaction per cell). On that signal the cell
 * toolbar is taken off the active cell and built again, and the notebook tools and the table of contents refresh:
 * well over half the frontend time of an inserted cell, for a cell that did not change (the cell counter reads the
 * index again on the model's content change that follows). So during `change`, a move of `activeCellIndex` that
 * keeps the same cell active only updates the index; a move to another cell (a `replace` removed the active cell)
 * goes through JupyterLab's setter as usual. The property is shadowed on the instance for the duration of `change`
 * only; with a JupyterLab version that has no such accessor or field, nothing is touched.
 */
function quietActiveCell(views: Iterable<Notebook>, change: () => void): void {
  const patched: Notebook[] = [];
  for (const view of views) {
    const accessor = activeCellIndexAccessor(view);
    if (accessor) {
      Object.defineProperty(view, 'activeCellIndex', {
        configurable: true,
        get: () => accessor.get.call(view),
        set: (index: number) => {
          const active = view.activeCell;
          if (active !== null && view.widgets[index] === active) {
            (view as unknown as IActiveIndex)._activeCellIndex = index;
          } else {
            accessor.set.call(view, index);
          }
        }
      });
      patched.push(view);
    }
  }
  try {
    change();
  } finally {
    for (const view of patched) {
      delete (view as unknown as { activeCellIndex?: number }).activeCellIndex;
    }
  }
}

/** The private field behind `Notebook.activeCellIndex` (JupyterLab 4). */
interface IActiveIndex {
  _activeCellIndex: number;
}

/** JupyterLab's `activeCellIndex` accessor of `view`, if the view has it and its field, and no shadow yet. */
function activeCellIndexAccessor(view: Notebook): { get: () => number; set: (index: number) => void } | null {
  if (Object.prototype.hasOwnProperty.call(view, 'activeCellIndex')) {
    return null;
  }
  if (typeof (view as unknown as Partial<IActiveIndex>)._activeCellIndex !== 'number') {
    return null;
  }
  for (let proto = Object.getPrototypeOf(view); proto; proto = Object.getPrototypeOf(proto)) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, 'activeCellIndex');
    if (descriptor) {
      return descriptor.get && descriptor.set ? { get: descriptor.get, set: descriptor.set } : null;
    }
  }
  return null;
}
