import {
  RunStore,
  elapsedSeconds,
  compactedOutputs,
  newestExecutionOfCell,
  restoredExecutionCount,
  runTotals
} from '../src/runs';
import { exportPath, formatCost, formatCount, formatElapsed, formatTokens, oneLine, statusLabel } from '../src/format';
import { fixture } from './helpers';

describe('the run store', () => {
  it('lists runs newest first and keeps the live text only while running', () => {
    const store = new RunStore();
    const first = fixture('run_done.json');
    const second = fixture('run_running.json');
    second.run.run_id = 'r-0002';
    store.apply(first, 0);
    store.apply(second, 0);
    store.apply({ ...fixture('text.json'), run_id: 'r-0002', text: 'Looking…' }, 0);
    expect(store.list().map(r => r.run_id)).toEqual(['r-0002', 'r-0001']);
    expect(store.live()?.text).toBe('Looking…');
    expect(store.apply({ ...fixture('text.json'), run_id: 'r-0002', text: 'Looking…' }, 0)).toBe(false);
    expect(store.apply({ ...fixture('text.json'), run_id: 'unknown', text: 'x' }, 0)).toBe(false);
    // a `runs` snapshot (after a reload) replaces everything, keeping the live text of a run still going
    const snapshot = fixture('runs.json');
    snapshot.runs.push({ ...second.run });
    store.apply(snapshot, 0);
    expect(store.list().map(r => [r.run_id, r.text])).toEqual([
      ['r-0002', 'Looking…'],
      ['r-0001', '']
    ]);
    store.clear();
    expect(store.size).toBe(0);
  });

  it('ticks the elapsed time of a live run only', () => {
    const store = new RunStore();
    store.apply(fixture('run_running.json'), 10_000);
    expect(elapsedSeconds(store.get('r-0001')!, 12_500)).toBeCloseTo(5.7);
    store.apply(fixture('run_done.json'), 10_000);
    expect(elapsedSeconds(store.get('r-0001')!, 99_000)).toBe(9.5);
  });
});

describe('figures', () => {
  it('are written for people', () => {
    expect(statusLabel('step_limit')).toBe('step limit');
    expect(formatCount(1234567)).toBe('1.2M');
    expect(formatCount(12345)).toBe('12,345');
    expect(formatTokens(fixture('run_done.json').run.usage)).toBe('2,100 in / 340 out');
    expect(formatCost(0.00814)).toBe('$0.0081');
    expect(formatCost(12.5)).toBe('$12.50');
    expect(formatCost(null)).toBe('cost unknown');
    expect(formatElapsed(9.54)).toBe('9.5 s');
    expect(formatElapsed(125)).toBe('2 min 05 s');
    expect(formatElapsed(3725)).toBe('1 h 02 min');
    expect(oneLine('Total\n  revenue   of df')).toBe('Total revenue of df');
    expect(oneLine('x'.repeat(10), 5)).toBe('xxxx…');
  });

  it('exports beside the notebook, never over it or another file', () => {
    expect(exportPath('work/sales.ipynb', 'codeact-r-1.ipynb', new Set())).toBe('work/codeact-r-1.ipynb');
    expect(exportPath('sales.ipynb', 'codeact-r-1.ipynb', new Set(['codeact-r-1.ipynb']))).toBe('codeact-r-1-1.ipynb');
    expect(exportPath('a/codeact-r-1.ipynb', 'codeact-r-1.ipynb', new Set())).toBe('a/codeact-r-1-1.ipynb');
    expect(exportPath('a/b.ipynb', '../../etc/x', new Set())).toBe('a/x.ipynb');
  });
});

describe('replaced runs', () => {
  it('are kept across summaries and snapshots, and forgotten with the kernel', () => {
    const store = new RunStore();
    store.apply(fixture('run_done.json'), 0);
    expect(store.get('r-0001')?.replaced_by).toBeNull();
    expect(store.markReplaced('r-0001', 'r-0002')).toBe(true);
    expect(store.markReplaced('r-0001', 'r-0002')).toBe(false);
    expect(store.markReplaced('r-0002', 'r-0002')).toBe(false);
    expect(store.get('r-0001')?.replaced_by).toBe('r-0002');
    store.apply(fixture('run_done.json'), 0);
    store.apply(fixture('runs.json'), 0);
    expect(store.get('r-0001')?.replaced_by).toBe('r-0002');
    // told before the run's summary came: the summary carries it
    expect(store.markReplaced('r-0003', 'r-0004')).toBe(false);
    const third = fixture('run_done.json');
    third.run.run_id = 'r-0003';
    store.apply(third, 0);
    expect(store.get('r-0003')?.replaced_by).toBe('r-0004');
    store.clear();
    store.apply(fixture('run_done.json'), 0);
    expect(store.get('r-0001')?.replaced_by).toBeNull();
  });
});

