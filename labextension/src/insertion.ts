/**
 * Where a run's cell goes in the notebook, and whether it goes in at all: ordering, de-duplication, replace and
 * append. Pure logic over {@link INotebookCells}, so jest drives it with a plain array; `notebookcells.ts` implements
 * the interface over a JupyterLab notebook model.
 *
 * The rules (see also the README of the extension):
 * - A key (`metadata.codeact.key`, an identity only) is inserted at most once per notebook model: not if a cell of
 *   the notebook already carries it (a reload, a second view, a re-delivered message), and not if it was handled
 *   before in this model (so a cell the user deleted stays deleted).
 * - A cell goes after the present cell of its run with the greatest lower index (or before the one with the least
 *   higher index), so the run's cells stay in order even around the user's own cells. The index is the integer
 *   `metadata.codeact.index`, never read out of the key. A cell of the run without one (saved by an older version)
 *   has no known position: it is left out of the ordering, and still counts for the key and for replace/append.
 *   Every cell inserted here carries the index of its message. Only the cells of the same `%%codeact` cell count
 *   (`metadata.codeact.source_cell_id`, the message's `cell_id`): a follow-up (`%%codeact --continue`) goes on with
 *   the same run from another cell, and its cells go below that cell, not after the run's earlier cells.
 * - The first cell of a run goes right below its `%%codeact` cell (the anchor, found by id). With `replace`, the
 *   block of earlier runs' cells of that anchor right below it is removed first, except the cells the user edited
 *   (their source no longer matches the hash taken at insertion, or there is no hash): those stay, below the new
 *   run's cells. With `append`, the new run's cells go after that block.
 * - With no anchor in this notebook, the cell goes at the end, but only when this notebook's own kernel connection
 *   started the run (another notebook or a console on the same kernel does not get it).
 */
import { CellMessage, CellMetadata, Output, TrajectoryCell } from './protocol';

/** The notebook as the planner sees it. Indices are positions in the notebook. */
export interface INotebookCells {
  readonly length: number;
  /** The cell's nbformat id. */
  id(index: number): string;
  /** `metadata.codeact` of the cell, or null for the user's own cells. */
  codeact(index: number): CellMetadata | null;
  /** The cell's current source. */
  source(index: number): string;
  /**
   * Remove the cells at `remove` (ascending positions), then insert `cell` at `at` (a position after the removal),
   * as one change of the model.
   */
  apply(remove: readonly number[], at: number, cell: TrajectoryCell): void;
  /** Replace the outputs of the code cell at `index` with `outputs`, as one change of the model. */
  setOutputs(index: number, outputs: Output[]): void;
  /**
   * Set `metadata.codeact.undone` to `at` on the cell at each `index` (its run was undone; the cell stays), as one
   * change of the model. Nothing else of the cells changes.
   */
  markUndone(marks: readonly { index: number; at: string }[]): void;
}

/** Why a cell was not inserted. */
export type SkipReason =
  /** `insert_mode` is `none` (`--no-insert`). */
  | 'no-insert'
  /** A cell of the notebook already carries the key (reload, second view, message seen twice). */
  | 'present'
  /** The key was handled in this model before: inserted, then deleted by the user. */
  | 'handled'
  /** No anchor cell in this notebook and the run was not started from it. */
  | 'not-ours';

export type InsertPlan =
  | { kind: 'skip'; reason: SkipReason }
  | { kind: 'insert'; at: number; remove: number[] };

