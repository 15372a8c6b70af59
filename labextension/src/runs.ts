/**
 * The runs of one kernel as the panel shows them, rebuilt from `runs`, `run` and `text` messages. Pure: jest drives
 * it with the fixtures. Nothing is kept in browser storage: after a reload, a `sync` brings the runs back from the
 * kernel.
 */
import { RunSummary, KernelMessage } from './protocol';

/** A run with the time its summary arrived, so that the elapsed time of a live run can tick. */
export interface IRunView extends RunSummary {
  /** `Date.now()` when this summary arrived. */
  received_at: number;
  /** The reasoning streamed so far in the current turn (live runs only; empty otherwise). */
  text: string;
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
          this._runs.set(run.run_id, { ...run, received_at: now, text });
        }
        return true;
      }
      case 'run': {
        const old = this._runs.get(message.run.run_id);
        const text = message.run.status === 'running' ? (old?.text ?? '') : '';
        this._runs.set(message.run.run_id, { ...message.run, received_at: now, text });
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

  /** Forget every run (the kernel restarted or changed). */
  clear(): void {
    this._runs = new Map();
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

  private _runs = new Map<string, IRunView>();
}

/** Seconds since the run started: as the kernel said, plus the time since it said so while the run goes on. */
export function elapsedSeconds(run: IRunView, now: number = Date.now()): number {
  if (run.status !== 'running') {
    return run.elapsed_s;
  }
  return run.elapsed_s + Math.max(0, now - run.received_at) / 1000;
}
