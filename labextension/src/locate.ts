/**
 * Where a run's cells are in a notebook, for the panel's "Go to" and the steps link's: the one answer to "where do I
 * go for run r-…, and what do I say if I can't". Pure (over {@link INotebookCells}' reading side), tested by jest.
 */
import { INotebookCells } from './insertion';
import { StepsLink } from './generated/messages';
import { DATA_VALIDATORS } from './generated/validate';

/** The MIME type of the line that ends a `%%codeact` cell's compact output ("5 steps below ↓"). */
export const STEPS_MIME = 'application/vnd.codeact.steps+json';

/** What the locator reads of a notebook. */
export type ICellsView = Pick<INotebookCells, 'length' | 'id' | 'codeact'>;

/** A run as the locator needs it. */
export interface IRunRef {
  run_id: string;
  /** The `%%codeact` cell that started it, or null. */
  cell_id: string | null;
  /** The run that replaced its cells ({@link IRunView.replaced_by}), or null. */
  replaced_by: string | null;
}

export type GoToTarget =
  /** The run's cells, at these positions (ascending); go to the first. */
  | { kind: 'cells'; positions: number[] }
  /** A later run of the same cell replaced the run's cells; `source` is the `%%codeact` cell's position, or -1. */
  | { kind: 'replaced'; by: string; source: number }
  /** No cell of the run here, but its `%%codeact` cell is (the cells were deleted, or never inserted). */
  | { kind: 'source'; at: number }
  /** Nothing of the run in this notebook. */
  | { kind: 'absent' };

/** Positions of the cells run `runId` inserted, in notebook order. */
export function runCellPositions(cells: ICellsView, runId: string): number[] {
  const positions: number[] = [];
  for (let i = 0; i < cells.length; i++) {
    if (cells.codeact(i)?.run_id === runId) {
      positions.push(i);
    }
  }
  return positions;
}

/** Where "Go to" takes the user for `run`. Cells of the run that are still here win over a replacement. */
export function goToTarget(cells: ICellsView, run: IRunRef): GoToTarget {
  const positions = runCellPositions(cells, run.run_id);
  if (positions.length > 0) {
    return { kind: 'cells', positions };
  }
  let source = -1;
  if (run.cell_id !== null) {
    for (let i = 0; i < cells.length && source < 0; i++) {
      if (cells.id(i) === run.cell_id) {
        source = i;
      }
    }
  }
  if (run.replaced_by !== null) {
    return { kind: 'replaced', by: run.replaced_by, source };
  }
  return source >= 0 ? { kind: 'source', at: source } : { kind: 'absent' };
}

/** The `StepsLink` of an output's MIME data, or null when it breaks the schema. */
export function parseStepsLink(data: unknown): StepsLink | null {
  return DATA_VALIDATORS.StepsLink(data) ? data : null;
}

/** What the steps link shows. */
export interface IStepsLinkView {
  /** The line, e.g. `5 steps below ↓`. */
  text: string;
  /** Whether it has a working "Go to" button. */
  goTo: boolean;
  /** A remark after the line (`replaced by a later run`), or null. */
  note: string | null;
  /** The button's tooltip. */
  title: string;
}

/**
 * The steps link as it should show for `target`: the line with "Go to" while the run's cells are here, the line with
 * "replaced by a later run" once they were replaced, the plain line otherwise (another notebook, an exported copy).
 */
export function stepsLinkView(link: StepsLink, target: GoToTarget): IStepsLinkView {
  switch (target.kind) {
    case 'cells':
      return {
        text: link.text,
        goTo: true,
        note: null,
        title: `Scroll to the ${cellsWord(target.positions.length)} of run ${link.run_id}`
      };
    case 'replaced':
      return {
        text: link.text,
        goTo: false,
        note: 'replaced by a later run',
        title: `The cells of run ${link.run_id} were replaced by run ${target.by}`
      };
    default:
      return { text: link.text, goTo: false, note: null, title: '' };
  }
}

function cellsWord(n: number): string {
  return n === 1 ? 'cell' : `${n} cells`;
}
