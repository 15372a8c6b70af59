/**
 * The runs of one kernel as the panel shows them, rebuilt from `runs`, `run` and `text` messages, and which of them
 * a later run replaced in this notebook. Pure: jest drives it with the fixtures. Nothing is kept in browser storage:
 * after a reload, a `sync` brings the runs back from the kernel (and which runs were replaced is not known any more).
 */
import { ITotals, totalTokens } from './format';
import { KernelMessage, Output, RunSummary } from './protocol';

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

/** One execution of a `%%codeact` cell that started or continued a run. */
export interface ICellExecution {
  /** Which execution it is: the run's id and the number of the follow-up (0: the run's own start). */
  token: string;
  /** The run it started or continued. */
  run_id: string;
  /** The execution count the cell got when it started. */
  count: number | null;
}

/**
 * The newest execution of the cell `cellId` among the runs: a run it started, or a follow-up of a run it made
 * (`%%codeact --continue`), whichever started last.
 */
export function newestExecutionOfCell(runs: readonly RunSummary[], cellId: string): ICellExecution | undefined {
  let newest: (ICellExecution & { at: string }) | undefined;
  const consider = (run: RunSummary, n: number, count: number | null, at: string) => {
    if (!newest || at > newest.at) {
      newest = { token: `${run.run_id}/${n}`, run_id: run.run_id, count, at };
    }
  };
  for (const run of runs) {
    if (run.cell_id === cellId) {
      consider(run, 0, run.execution_count, run.started_at);
    }
    run.followups.forEach((followup, i) => {
      if (followup.cell_id === cellId) {
        consider(run, i + 1, followup.execution_count, followup.started_at);
      }
    });
  }
  return newest && { token: newest.token, run_id: newest.run_id, count: newest.count };
}

/**
 * The execution count to give a `%%codeact` cell once its execution ended: the count it got when it started, not
 * the last step's, which the execute reply carries; so the cell reads [n] and its steps [n+1]… below it.
 *
 * @param execution - the newest execution of the cell now ({@link newestExecutionOfCell}).
 * @param before - the token of the cell's newest execution when its execution was scheduled, or null: one that was
 *   there already is not this execution's (the cell ran as plain code, or its magic stopped before starting a run).
 * @param current - the cell's execution count now.
 * @returns the count to set, or null to leave the cell as it is.
 */
export function restoredExecutionCount(
  execution: ICellExecution | undefined,
  before: string | null,
  current: number | null
): number | null {
  if (!execution || execution.token === before || execution.count === null || execution.count === current) {
    return null;
  }
  return execution.count;
}

/**
 * The outputs a `%%codeact` cell keeps once its execution ended, when the kernel could not make it compact itself
 * (`RunSummary.compact_outputs`: no frontend had opened its comm when the run started, as after Run All): those of
 * the run, then the cell's own errors (the magic's one line when the run failed); null to leave the cell as it is.
 *
 * @param run - the run of the cell's execution, as its last message left it.
 * @param current - the cell's outputs now.
 * @param cellsHere - how many of the run's cells are in this notebook: with none, the whole transcript stays.
 */
export function compactedOutputs(
  run: RunSummary | undefined,
  current: readonly Output[],
  cellsHere: number
): Output[] | null {
  if (!run?.compact_outputs || cellsHere === 0) {
    return null;
  }
  return [...run.compact_outputs, ...current.filter(output => output.output_type === 'error')];
}

/** Seconds since the run started: as the kernel said, plus the time since it said so while the run goes on. */
export function elapsedSeconds(run: IRunView, now: number = Date.now()): number {
  if (run.status !== 'running') {
    return run.elapsed_s;
  }
  return run.elapsed_s + Math.max(0, now - run.received_at) / 1000;
}
