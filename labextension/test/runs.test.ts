import { RunStore, elapsedSeconds } from '../src/runs';
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
