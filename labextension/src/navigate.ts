/**
 * "Go to" in a notebook view: the run's first cell (or its `%%codeact` cell) made active and scrolled to the top, the
 * run's cells briefly highlighted. Where to go is decided by `locate.ts`; the panel and the steps link both come here.
 */
import { Notebook } from '@jupyterlab/notebook';

import { ICellsView } from './locate';
import { FLASH_CLASS } from './marking';
import { codeactMetadata } from './notebookcells';

/** How long "Go to" highlights a run's cells, in milliseconds. */
const FLASH_MS = 1600;

/** The cells of a notebook view's model, as `locate.ts` reads them (none while it has no model). */
export function cellsOf(notebook: Notebook): ICellsView {
  const cells = notebook.model?.sharedModel.cells ?? [];
  return {
    length: cells.length,
    id: i => cells[i].getId(),
    codeact: i => codeactMetadata(cells[i].getMetadata('codeact'))
  };
}

/** Make the cell at `target` active, scroll it to the top, and highlight the cells at `flash`. */
export function showCells(notebook: Notebook, target: number, flash: readonly number[] = []): void {
  notebook.deselectAll();
  notebook.activeCellIndex = target;
  void notebook.scrollToItem(target, 'start');
  const widgets = notebook.widgets;
  for (const i of flash) {
    const cell = widgets[i];
    if (cell) {
      cell.addClass(FLASH_CLASS);
      window.setTimeout(() => cell.removeClass(FLASH_CLASS), FLASH_MS);
    }
  }
}
