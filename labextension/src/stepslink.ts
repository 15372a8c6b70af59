/**
 * The renderer of `application/vnd.codeact.steps+json`, the line that ends a `%%codeact` cell's compact output
 * ("5 steps below ↓"): the line and a "Go to" button to the run's first cell while the run's cells are in this
 * notebook, "replaced by a later run" once a re-run of the cell replaced them, the plain line otherwise. What it shows
 * is decided by `locate.ts` (`goToTarget`, `stepsLinkView`), as for the panel's "Go to".
 *
 * The factory goes into each notebook's rendermime; a rendered link finds its notebook from where it sits in the page
 * (a second view shares the first one's rendermime).
 */
import { INotebookTracker, Notebook } from '@jupyterlab/notebook';
import { searchIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { StepsLink } from './generated/messages';
import { GoToTarget, IRunRef, STEPS_MIME, goToTarget, parseStepsLink, stepsLinkView } from './locate';
import { cellsOf, showCells } from './navigate';
import { ModelRegistry } from './registry';

/** A rendermime renderer factory, as a notebook's rendermime takes it. */
type RendererFactory = Parameters<Notebook['rendermime']['addFactory']>[0];
type Renderer = ReturnType<RendererFactory['createRenderer']>;
type MimeModel = Parameters<Renderer['renderModel']>[0];

/** Ahead of `text/plain` (rank 120) and the other standard renderers (100 and more). */
export const STEPS_RANK = 50;

/** The notebook view a rendered link sits in, and what is known of a run there. */
export interface ILinkPlace {
  notebook: Notebook;
  /** The run as the notebook's kernel listed it, or null (e.g. the kernel restarted since). */
  run(runId: string): IRunRef | null;
}

/** Finds the place of a rendered link from its node, or null (not in a notebook view: an output view, a console). */
export type LinkLocator = (node: HTMLElement) => ILinkPlace | null;

/** Links find their place among the tracker's notebook views, and their runs in the registry's models. */
export function notebookLocator(tracker: INotebookTracker, registry: ModelRegistry): LinkLocator {
  return node => {
    const panel = tracker.find(candidate => candidate.node.contains(node));
    if (!panel) {
      return null;
    }
    const model = registry.get(panel.context);
    return { notebook: panel.content, run: runId => model?.runs.find(run => run.run_id === runId) ?? null };
  };
}

/** The steps link renderer factory; safe (its text is set as text), so untrusted notebooks show it too. */
export function stepsLinkFactory(locate: LinkLocator): RendererFactory {
  return {
    safe: true,
    mimeTypes: [STEPS_MIME],
    defaultRank: STEPS_RANK,
    createRenderer: () => new StepsLinkRenderer(locate)
  };
}

class StepsLinkRenderer extends Widget implements Renderer {
  constructor(locate: LinkLocator) {
    super();
    this._locate = locate;
    this.addClass('jp-codeact-StepsLink');
    this._text = document.createElement('span');
    this._text.className = 'jp-codeact-stepsText';
    this._note = document.createElement('span');
    this._note.className = 'jp-codeact-stepsNote';
    this._button = document.createElement('button');
    this._button.type = 'button';
    this._button.className = 'jp-Button jp-mod-minimal jp-mod-small jp-codeact-stepsGoto';
    this._button.append(searchIcon.element({ tag: 'span', className: 'jp-codeact-buttonIcon' }), 'Go to');
    this._button.addEventListener('click', () => this._goTo());
    this.node.append(this._text, this._note, this._button);
  }

  async renderModel(model: MimeModel): Promise<void> {
    this._link = parseStepsLink(model.data[STEPS_MIME]);
    const plain = model.data['text/plain'];
    this._plain = typeof plain === 'string' ? plain : '';
    this._show();
  }

  /**
   * Where the link sits is known once it is in the page; from then on it follows the notebook's cells (a re-run that
   * replaces the run's cells, the user deleting them), looked at again once per frame at most.
   */
  protected onAfterAttach(): void {
    this._show();
    this._follow(this._link ? (this._locate(this.node)?.notebook ?? null) : null);
  }

  protected onBeforeDetach(): void {
    this._follow(null);
  }

  dispose(): void {
    this._follow(null);
    super.dispose();
  }

  private _follow(notebook: Notebook | null): void {
    const cells = notebook?.model?.cells ?? null;
    if (cells === this._cells) {
      return;
    }
    this._cells?.changed.disconnect(this._schedule, this);
    this._cells = cells;
    cells?.changed.connect(this._schedule, this);
  }

  /** After the change: the handler marks a run replaced once it has removed the cells. */
  private _schedule(): void {
    if (this._frame === null) {
      this._frame = requestAnimationFrame(() => {
        this._frame = null;
        if (!this.isDisposed) {
          this._show();
        }
      });
    }
  }

  private _target(link: StepsLink): { place: ILinkPlace; target: GoToTarget } | null {
    const place = this._locate(this.node);
    if (!place) {
      return null;
    }
    const run = place.run(link.run_id) ?? { run_id: link.run_id, cell_id: null, replaced_by: null };
    return { place, target: goToTarget(cellsOf(place.notebook), run) };
  }

  private _show(): void {
    const link = this._link;
    const found = link && this.isAttached ? this._target(link) : null;
    const view = link && found ? stepsLinkView(link, found.target) : null;
    this._text.textContent = link ? link.text : this._plain;
    this._note.textContent = view?.note ?? '';
    this._note.hidden = !view?.note;
    this._button.hidden = !view?.goTo;
    this._button.title = view?.title ?? '';
    this.node.dataset.state = found?.target.kind ?? 'plain';
  }

  private _goTo(): void {
    const link = this._link;
    const found = link ? this._target(link) : null;
    if (found?.target.kind === 'cells') {
      showCells(found.place.notebook, found.target.positions[0], found.target.positions);
    } else {
      this._show(); // the cells went away since: say so
    }
  }

  private _locate: LinkLocator;
  private _cells: NonNullable<Notebook['model']>['cells'] | null = null;
  private _frame: number | null = null;
  private _link: StepsLink | null = null;
  private _plain = '';
  private _text: HTMLElement;
  private _note: HTMLElement;
  private _button: HTMLButtonElement;
}