/** A cheap, stable fingerprint of a cell's source (32-bit FNV-1a, hex), to tell whether the user edited it. */
export function sourceHash(source: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < source.length; i++) {
    hash ^= source.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/**
 * Decides where each cell of a run goes in one notebook model, and remembers what it handled.
 *
 * One planner per notebook model (not per view): two views of one notebook share it.
 */
export class InsertionPlanner {
  /** Keys handled in this model: inserted, found present, or deliberately skipped. */
  readonly handledKeys = new Set<string>();
  /** Runs that have had a cell planned in this model. */
  readonly seenRuns = new Set<string>();

  /**
   * Plan the insertion of one `cell` message.
   *
   * @param cells - the notebook now.
   * @param message - the message.
   * @param startedHere - whether this notebook's kernel connection sent the execute request that started the run.
   */
  plan(cells: INotebookCells, message: CellMessage, startedHere: boolean): InsertPlan {
    const { key, run_id: runId, index } = message;
    if (message.insert_mode === 'none') {
      return { kind: 'skip', reason: 'no-insert' };
    }
    if (this.handledKeys.has(key)) {
      return { kind: 'skip', reason: 'handled' };
    }
    // One pass: the key, this run's cells, the anchor.
    let anchor = -1;
    let before = -1; // position of this run's present cell with the greatest index below `index`
    let beforeIndex = -Infinity;
    let after = -1; // position of this run's present cell with the least index above `index`
    let afterIndex = Infinity;
    for (let i = 0; i < cells.length; i++) {
      const meta = cells.codeact(i);
      if (meta) {
        if (meta.key === key) {
          return { kind: 'skip', reason: 'present' };
        }
        const k = meta.index;
        if (meta.run_id === runId && typeof k === 'number' && sameSource(meta, message)) {
          if (k < index && k > beforeIndex) {
            before = i;
            beforeIndex = k;
          } else if (k > index && k < afterIndex) {
            after = i;
            afterIndex = k;
          }
        }
      }
      if (anchor < 0 && message.cell_id !== null && cells.id(i) === message.cell_id) {
        anchor = i;
      }
    }
    if (before >= 0) {
      return { kind: 'insert', at: before + 1, remove: [] };
    }
    if (after >= 0) {
      return { kind: 'insert', at: after, remove: [] };
    }
    if (anchor < 0) {
      return startedHere
        ? { kind: 'insert', at: cells.length, remove: [] }
        : { kind: 'skip', reason: 'not-ours' };
    }
    // The run's first cell in this notebook: right below the anchor, or after earlier runs' cells.
    const block = earlierRunsBlock(cells, anchor, message);
    if (message.insert_mode === 'append') {
      return { kind: 'insert', at: anchor + 1 + block.length, remove: [] };
    }
    const remove = this.seenRuns.has(runId) ? [] : block.filter(i => !edited(cells, i));
    return { kind: 'insert', at: anchor + 1, remove };
  }

  /** Record that `message` was dealt with (inserted, or found present): its key is never inserted again here. */
  commit(message: CellMessage): void {
    this.handledKeys.add(message.key);
    this.seenRuns.add(message.run_id);
  }
}

/**
 * Positions of cells whose key an earlier cell of the notebook already carries (later copies, descending), or [].
 *
 * Only for collaborative notebooks: two browsers sharing one document model each receive the kernel's message and
 * may both insert before seeing the other's insertion. Once the copies have reached a client they are in the same
 * order everywhere, so every client removes the same later copy.
 */
export function duplicatePositions(cells: INotebookCells): number[] {
  const seen = new Set<string>();
  const duplicates: number[] = [];
  for (let i = 0; i < cells.length; i++) {
    const key = cells.codeact(i)?.key;
    if (key === undefined) {
      continue;
    }
    if (seen.has(key)) {
      duplicates.push(i);
    } else {
      seen.add(key);
    }
  }
  return duplicates.reverse();
}

/**
 * The cell to insert for `message`: the kernel's cell, with the message's index and the source hash in
 * `metadata.codeact`, code cells trusted (their outputs come from this kernel, as when the user runs a cell), and a
 * fresh id.
 */
export function cellToInsert(message: CellMessage): TrajectoryCell {
  const cell = message.cell;
  const codeact = { ...cell.metadata.codeact, index: message.index, source_hash: sourceHash(cell.source) };
  const metadata: TrajectoryCell['metadata'] = { ...cell.metadata, codeact };
  if (cell.cell_type === 'code') {
    metadata.trusted = true;
  }
  const copy: TrajectoryCell = { ...cell, metadata };
  delete copy.id;
  return copy;
}

/** Positions of the contiguous cells right below `anchor` that earlier runs of the same anchor inserted. */
/** Whether an inserted cell came from the message's `%%codeact` cell (a cell without `source_cell_id` may have). */
function sameSource(meta: CellMetadata, message: CellMessage): boolean {
  return meta.source_cell_id === undefined || meta.source_cell_id === message.cell_id;
}

function earlierRunsBlock(cells: INotebookCells, anchor: number, message: CellMessage): number[] {
  const block: number[] = [];
  for (let i = anchor + 1; i < cells.length; i++) {
    const meta = cells.codeact(i);
    if (!meta || meta.run_id === message.run_id || meta.source_cell_id !== message.cell_id) {
      break;
    }
    block.push(i);
  }
  return block;
}

/** Whether the user changed the cell since it was inserted (or it carries no hash to tell). */
function edited(cells: INotebookCells, index: number): boolean {
  const hash = cells.codeact(index)?.source_hash;
  return !hash || hash !== sourceHash(cells.source(index));
}
