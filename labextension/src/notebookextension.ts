/**
 * What each notebook view gets when it is created, before its content loads: a toolbar button that opens the runs
 * panel (JupyterLab and Notebook 7, whose right sidebar is otherwise only under View › Right Sidebar), and the steps
 * link renderer in its rendermime, so the outputs rendered from the file already use it.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import { INotebookModel, INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { CommandToolbarButton } from '@jupyterlab/ui-components';
import { IDisposable } from '@lumino/disposable';

import { codeactIcon } from './icons';
import { LinkLocator, STEPS_RANK, stepsLinkFactory } from './stepslink';

/** The toolbar item's name (e.g. to place or hide it in the notebook toolbar's settings). */
export const TOOLBAR_ITEM = 'codeact-runs';

export interface INotebookExtensionOptions {
  commands: JupyterFrontEnd['commands'];
  /** The command that opens the runs panel. */
  openPanel: string;
  locate: LinkLocator;
}

export class NotebookExtension implements DocumentRegistry.IWidgetExtension<NotebookPanel, INotebookModel> {
  constructor(options: INotebookExtensionOptions) {
    this._options = options;
    this._factory = stepsLinkFactory(options.locate);
  }

  /** Extend the notebook views created from now on, and those the tracker has or gets that were created before. */
  register(docRegistry: DocumentRegistry, tracker: INotebookTracker): IDisposable {
    const registration = docRegistry.addWidgetExtension('Notebook', this);
    tracker.forEach(panel => this.createNew(panel));
    tracker.widgetAdded.connect((_, panel) => this.createNew(panel));
    return registration;
  }

  /** Extend `panel`, once. */
  createNew(panel: NotebookPanel): IDisposable | undefined {
    if (this._extended.has(panel)) {
      return undefined;
    }
    this._extended.add(panel);
    // a second view shares the first one's rendermime: the same factory, added again, replaces itself
    panel.content.rendermime.addFactory(this._factory, STEPS_RANK);
    const button = new CommandToolbarButton({
      commands: this._options.commands,
      id: this._options.openPanel,
      icon: codeactIcon,
      label: ''
    });
    if (!panel.toolbar.insertAfter('cellType', TOOLBAR_ITEM, button)) {
      panel.toolbar.addItem(TOOLBAR_ITEM, button);
    }
    return button;
  }

  private _options: INotebookExtensionOptions;
  private _extended = new WeakSet<NotebookPanel>();
  private _factory: ReturnType<typeof stepsLinkFactory>;
}
