/**
 * The sidebar panel: follows the active notebook and shows its kernel's runs (see `runsview.tsx`). Stop interrupts
 * the kernel, Export asks the kernel for the run as a notebook, Undo asks the kernel to undo the run (once the user
 * confirmed), Go to scrolls to the run's cells.
 */
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { Notification } from '@jupyterlab/apputils';
import { Panel, Widget } from '@lumino/widgets';
import { SidePanel } from '@jupyterlab/ui-components';

import { codeactIcon } from './icons';
import { goToTarget } from './locate';
import { cellsOf, showCells } from './navigate';
import { ModelRegistry } from './registry';
import { IRunView } from './runs';
import { IRunActions, RunsView } from './runsview';

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
      approve: answer => this._model()?.answerPrompt(answer),
      exportRun: run => this._model()?.requestExport(run.run_id),
      undoRun: run => void this._model()?.undo(run.run_id),
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

  /**
   * Scroll to the run's first cell, make it active and highlight the run's cells; with no cell of the run here, go to
   * its %%codeact cell and say why.
   */
  private _goTo(run: IRunView): void {
    const panel: NotebookPanel | null = this._current;
    if (!panel) {
      return;
    }
    const notebook = panel.content;
    const target = goToTarget(cellsOf(notebook), run);
    switch (target.kind) {
      case 'cells':
        showCells(notebook, target.positions[0], target.positions);
        break;
      case 'replaced':
        if (target.source >= 0) {
          showCells(notebook, target.source);
        }
        Notification.info(`codeact: the cells of run ${run.run_id} were replaced by run ${target.by}.`, {
          autoClose: 4000
        });
        break;
      case 'source':
        showCells(notebook, target.at);
        break;
      case 'absent':
        Notification.info(`codeact: run ${run.run_id} has no cells in this notebook.`, { autoClose: 4000 });
        break;
    }
  }

  private _tracker: INotebookTracker;
  private _registry: ModelRegistry;
  private _view: RunsView;
  private _subtitle: HTMLElement;
  private _current: NotebookPanel | null = null;
}
