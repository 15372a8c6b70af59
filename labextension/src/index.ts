/**
 * codeact-magic: the JupyterLab (and Notebook 7) side of `%%codeact`.
 *
 * Plugin declarations only; the logic lives in `model.ts` (one per notebook), `insertion.ts`, `channel.ts`,
 * `marking.ts`, `counts.ts`, the steps link (`stepslink.ts`, `locate.ts`), the notebook toolbar button
 * (`notebookextension.ts`) and the panel (`panel.ts`, `runsview.tsx`).
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';

import { ExecutionCounts } from './counts';
import { codeactIcon } from './icons';
import { NotebookExtension } from './notebookextension';
import { RunsPanel } from './panel';
import { ModelRegistry } from './registry';
import { notebookLocator } from './stepslink';

namespace CommandIDs {
  export const openPanel = 'codeact:open-panel';
}

/**
 * Inserts each run's cells into the notebook that started it, marks them, gives the `%%codeact` cell back its own
 * execution count, renders the steps link, and adds the runs panel to the right sidebar with a command (palette and
 * notebook toolbar) to open it (JupyterLab and Notebook 7). Does nothing on pages without notebooks.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'codeact-magic:plugin',
  description: 'Inserts %%codeact runs live as notebook cells and shows the kernel runs in a sidebar panel.',
  autoStart: true,
  optional: [INotebookTracker, ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ) => {
    if (!tracker) {
      return;
    }
    const registry = new ModelRegistry({
      contents: app.serviceManager.contents,
      open: path => app.commands.execute('docmanager:open', { path })
    });
    registry.track(tracker);
    new ExecutionCounts(notebook => registry.forView(notebook));

    const panel = new RunsPanel({ tracker, registry });
    app.shell.add(panel, 'right', { rank: 650 });
    restorer?.add(panel, panel.id);

    app.commands.addCommand(CommandIDs.openPanel, {
      label: 'Show codeact Runs',
      caption: 'Show the %%codeact runs of this notebook’s kernel (tokens, cost, Go to, Export)',
      icon: codeactIcon,
      execute: () => app.shell.activateById(panel.id)
    });
    palette?.addItem({ command: CommandIDs.openPanel, category: 'codeact' });
    new NotebookExtension({
      commands: app.commands,
      openPanel: CommandIDs.openPanel,
      locate: notebookLocator(tracker, registry)
    }).register(app.docRegistry, tracker);
  }
};

export default plugin;