describe('the panel totals', () => {
  it('add up every run shown, known costs only, counting the unknown ones', () => {
    const done = fixture('run_done.json').run;
    const unpriced = { ...done, run_id: 'r-0002', cost_usd: null };
    const live = fixture('run_running.json').run;
    const totals = runTotals([done, unpriced, { ...live, run_id: 'r-0003' }]);
    const tokens = (u: typeof done.usage) =>
      u.input_tokens + u.output_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens;
    expect(totals).toEqual({
      runs: 3,
      tokens: 2 * tokens(done.usage) + tokens(live.usage),
      costUsd: done.cost_usd + live.cost_usd,
      unknownCost: 1
    });
    expect(runTotals([])).toEqual({ runs: 0, tokens: 0, costUsd: 0, unknownCost: 0 });
  });
});

describe('the execution count of a %%codeact cell', () => {
  const run = { ...fixture('run_done.json').run, run_id: 'r-2', cell_id: 'cell-a', execution_count: 4 };
  const execution = (count: number | null = 4) => ({ token: 'r-2/0', run_id: 'r-2', count });

  it('goes back to the count the cell started with, for a run of this execution', () => {
    expect(restoredExecutionCount(execution(), null, 10)).toBe(4);
    expect(restoredExecutionCount(execution(), 'r-1/0', 10)).toBe(4);
    expect(restoredExecutionCount(execution(), 'r-1/0', 4)).toBeNull(); // already right
  });

  it('is left alone when the execution started no run, or the kernel said no count', () => {
    expect(restoredExecutionCount(undefined, null, 10)).toBeNull();
    expect(restoredExecutionCount(execution(), 'r-2/0', 15)).toBeNull(); // the cell ran again without starting a run
    expect(restoredExecutionCount(execution(null), null, 10)).toBeNull();
  });

  it('is a follow-up\'s own count for the follow-up cell, the newest execution of a cell winning', () => {
    const followed = {
      ...run,
      started_at: '2026-12-01T10:00:00Z',
      followups: [
        { cell_id: 'cell-f', execution_count: 12, started_at: '2026-12-01T10:05:00Z' },
        { cell_id: 'cell-f', execution_count: 20, started_at: '2026-12-01T10:09:00Z' }
      ]
    };
    const later = { ...run, run_id: 'r-9', cell_id: 'cell-a', execution_count: 30, started_at: '2026-12-01T11:00:00Z' };
    expect(newestExecutionOfCell([later, followed], 'cell-f')).toEqual({ token: 'r-2/2', run_id: 'r-2', count: 20 });
    expect(newestExecutionOfCell([later, followed], 'cell-a')).toEqual({ token: 'r-9/0', run_id: 'r-9', count: 30 });
    expect(newestExecutionOfCell([followed], 'cell-a')).toEqual({ token: 'r-2/0', run_id: 'r-2', count: 4 });
    expect(newestExecutionOfCell([followed], 'cell-x')).toBeUndefined();
    // the follow-up cell ran again and continued the run once more: a new execution, its count restored
    expect(restoredExecutionCount(newestExecutionOfCell([followed], 'cell-f'), 'r-2/1', 25)).toBe(20);
  });
});

describe('the outputs of a %%codeact cell the kernel could not make compact', () => {
  const run = fixture('run_done.json').run;
  const status = { output_type: 'display_data', data: { 'text/plain': 'done · step 3 of 20' }, metadata: {} };
  const transcript = [
    status,
    { output_type: 'stream', name: 'stdout', text: 'step output\n' },
    { output_type: 'display_data', data: { 'text/markdown': 'The answer.' }, metadata: {} }
  ];
  const failure = { output_type: 'error', ename: 'CodeActError', evalue: 'The run failed.', traceback: ['CodeActError'] };

  it('are the compact ones the run offered, and the cell\'s own errors', () => {
    const offered = { ...run, compact_outputs: [status] };
    expect(compactedOutputs(offered, transcript, 7)).toEqual([status]);
    expect(compactedOutputs(offered, [...transcript, failure], 7)).toEqual([status, failure]);
  });

  it('stay as they are when the kernel made them compact, or the run\'s cells are not here', () => {
    expect(compactedOutputs(run, transcript, 7)).toBeNull();
    expect(compactedOutputs({ ...run, compact_outputs: null }, transcript, 7)).toBeNull();
    expect(compactedOutputs({ ...run, compact_outputs: [status] }, transcript, 0)).toBeNull();
    expect(compactedOutputs(undefined, transcript, 7)).toBeNull();
  });
});
