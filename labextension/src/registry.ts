/**
 * One {@link CodeActModel} per notebook document context, however many views the notebook has: a second view
 * shares the model, so a run's cells are inserted once. Each view gets its own cell marker.
 */
import { DocumentRegistry } from '@jupyterlab/docregistry';
import { INotebookModel, INotebookTracker, Notebook, NotebookPanel } from '@jupyterlab/notebook';

import { CellMarker } from './marking';
import { CodeActModel, ICodeActModelOptions } from './model';

export class ModelRegistry {
  constructor(options: Omit<ICodeActModelOptions, 'context'>) {
    this._options = options;
  }

  /** The model of `context`, created on first use and forgotten when the context is disposed. */
  ensure(context: DocumentRegistry.IContext<INotebookModel>): CodeActModel {
    let model = this._models.get(context);
    if (!model) {
      model = new CodeActModel({ ...this._options, context });
      this._models.set(context, model);
      context.disposed.connect(() => this._models.delete(context));
    }
    return model;
  }

  /** Follow every notebook view the tracker has and will have. */
  track(tracker: INotebookTracker): void {
    tracker.forEach(panel => this._watch(panel));
    tracker.widgetAdded.connect((_, panel) => this._watch(panel));
  }

  get(context: DocumentRegistry.IContext<INotebookModel>): CodeActModel | null {
    return this._models.get(context) ?? null;
  }

  /** The model of the notebook a followed view shows, or null. */
  forView(notebook: Notebook): CodeActModel | null {
    const context = this._contexts.get(notebook);
    return context ? this.get(context) : null;
  }

  private _watch(panel: NotebookPanel): void {
    this._contexts.set(panel.content, panel.context);
    this.ensure(panel.context).addView(panel.content);
    const marker = new CellMarker(panel.content);
    panel.disposed.connect(() => marker.dispose());
  }

  private _options: Omit<ICodeActModelOptions, 'context'>;
  private _models = new Map<DocumentRegistry.IContext<INotebookModel>, CodeActModel>();
  private _contexts = new WeakMap<Notebook, DocumentRegistry.IContext<INotebookModel>>();
}
