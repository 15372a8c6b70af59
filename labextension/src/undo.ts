/**
 * Undo of a run, the part without JupyterLab: which cells an undo marks, what the panel asks before it sends an
 * `undo_request`, what it makes of the kernel's `undo` answer, and what a card's Undo button and chip say.
 * Pure: jest drives it with the fixtures.
 *
 * An undo restores the user's variables and files as they were before a run (or before step N of the last run), and
 * undoes every later run first, newest first. The cells the runs inserted stay; each cell of the part undone gets
 * `metadata.codeact.undone` (when, ISO 8601) and is shown greyed with an "undone" badge (`marking.ts`).
 */
import { formatStartTime } from './format';
import { INotebookCells } from './insertion';
import { RunSummary, UndoMessage, Undone, UndoneCells } from './protocol';

/** The class of a cell (and of a run card) whose run was undone: greyed, still readable and selectable. */
export const UNDONE_CLASS = 'jp-codeact-undone';

/** A cell to mark undone: its position in the notebook and when its run was undone. */
export interface IUndoneMark {
  index: number;
  at: string;
}

/**
 * The cells of the notebook an undo marks: those of a run in `undone` whose `metadata.codeact.index` is at least the
 * entry's `from_index` (with `from_index` 0, the whole run: its cells without an index too, saved by an older
 * version). A cell that carries `undone` already is left as it is, so marking twice does nothing.
 */
export function undoneMarks(cells: INotebookCells, undone: readonly UndoneCells[]): IUndoneMark[] {
  if (undone.length === 0) {
    return [];
  }
  const byRun = new Map<string, UndoneCells[]>();
  for (const entry of undone) {
    byRun.set(entry.run_id, [...(byRun.get(entry.run_id) ?? []), entry]);
  }
  const marks: IUndoneMark[] = [];
  for (let i = 0; i < cells.length; i++) {
    const meta = cells.codeact(i);
    const entries = meta ? byRun.get(meta.run_id) : undefined;
    if (!meta || !entries || meta.undone !== undefined) {
      continue;
    }
    const index = meta.index;
    const entry = entries.find(e => (typeof index === 'number' ? index >= e.from_index : e.from_index === 0));
    if (entry) {
      marks.push({ index: i, at: entry.at });
    }
  }
  return marks;
}

/** The cells to mark of the runs the kernel says were undone (`RunSummary.undone`, in `runs` and `run`). */
export function undoneOfRuns(runs: readonly RunSummary[]): UndoneCells[] {
  const undone: UndoneCells[] = [];
  for (const run of runs) {
    if (run.undone) {
      undone.push({ run_id: run.run_id, from_index: run.undone.from_index, at: run.undone.at });
    }
  }
  return undone;
}

/**
 * The runs the kernel undoes too when run `runId` is undone: the later ones (listed before it, `runs` newest first)
 * that are not undone whole already, newest first.
 */
export function laterRuns<T extends RunSummary>(runs: readonly T[], runId: string): T[] {
  const at = runs.findIndex(run => run.run_id === runId);
  return at < 0 ? [] : runs.slice(0, at).filter(run => !(run.undone && run.undone.from_step <= 1));
}

/** What the panel asks before it undoes a run. */
export interface IConfirmText {
  title: string;
  /** Paragraphs. */
  body: string[];
}

/**
 * The question before undoing run `runId`, naming the later runs undone with it.
 *
 * @param later - {@link laterRuns}: their ids, newest first.
 */
export function confirmUndoText(runId: string, later: readonly string[]): IConfirmText {
  const body = [`This restores the variables and files as they were before run ${runId}.`];
  if (later.length === 1) {
    body.push(`The later run ${later[0]} is undone too, first.`);
  } else if (later.length > 1) {
    body.push(`The ${later.length} later runs are undone too, newest first: ${later.join(', ')}.`);
  }
  body.push(
    later.length > 0
      ? 'The cells the runs inserted stay in the notebook, marked undone.'
      : 'The cells the run inserted stay in the notebook, marked undone.'
  );
  return { title: `Undo run ${runId}?`, body };
}

/**
 * What the kernel's answer to an undo request asks of the panel: `done` (the report, as news), `changed` (refused
 * because the user changed names or files since the runs: offer to undo anyway, with `force`), `refused` (nothing
 * could be undone: the report, with OK only).
 */
export function undoAnswer(message: UndoMessage): 'done' | 'changed' | 'refused' {
  if (!message.refused) {
    return 'done';
  }
  return message.changed.length > 0 ? 'changed' : 'refused';
}

/** The first line of a report, at most `max` characters (JupyterLab cuts longer notifications). */
export function reportHeadline(report: string, max = 140): string {
  const line = report.split('\n', 1)[0].trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** A card's Undo button: whether it can be pressed, what it reads and why. */
export interface IUndoButton {
  disabled: boolean;
  label: string;
  title: string;
}

/**
 * The Undo button of run `run`'s card.
 *
 * @param undoing - an undo request of this page for the run awaits the kernel's answer.
 */
export function undoButton(run: RunSummary, undoing: boolean): IUndoButton {
  if (run.status === 'running') {
    return { disabled: true, label: 'Undo', title: 'Running' };
  }
  if (undoing) {
    return { disabled: true, label: 'Undoing…', title: 'Waiting for the kernel: it answers when it is idle' };
  }
  if (run.undoable) {
    return {
      disabled: false,
      label: 'Undo',
      title: 'Restore the variables and files as they were before this run (asks first)'
    };
  }
  if (run.undone) {
    return { disabled: true, label: 'Undo', title: 'Undone' };
  }
  return {
    disabled: true,
    label: 'Undo',
    title: 'Nothing kept to undo it (run from the journal, or its snapshots were released)'
  };
}

/** The card's chip of an undone run: `undone 13:40:00` (`undone from step 3 13:40:00` for part of it). */
export function undoneLabel(undone: Undone, now: Date = new Date()): string {
  const from = undone.from_step > 1 ? ` from step ${undone.from_step}` : '';
  return `undone${from} ${formatStartTime(undone.at, now)}`;
}

/** The tooltip of the chip: when, in local time, and whether it was forced over the user's changes. */
export function undoneTitle(undone: Undone): string {
  const date = new Date(undone.at);
  const when = Number.isNaN(date.getTime()) ? undone.at : date.toLocaleString();
  const part = undone.from_step > 1 ? `Steps ${undone.from_step} on undone` : 'Undone';
  const forced = undone.forced ? ', forced over changes made since the run' : '';
  return `${part} ${when}${forced}: the variables and files are as they were before; its cells stay, marked`;
}
