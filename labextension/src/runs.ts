/**
 * The runs of one kernel as the panel shows them, rebuilt from `runs`, `run` and `text` messages, and which of them
 * a later run replaced in this notebook. Pure: jest drives it with the fixtures. Nothing is kept in browser storage:
 * after a reload, a `sync` brings the runs back from the kernel (and which runs were replaced is not known any more).
 */
import { ITotals, totalTokens } from './format';
import { RunSummary, KernelMessage } from './protocol';

/** A run with the time its summary arrived, so that the elapsed time of a live run can tick. */
export interface IRunView extends RunSummary {
  /** `Date.now()` when this summary arrived. */
  received_at: number;
  /** The reasoning streamed so far in the current turn (live runs only; empty otherwise). */
  text: string;
  /**
   * The run whose cells replaced this run's cells in this notebook (a later run of the same `%%codeact` cell, insert
   * mode `replace`), or null.
   */
  replaced_by: string | null;
}

export class RunStore {
  /**
   * Apply one kernel message.
   *
   * @returns whether the runs changed.
   */
  apply(message: KernelMessage, now: number = Date.now()): boolean {
    switch (message.type) {
      case 'runs': {
        const texts = this._runs;
        this._runs = new Map();
        for (const run of message.runs) {
          const text = run.status === 'running' ? (texts.get(run.run_id)?.text ?? '') : '';
          this._runs.set(run.run_id, this._view(run, now, text));
        }
        return true;
      }
      case 'run': {
        const old = this._runs.get(message.run.run_id);
        const text = message.run.status === 'running' ? (old?.text ?? '') : '';
        this._runs.set(message.run.run_id, this._view(message.run, now, text));
        return true;
      }
      case 'text': {
        const run = this._runs.get(message.run_id);
        if (!run || run.text === message.text) {
          return false;
        }
        this._runs.set(message.run_id, { ...run, text: message.text });
        return true;
      }
      default:
        return false;
    }
  }

  /**
   * Record that run `by` removed the cells of run `runId` from this notebook, leaving none (insert mode `replace`).
   * Kept for a run the store does not know yet (its summary comes later, e.g. with the `runs` after a reload).
   *
   * @returns whether a run's view changed.
   */
  markReplaced(runId: string, by: string): boolean {
    if (runId === by || this._replaced.get(runId) === by) {
      return false;
    }
    this._replaced.set(runId, by);
    const run = this._runs.get(runId);
    if (run) {
      this._runs.set(runId, { ...run, replaced_by: by });
    }
    return run !== undefined;
  }

  /** Forget every run (the kernel restarted or changed). */
  clear(): void {
    this._runs = new Map();
    this._replaced = new Map();
  }

  /** The runs, newest first. */
  list(): IRunView[] {
    return [...this._runs.values()].reverse();
  }

  get(runId: string): IRunView | undefined {
    return this._runs.get(runId);
  }

  /** The run going on now, if any (the newest running one). */
  live(): IRunView | undefined {
    return this.list().find(run => run.status === 'running');
  }

  get size(): number {
    return this._runs.size;
  }

  private _view(run: RunSummary, now: number, text: string): IRunView {
    return { ...run, received_at: now, text, replaced_by: this._replaced.get(run.run_id) ?? null };
  }

  private _runs = new Map<string, IRunView>();
  /** Run -> the run that replaced its cells. */
  private _replaced = new Map<string, string>();
}

/** The figures of `runs` added up: runs, tokens (as {@link totalTokens} counts them) and the known cost. */
export function runTotals(runs: readonly RunSummary[]): ITotals {
  const totals: ITotals = { runs: runs.length, tokens: 0, costUsd: 0, unknownCost: 0 };
  for (const run of runs) {
    totals.tokens += totalTokens(run.usage);
    if (run.cost_usd === null) {
      totals.unknownCost++;
    } else {
      totals.costUsd += run.cost_usd;
    }
  }
  return totals;
}

/** The newest of `runs` (newest first, as {@link RunStore.list} gives them) started by the cell `cellId`, if any. */
export function newestRunOfCell<T extends RunSummary>(runs: readonly T[], cellId: string): T | undefined {
  return runs.find(run => run.cell_id === cellId);
}

/**
 * The execution count to give a `%%codeact` cell once its execution ended: the count it got when it started
 * (`execution_count` of its run), not the last step's, which the execute reply carries; so the cell reads [n] and its
 * steps [n+1]… below it.
 *
 * @param run - the newest run of the cell now ({@link newestRunOfCell}).
 * @param before - the id of the cell's newest run when its execution was scheduled, or null: a run that was there
 *   already is not this execution's (the cell ran as plain code, or its magic stopped before starting a run).
 * @param current - the cell's execution count now.
 * @returns the count to set, or null to leave the cell as it is.
 */
export function restoredExecutionCount(
  run: RunSummary | undefined,
  before: string | null,
  current: number | null
): number | null {
  if (!run || run.run_id === before || run.execution_count === null || run.execution_count === current) {
    return null;
  }
  return run.execution_count;
}

/** Seconds since the run started: as the kernel said, plus the time since it said so while the run goes on. */
export function elapsedSeconds(run: IRunView, now: number = Date.now()): number {
  if (run.status !== 'running') {
    return run.elapsed_s;
  }
  return run.elapsed_s + Math.max(0, now - run.received_at) / 1000;
}
