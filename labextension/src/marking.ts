/**
 * The visual cue on cells a codeact run inserted, in every view, whether the cell arrived live or was loaded from
 * the file: a class (a thin rule in the prompt gutter) and a small badge beside the prompt whose tooltip says what
 * the cell is (`Inserted by %%codeact: step 2, run r-…`). A cell whose run was undone (`metadata.codeact.undone`) is
 * greyed too, with an "undone" badge under the spark; the marks follow the metadata as it changes. The style is in
 * `style/base.css`.
 */
import { Cell, ICellModel } from '@jupyterlab/cells';
import { Notebook } from '@jupyterlab/notebook';
import { IObservableList } from '@jupyterlab/observables';
import { IDisposable } from '@lumino/disposable';
import { Signal } from '@lumino/signaling';

import { sparkIcon } from './icons';
import { codeactMetadata } from './notebookcells';
import { CellMetadata } from './protocol';
import { UNDONE_CLASS } from './undo';

/** The class of a cell a codeact run inserted. */
export const CODEACT_CELL_CLASS = 'jp-codeact-Cell';

/** The class that briefly highlights a run's cells after "Go to". */
export const FLASH_CLASS = 'jp-codeact-flash';

/** The class of the mark in a marked cell's prompt gutter: a thin rule and a badge. */
const MARK_CLASS = 'jp-codeact-mark';

/** The class of the "undone" badge in the mark of an undone cell. */
const UNDONE_BADGE_CLASS = 'jp-codeact-undoneBadge';

/** What a marked cell is, in a few words: `step 2`, `reasoning`, `answer`... */
export function cellLabel(meta: CellMetadata): string {
  if (meta.role === 'step') {
    return meta.step !== undefined ? `step ${meta.step}` : 'step';
  }
  return meta.role ?? 'cell';
}

/**
 * Mark one cell widget after its model's `metadata.codeact`: a class, data attributes, and a real element in the
 * prompt gutter (not a pseudo-element: Notebook 7 draws its page margins with the cells' `::before`). Marking a
 * cell twice changes nothing.
 */
export function markCell(cell: Cell): void {
  const meta = codeactMetadata(cell.model.getMetadata('codeact'));
  let mark = cell.node.querySelector<HTMLElement>(`:scope > .${MARK_CLASS}`);
  if (meta) {
    const label = cellLabel(meta);
    cell.addClass(CODEACT_CELL_CLASS);
    cell.node.dataset.codeactRole = meta.role;
    cell.node.dataset.codeactLabel = label;
    cell.node.dataset.codeactRun = meta.run_id;
    if (!mark) {
      mark = newMark();
      cell.node.appendChild(mark);
    }
    const undone = typeof meta.undone === 'string' ? meta.undone : null;
    const inserted = `Inserted by %%codeact: ${label}, run ${meta.run_id}`;
    (mark.firstElementChild as HTMLElement).title = undone ? `${inserted}; undone ${undone}` : inserted;
    markUndone(cell, mark, undone);
  } else if (cell.hasClass(CODEACT_CELL_CLASS)) {
    cell.removeClass(CODEACT_CELL_CLASS);
    delete cell.node.dataset.codeactRole;
    delete cell.node.dataset.codeactLabel;
    delete cell.node.dataset.codeactRun;
    markUndone(cell, null, null);
    mark?.remove();
  }
}

/** Grey the cell and badge its mark when its run was undone (`undone`: when), or take both off. */
function markUndone(cell: Cell, mark: HTMLElement | null, undone: string | null): void {
  let badge = mark?.querySelector<HTMLElement>(`:scope > .${UNDONE_BADGE_CLASS}`) ?? null;
  if (undone !== null && mark) {
    cell.addClass(UNDONE_CLASS);
    cell.node.dataset.codeactUndone = undone;
    if (!badge) {
      badge = document.createElement('span');
      badge.className = UNDONE_BADGE_CLASS;
      badge.textContent = 'undone';
      mark.appendChild(badge);
    }
    badge.title = `Undone ${undone}: the variables and files are as they were before its run; the cell stays`;
  } else if (cell.hasClass(UNDONE_CLASS) || badge) {
    cell.removeClass(UNDONE_CLASS);
    delete cell.node.dataset.codeactUndone;
    badge?.remove();
  }
}

/** A fresh mark: a copy of one built with the spark icon on first use (cheaper than building each). */
function newMark(): HTMLElement {
  if (!markTemplate) {
    markTemplate = document.createElement('div');
    markTemplate.className = MARK_CLASS;
    markTemplate.appendChild(sparkIcon.element({ tag: 'span', className: 'jp-codeact-badge' }));
  }
  return markTemplate.cloneNode(true) as HTMLElement;
}

let markTemplate: HTMLElement | null = null;

/** Keeps the cells of one notebook view marked, as they are added and as their metadata changes. */
export class CellMarker implements IDisposable {
  constructor(notebook: Notebook) {
    this._notebook = notebook;
    notebook.modelChanged.connect(this._onModelChanged, this);
    this._onModelChanged();
  }

  get isDisposed(): boolean {
    return this._notebook === null;
  }

  dispose(): void {
    const notebook = this._notebook;
    if (!notebook) {
      return;
    }
    this._notebook = null;
    Signal.disconnectReceiver(this);
  }

  private _onModelChanged(): void {
    this._model?.cells.changed.disconnect(this._onCellsChanged, this);
    this._model = this._notebook?.model ?? null;
    this._model?.cells.changed.connect(this._onCellsChanged, this);
    this._notebook?.widgets.forEach(cell => this._mark(cell));
  }

  /** The notebook connected to the same signal first, so the new cells' widgets exist by now. */
  private _onCellsChanged(_sender: unknown, change: IObservableList.IChangedArgs<ICellModel>): void {
    const notebook = this._notebook;
    if (!notebook || (change.type !== 'add' && change.type !== 'set')) {
      return;
    }
    const widgets = notebook.widgets;
    for (let i = change.newIndex; i < change.newIndex + change.newValues.length && i < widgets.length; i++) {
      this._mark(widgets[i]);
    }
  }

  /** Mark the cell now, and again whenever its metadata changes (connected once: Lumino ignores a second connect). */
  private _mark(cell: Cell): void {
    markCell(cell);
    cell.model.metadataChanged.connect(this._onMetadataChanged, this);
  }

  /** Only `codeact` matters: the cell marked undone (by this page, another one, or a collaborator). */
  private _onMetadataChanged(model: ICellModel, change: { key: string }): void {
    if (change.key !== 'codeact') {
      return;
    }
    const cell = this._notebook?.widgets.find(widget => widget.model === model);
    if (cell) {
      markCell(cell);
    }
  }

  private _notebook: Notebook | null;
  private _model: Notebook['model'] = null;
}
