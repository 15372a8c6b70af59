/**
 * The sidebar panel: follows the active notebook and shows its kernel's runs (see `runsview.tsx`). Stop interrupts
 * the kernel, Export asks the kernel for the run as a notebook, Go to scrolls to the run's cells.
 */
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { Notification } from '@jupyterlab/apputils';
import { Panel, Widget } from '@lumino/widgets';
import { SidePanel } from '@jupyterlab/ui-components';

import { codeactIcon } from './icons';
import { FLASH_CLASS } from './marking';
import { codeactMetadata } from './notebookcells';
import { ModelRegistry } from './registry';
import { IRunView } from './runs';
import { IRunActions, RunsView } from './runsview';

/** How long "Go to" highlights a run's cells, in milliseconds. */
const FLASH_MS = 1600;

export interface IRunsPanelOptions {
  tracker: INotebookTracker;
  registry: ModelRegistry;
}

export class RunsPanel extends SidePanel {
  constructor(options: IRunsPanelOptions) {
    super({ content: new Panel() });
    this.id = 'codeact-runs';
    this.addClass('jp-codeact-RunsPanel');
    this.title.icon = codeactIcon;
    this.title.caption = 'codeact runs';
    const heading = new Widget();
    heading.addClass('jp-codeact-heading');
    const title = document.createElement('h2');
    title.textContent = 'codeact runs';
    this._subtitle = document.createElement('div');
    this._subtitle.className = 'jp-codeact-subtitle';
    heading.node.append(title, this._subtitle);
    this.header.addWidget(heading);

    this._tracker = options.tracker;
    this._registry = options.registry;
    const actions: IRunActions = {
      stop: run => this._stop(run),
      exportRun: run => this._model()?.requestExport(run.run_id),
      goTo: run => this._goTo(run)
    };
    this._view = new RunsView(actions);
    this.addWidget(this._view);
    this._tracker.currentChanged.connect(this._follow, this);
    this._follow();
  }

  dispose(): void {
    this._tracker.currentChanged.disconnect(this._follow, this);
    super.dispose();
  }

  /** Show the runs of the active notebook. */
  private _follow(): void {
    const panel = this._tracker.currentWidget;
    this._current?.context.pathChanged.disconnect(this._retitle, this);
    this._current = panel;
    panel?.context.pathChanged.connect(this._retitle, this);
    this._view.model = panel ? this._registry.ensure(panel.context) : null;
    this._retitle();
  }

  private _retitle(): void {
    const panel = this._current;
    this._subtitle.textContent = panel ? (panel.context.localPath.split('/').pop() ?? '') : 'no notebook';
    this._subtitle.title = panel ? panel.context.localPath : '';
  }

  private _model() {
    return this._current ? this._registry.get(this._current.context) : null;
  }

  private _stop(run: IRunView): void {
    const model = this._model();
    if (!model) {
      return;
    }
    model.stop().catch(reason => {
      Notification.error(`codeact: could not interrupt the kernel: ${String(reason)}`, { autoClose: 5000 });
    });
  }

  /** Scroll to the run's first cell (or its %%codeact cell), make it active and highlight the run's cells. */
  private _goTo(run: IRunView): void {
    const panel: NotebookPanel | null = this._current;
    if (!panel) {
      return;
    }
    const notebook = panel.content;
    const widgets = notebook.widgets;
    const mine: number[] = [];
    widgets.forEach((cell, i) => {
      if (codeactMetadata(cell.model.getMetadata('codeact'))?.run_id === run.run_id) {
        mine.push(i);
      }
    });
    let target = mine.length > 0 ? mine[0] : -1;
    if (target < 0 && run.cell_id) {
      target = widgets.findIndex(cell => cell.model.id === run.cell_id);
    }
    if (target < 0) {
      Notification.info(`codeact: run ${run.run_id} has no cells in this notebook.`, { autoClose: 4000 });
      return;
    }
    notebook.deselectAll();
    notebook.activeCellIndex = target;
    void notebook.scrollToItem(target, 'start');
    for (const i of mine) {
      const cell = widgets[i];
      cell.addClass(FLASH_CLASS);
      window.setTimeout(() => cell.removeClass(FLASH_CLASS), FLASH_MS);
    }
  }

  private _tracker: INotebookTracker;
  private _registry: ModelRegistry;
  private _view: RunsView;
  private _subtitle: HTMLElement;
  private _current: NotebookPanel | null = null;
}
