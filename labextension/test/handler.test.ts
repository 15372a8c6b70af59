/**
 * The schema fixtures and whole runs through the message handler of one notebook.
 */
import { MessageHandler, planOutputs, versionMismatchText } from '../src/handler';
import { FakeNotebook, INVALID_FIXTURES, cellMessage, fixture } from './helpers';

const HERE = { startedHere: true, parentMsgId: 'exec-1' };

function setup() {
  const nb = new FakeNotebook([FakeNotebook.user('a1b2c3', '%%codeact\nTotal revenue of df')]);
  const handler = new MessageHandler(() => nb);
  return { nb, handler };
}

describe('the fixtures through the handler', () => {
  it('inserts the cell fixtures below their %%codeact cell, in index order', () => {
    const { nb, handler } = setup();
    expect(handler.handle(fixture('cell_code.json'), HERE)).toEqual({
      kind: 'cell',
      plan: { kind: 'insert', at: 1, remove: [] }
    });
    expect(handler.handle(fixture('cell_markdown.json'), HERE)).toEqual({
      kind: 'cell',
      plan: { kind: 'insert', at: 1, remove: [] }
    });
    expect(nb.layout()).toEqual(['a1b2c3', 'r-0001:0', 'r-0001:1']);
    expect(nb.cells[2].source).toBe("df['revenue'].sum()");
    expect(handler.handle(fixture('cell_code.json'), HERE)).toEqual({
      kind: 'cell',
      plan: { kind: 'skip', reason: 'handled' }
    });
  });

  it('keeps runs from run, runs and text', () => {
    const { handler } = setup();
    expect(handler.handle(fixture('run_running.json'), HERE)).toEqual({ kind: 'runs' });
    expect(handler.handle(fixture('text.json'), HERE)).toEqual({ kind: 'runs' });
    expect(handler.runs.live()?.text).toBe('Let me look at the columns first.');
    expect(handler.runs.live()?.current_code).toBe("df['revenue'].sum()");
    expect(handler.handle(fixture('run_done.json'), HERE)).toEqual({ kind: 'runs' });
    expect(handler.runs.live()).toBeUndefined();
    expect(handler.runs.get('r-0001')?.text).toBe('');
    expect(handler.handle(fixture('runs.json'), HERE)).toEqual({ kind: 'runs' });
    expect(handler.runs.list().map(r => [r.run_id, r.status, r.steps])).toEqual([['r-0001', 'done', 3]]);
  });

  it('takes an export or an error only in reply to its own request', () => {
    const { handler } = setup();
    expect(handler.handle(fixture('export.json'), { startedHere: false, parentMsgId: 'someone-else' })).toEqual({
      kind: 'ignored'
    });
    handler.expectReply('req-1');
    expect(handler.waiting).toBe(true);
    const outcome = handler.handle(fixture('export.json'), { startedHere: true, parentMsgId: 'req-1' });
    expect(outcome.kind).toBe('export');
    expect(handler.waiting).toBe(false);
    handler.expectReply('req-2');
    expect(handler.handle(fixture('error.json'), { startedHere: true, parentMsgId: 'req-2' })).toEqual({
      kind: 'error',
      message: 'No run r-9999 in this kernel.'
    });
    expect(handler.handle(fixture('error.json'), { startedHere: true, parentMsgId: 'req-2' })).toEqual({
      kind: 'ignored'
    });
  });

  it('ignores requests seen on iopub', () => {
    const { handler } = setup();
    expect(handler.handle(fixture('sync.json'), HERE)).toEqual({ kind: 'ignored' });
    expect(handler.handle(fixture('export_request.json'), HERE)).toEqual({ kind: 'ignored' });
  });

  it('drops the invalid fixtures, telling a version mismatch apart', () => {
    const { nb, handler } = setup();
    const outcomes = INVALID_FIXTURES.map(([, m]) => handler.handle(m, HERE).kind);
    expect(outcomes.sort()).toEqual(['invalid', 'version']);
    expect(handler.runs.size).toBe(0);
    expect(nb.length).toBe(1);
  });

  it('drops a cell of another protocol version, and says which side to upgrade', () => {
    const { nb, handler } = setup();
    const newer = { ...fixture('cell_code.json'), version: 2 };
    expect(handler.handle(newer, HERE)).toEqual({ kind: 'version', version: 2 });
    expect(nb.length).toBe(1);
    expect(versionMismatchText(2)).toMatch(/kernel speaks protocol v2, this extension v1\. Upgrade the extension/);
    expect(versionMismatchText(0)).toMatch(/Upgrade codeact-magic in the kernel's environment/);
    expect(versionMismatchText(undefined)).toMatch(/protocol vundefined/);
    for (const v of [2, 0, 'x', undefined, 1234567]) {
      expect(versionMismatchText(v).length).toBeLessThanOrEqual(140);
    }
  });

  it('ignores other comms', () => {
    const { handler } = setup();
    expect(handler.handle({ method: 'update', state: { value: 1 } }, HERE)).toEqual({ kind: 'ignored' });
  });

  it('forgets runs on reset but remembers the handled keys', () => {
    const { nb, handler } = setup();
    handler.handle(fixture('run_running.json'), HERE);
    handler.handle(fixture('cell_markdown.json'), HERE);
    handler.expectReply('req-1');
    handler.reset();
    expect(handler.runs.size).toBe(0);
    expect(handler.waiting).toBe(false);
    nb.cells.splice(1, 1);
    expect(handler.handle(fixture('cell_markdown.json'), HERE)).toEqual({
      kind: 'cell',
      plan: { kind: 'skip', reason: 'handled' }
    });
  });

  it('inserts nothing while there is no notebook', () => {
    const handler = new MessageHandler(() => null);
    expect(handler.handle(fixture('cell_code.json'), HERE)).toEqual({
      kind: 'cell',
      plan: { kind: 'skip', reason: 'not-ours' }
    });
  });
});

describe('a whole run', () => {
  it('leaves the run in order below its cell, the user\'s cells around it untouched, then a re-run replaces it', () => {
    const nb = new FakeNotebook([
      FakeNotebook.user('load', 'df = pd.read_csv(...)'),
      FakeNotebook.user('anchor', '%%codeact\nTotal revenue'),
      FakeNotebook.user('mine', 'df.plot()')
    ]);
    const handler = new MessageHandler(() => nb);
    const roles = ['reasoning', 'step', 'reasoning', 'step', 'reasoning', 'step', 'answer'] as const;
    roles.forEach((role, i) => handler.handle(cellMessage('r1', i, { role }), HERE));
    expect(nb.layout()).toEqual(['load', 'anchor', 'r1:0', 'r1:1', 'r1:2', 'r1:3', 'r1:4', 'r1:5', 'r1:6', 'mine']);
    expect(nb.cells.filter(c => c.cell_type === 'code' && c.metadata.codeact).map(c => c.metadata.codeact?.step)).toEqual([1, 2, 3]);
    // the same messages again (a second view, or a replay of iopub): nothing changes
    roles.forEach((role, i) => handler.handle(cellMessage('r1', i, { role }), HERE));
    expect(nb.length).toBe(10);
    // a second run of the same cell
    handler.handle(cellMessage('r2', 0, { role: 'reasoning' }), HERE);
    handler.handle(cellMessage('r2', 1, { role: 'answer' }), HERE);
    expect(nb.layout()).toEqual(['load', 'anchor', 'r2:0', 'r2:1', 'mine']);
  });

  it('handles a 50-step run quickly', () => {
    const nb = new FakeNotebook([FakeNotebook.user('anchor')]);
    for (let i = 0; i < 200; i++) {
      nb.cells.push(FakeNotebook.user(`user-${i}`));
    }
    const handler = new MessageHandler(() => nb);
    const start = Date.now();
    for (let i = 0; i < 101; i++) {
      handler.handle(cellMessage('big', i), HERE);
    }
    expect(Date.now() - start).toBeLessThan(500);
    expect(nb.layout().slice(1, 102)).toEqual(Array.from({ length: 101 }, (_, i) => `big:${i}`));
  });
});

describe('outputs replaced after a cell was inserted', () => {
  it('replaces the outputs of the cell carrying the key, as update_display_data does in a notebook', () => {
    const { nb, handler } = setup();
    handler.handle(fixture('cell_markdown.json'), HERE);
    handler.handle(fixture('cell_code.json'), HERE);
    expect(nb.cells[2].outputs).toEqual(fixture('cell_code.json').cell.outputs);
    const outputs = fixture('outputs.json');
    expect(handler.handle(outputs, HERE)).toEqual({ kind: 'outputs', plan: { kind: 'replace', at: 2 } });
    expect(nb.cells[2].outputs).toEqual(outputs.outputs);
    expect(nb.layout()).toEqual(['a1b2c3', 'r-0001:0', 'r-0001:1']);
  });

  it('finds the cell wherever the user moved it, from any connection', () => {
    const { nb, handler } = setup();
    handler.handle(fixture('cell_code.json'), HERE);
    nb.cells.unshift(...nb.cells.splice(1, 1), FakeNotebook.user('mine'));
    expect(handler.handle(fixture('outputs.json'), { startedHere: false, parentMsgId: null })).toEqual({
      kind: 'outputs',
      plan: { kind: 'replace', at: 0 }
    });
  });

  it('ignores outputs of a cell the notebook does not have', () => {
    const { nb, handler } = setup();
    handler.handle(fixture('cell_markdown.json'), HERE); // r-0001:1 never came, or the user deleted it
    const before = JSON.stringify(nb.cells);
    expect(handler.handle(fixture('outputs.json'), HERE)).toEqual({
      kind: 'outputs',
      plan: { kind: 'skip', reason: 'absent' }
    });
    expect(JSON.stringify(nb.cells)).toBe(before);
    handler.handle(fixture('cell_code.json'), HERE);
    expect(planOutputs(nb, { ...fixture('outputs.json'), run_id: 'r-0002' })).toEqual({ kind: 'skip', reason: 'absent' });
    expect(new MessageHandler(() => null).handle(fixture('outputs.json'), HERE)).toEqual({
      kind: 'outputs',
      plan: { kind: 'skip', reason: 'not-ours' }
    });
  });
});

describe('export requests', () => {
  it('are tracked in the handler only: exporting until the reply or a reset', () => {
    const { handler } = setup();
    handler.expectReply('req-1', 'r-0001');
    handler.expectReply('req-2', 'r-0001');
    handler.expectReply('req-3', 'r-0002');
    expect([...handler.exporting].sort()).toEqual(['r-0001', 'r-0002']);
    handler.handle(fixture('export.json'), { startedHere: true, parentMsgId: 'req-1' });
    expect([...handler.exporting].sort()).toEqual(['r-0001', 'r-0002']); // req-2 still awaits its reply
    handler.handle(fixture('error.json'), { startedHere: true, parentMsgId: 'req-2' });
    expect([...handler.exporting]).toEqual(['r-0002']);
    handler.handle(fixture('run_done.json'), { startedHere: true, parentMsgId: 'req-3' });
    expect([...handler.exporting]).toEqual(['r-0002']); // only an export or an error answers it
    handler.reset();
    expect(handler.exporting.size).toBe(0);
  });
});

describe('a run whose cells a re-run replaced', () => {
  function twoRuns(mode: 'replace' | 'append' = 'replace', edit = false) {
    const nb = new FakeNotebook([FakeNotebook.user('anchor', '%%codeact\nTotal'), FakeNotebook.user('mine')]);
    const handler = new MessageHandler(() => nb);
    for (const id of ['r1', 'r2']) {
      const done = fixture('run_done.json');
      handler.handle({ ...done, run: { ...done.run, run_id: id, cell_id: 'anchor', insert_mode: mode } }, HERE);
    }
    for (let i = 0; i < 3; i++) {
      handler.handle(cellMessage('r1', i), HERE);
    }
    if (edit) {
      nb.cells[2].source += '\n# mine now';
    }
    handler.handle(cellMessage('r2', 0, { mode }), HERE);
    return { nb, handler };
  }

  it('is marked replaced by the later run, once its cells are gone', () => {
    const { nb, handler } = twoRuns();
    expect(nb.layout()).toEqual(['anchor', 'r2:0', 'mine']);
    expect(handler.runs.get('r1')?.replaced_by).toBe('r2');
    expect(handler.runs.get('r2')?.replaced_by).toBeNull();
    // the later run's own next cells replace nothing more
    handler.handle(cellMessage('r2', 1), HERE);
    expect(handler.runs.get('r2')?.replaced_by).toBeNull();
  });

  it('is not replaced while a cell of it the user edited stays', () => {
    const { nb, handler } = twoRuns('replace', true);
    expect(nb.layout()).toEqual(['anchor', 'r2:0', 'r1:1', 'mine']);
    expect(handler.runs.get('r1')?.replaced_by).toBeNull();
  });

  it('is not replaced when the re-run appends', () => {
    const { nb, handler } = twoRuns('append');
    expect(nb.layout()).toEqual(['anchor', 'r1:0', 'r1:1', 'r1:2', 'r2:0', 'mine']);
    expect(handler.runs.get('r1')?.replaced_by).toBeNull();
  });

  it('is found replaced again after a reload, from the notebook and the kernel\'s runs', () => {
    const { nb } = twoRuns();
    const runs = (ids: string[], mode: 'replace' | 'append' = 'replace') => {
      const done = fixture('run_done.json');
      return { ...fixture('runs.json'), runs: ids.map(id => ({ ...done.run, run_id: id, cell_id: 'anchor', insert_mode: mode })) };
    };
    const reloaded = new MessageHandler(() => nb); // a new page: nothing remembered
    expect(reloaded.handle(runs(['r1', 'r2']), HERE)).toEqual({ kind: 'runs' });
    expect(reloaded.runs.get('r1')?.replaced_by).toBe('r2');
    expect(reloaded.runs.get('r2')?.replaced_by).toBeNull();
    // not when the later run appended, nor when the earlier run's cells are still here
    const appended = new MessageHandler(() => nb);
    appended.handle(runs(['r1', 'r2'], 'append'), HERE);
    expect(appended.runs.get('r1')?.replaced_by).toBeNull();
    const kept = new MessageHandler(() => twoRuns('replace', true).nb);
    kept.handle(runs(['r1', 'r2']), HERE);
    expect(kept.runs.get('r1')?.replaced_by).toBeNull();
  });
});
