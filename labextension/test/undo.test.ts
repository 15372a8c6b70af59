/**
 * Undo in one notebook: the `undo` message and the runs' `undone` mark exactly the cells of the part undone (their run,
 * index >= from_index), once; a reply is told from news; and what the panel asks and says (undo.ts).
 */
import { formatStartTime } from '../src/format';
import { MessageHandler } from '../src/handler';
import {
  confirmUndoText,
  laterRuns,
  reportHeadline,
  undoAnswer,
  undoButton,
  undoneLabel,
  undoneMarks
} from '../src/undo';
import { FakeNotebook, cellMessage, fixture } from './helpers';

const HERE = { startedHere: true, parentMsgId: 'exec-1' };
const AT = '2026-12-02T13:40:00Z';
const LATER = '2026-12-02T14:00:00Z';

/** The user's cells around two runs of one %%codeact cell (appended) and one of another cell. */
function notebook(): { nb: FakeNotebook; handler: MessageHandler } {
  const nb = new FakeNotebook([
    FakeNotebook.user('load', 'nums = [1, 2, 3]'),
    FakeNotebook.user('anchor', '%%codeact\nAppend 4'),
    FakeNotebook.user('other', '%%codeact\nPlot it')
  ]);
  const handler = new MessageHandler(() => nb);
  for (let i = 0; i < 5; i++) {
    handler.handle(cellMessage('r-0001', i, { mode: 'append' }), HERE);
  }
  for (let i = 0; i < 3; i++) {
    handler.handle(cellMessage('r-0002', i, { mode: 'append' }), HERE);
  }
  for (let i = 0; i < 2; i++) {
    handler.handle(cellMessage('r-0003', i, { anchor: 'other' }), HERE);
  }
  return { nb, handler };
}

/** `<key>=<undone>` of every cell marked undone, in notebook order. */
function undone(nb: FakeNotebook): string[] {
  return nb.cells
    .filter(c => c.metadata.codeact?.undone)
    .map(c => `${c.metadata.codeact!.key}=${c.metadata.codeact!.undone}`);
}

function undoMessage(entries: [string, number, string][], extra: Record<string, unknown> = {}) {
  return {
    ...fixture('undo.json'),
    run_ids: entries.map(([runId]) => runId),
    undone: entries.map(([run_id, from_index, at]) => ({ run_id, from_index, at })),
    ...extra
  };
}

describe('the cells an undo marks', () => {
  it('are those of the runs undone whose index is at least from_index, and no other', () => {
    const { nb, handler } = notebook();
    const before = JSON.parse(JSON.stringify(nb.cells));
    // run r-0002 whole, and r-0001 from its cell 3 on (--step), newest first
    const outcome = handler.handle(
      undoMessage([
        ['r-0002', 0, AT],
        ['r-0001', 3, AT]
      ]),
      HERE
    );
    expect(outcome.kind).toBe('undo');
    expect(undone(nb)).toEqual([
      `r-0001:3=${AT}`,
      `r-0001:4=${AT}`,
      `r-0002:0=${AT}`,
      `r-0002:1=${AT}`,
      `r-0002:2=${AT}`
    ]);
    // nothing else changed: same cells, same order, same sources, the rest of the metadata as it was
    expect(nb.cells.map(c => [c.id, c.source])).toEqual(before.map((c: any) => [c.id, c.source]));
    nb.cells.forEach((cell, i) => {
      const { undone: _, ...rest } = cell.metadata.codeact ?? {};
      expect(cell.metadata.codeact ? rest : undefined).toEqual(before[i].metadata.codeact);
    });
  });

  it('are marked once: the same undo again, or a later one, changes nothing of a cell marked already', () => {
    const { nb, handler } = notebook();
    handler.handle(undoMessage([['r-0001', 3, AT]]), HERE);
    const changes = nb.applied;
    handler.handle(undoMessage([['r-0001', 3, AT]]), HERE);
    expect(nb.applied).toBe(changes); // not even a change of the model
    // the rest of the run undone later: its first cells get the later time, the marked ones keep theirs
    handler.handle(undoMessage([['r-0001', 0, LATER]]), HERE);
    expect(undone(nb).filter(u => u.startsWith('r-0001'))).toEqual([
      `r-0001:0=${LATER}`,
      `r-0001:1=${LATER}`,
      `r-0001:2=${LATER}`,
      `r-0001:3=${AT}`,
      `r-0001:4=${AT}`
    ]);
  });

  it('include a cell of the run without an index (an older save) only when the whole run is undone', () => {
    const nb = new FakeNotebook([
      {
        id: 'old',
        source: 'x',
        cell_type: 'code',
        metadata: { codeact: { run_id: 'r-0001', role: 'step', key: 'r-0001:1' } }
      },
      { id: 'new', source: 'y', cell_type: 'code', metadata: { codeact: { run_id: 'r-0001', role: 'step', index: 3 } } }
    ]);
    expect(undoneMarks(nb, [{ run_id: 'r-0001', from_index: 2, at: AT }])).toEqual([{ index: 1, at: AT }]);
    expect(undoneMarks(nb, [{ run_id: 'r-0001', from_index: 0, at: AT }])).toEqual([
      { index: 0, at: AT },
      { index: 1, at: AT }
    ]);
    expect(undoneMarks(nb, [{ run_id: 'r-0009', from_index: 0, at: AT }])).toEqual([]);
    expect(undoneMarks(nb, [])).toEqual([]);
  });

  it('are marked from a runs message (a reload) and from a run message, whose summary says undone', () => {
    const nb = new FakeNotebook([FakeNotebook.user('a1b2c3', '%%codeact\nTotal revenue of df')]);
    const handler = new MessageHandler(() => nb);
    handler.handle(fixture('cell_markdown.json'), HERE);
    handler.handle(fixture('cell_code.json'), HERE);
    expect(undone(nb)).toEqual([]);
    const runs = fixture('runs.json'); // r-0001 undone whole at 23:45
    expect(handler.handle(runs, HERE)).toEqual({ kind: 'runs' });
    expect(undone(nb)).toEqual(['r-0001:0=2026-11-21T23:45:00Z', 'r-0001:1=2026-11-21T23:45:00Z']);
    const changes = nb.applied;
    handler.handle(runs, HERE); // the next sync
    expect(nb.applied).toBe(changes);
    expect(handler.runs.get('r-0001')?.undone?.at).toBe('2026-11-21T23:45:00Z');

    // a run message: the summary the kernel sends when it undid a run
    const other = new FakeNotebook([FakeNotebook.user('a1b2c3')]);
    const second = new MessageHandler(() => other);
    second.handle(fixture('cell_code.json'), HERE);
    const run = fixture('run_done.json');
    expect(run.run.undone).toBeNull();
    second.handle(run, HERE);
    expect(undone(other)).toEqual([]);
    run.run.undone = { at: AT, from_step: 1, from_index: 1, forced: true };
    expect(second.handle(run, HERE)).toEqual({ kind: 'runs' });
    expect(undone(other)).toEqual([`r-0001:1=${AT}`]);
  });

  it('are marked whoever asked; the reply to this page names its request, and only once', () => {
    const { nb, handler } = notebook();
    handler.expectUndo('req-7', { runId: 'r-0002', force: false });
    expect([...handler.undoing]).toEqual(['r-0002']);
    expect([...handler.exporting]).toEqual([]);
    // news: another page's request, or %codeact undo typed in a cell
    const news = handler.handle(undoMessage([['r-0003', 0, AT]]), { startedHere: false, parentMsgId: 'exec-9' });
    expect(news).toEqual({ kind: 'undo', message: expect.objectContaining({ run_ids: ['r-0003'] }), request: null });
    expect(undone(nb)).toEqual([`r-0003:0=${AT}`, `r-0003:1=${AT}`]);
    expect([...handler.undoing]).toEqual(['r-0002']);
    // the reply
    const reply = handler.handle(undoMessage([['r-0002', 0, AT]]), { startedHere: true, parentMsgId: 'req-7' });
    expect(reply).toEqual({
      kind: 'undo',
      message: expect.objectContaining({ run_ids: ['r-0002'] }),
      request: { runId: 'r-0002', force: false }
    });
    expect([...handler.undoing]).toEqual([]);
    expect(undone(nb)).toHaveLength(5);
    expect(handler.handle(undoMessage([['r-0002', 0, AT]]), { startedHere: true, parentMsgId: 'req-7' })).toMatchObject(
      {
        request: null
      }
    );
  });

  it('are not marked while there is no notebook, and a refusal marks none', () => {
    const handler = new MessageHandler(() => null);
    expect(handler.handle(fixture('undo.json'), HERE)).toMatchObject({ kind: 'undo', request: null });
    const { nb, handler: other } = notebook();
    other.handle(
      undoMessage([], { refused: true, changed: ['`nums`'], report: 'Not undone: you changed `nums` since run r-0001; ...' }),
      HERE
    );
    expect(undone(nb)).toEqual([]);
  });

  it('an export reply is still told from an undo reply', () => {
    const { handler } = notebook();
    handler.expectReply('req-1', 'r-0001');
    handler.expectUndo('req-2', { runId: 'r-0001', force: true });
    expect([...handler.exporting]).toEqual(['r-0001']);
    expect(handler.handle(fixture('export.json'), { startedHere: true, parentMsgId: 'req-1' }).kind).toBe('export');
    expect([...handler.undoing]).toEqual(['r-0001']);
    expect(handler.handle(fixture('error.json'), { startedHere: true, parentMsgId: 'req-2' }).kind).toBe('error');
    expect(handler.waiting).toBe(false);
  });
});

/** Run summaries, newest first, as the panel lists them. */
function runs(...specs: [string, { undone?: number; undoable?: boolean; status?: string }][]) {
  const base = fixture('run_done.json').run;
  return specs.map(([run_id, spec]) => ({
    ...base,
    run_id,
    status: spec.status ?? 'done',
    undoable: spec.undoable ?? true,
    undone: spec.undone === undefined ? null : { at: AT, from_step: spec.undone, from_index: 0, forced: false }
  }));
}

describe('what the panel asks before an undo', () => {
  it('names the later runs the kernel undoes too, newest first, leaving out those undone whole', () => {
    const list = runs(['r-0004', {}], ['r-0003', { undone: 1 }], ['r-0002', { undone: 2 }], ['r-0001', {}]);
    expect(laterRuns(list, 'r-0001').map(r => r.run_id)).toEqual(['r-0004', 'r-0002']);
    expect(laterRuns(list, 'r-0004')).toEqual([]);
    expect(laterRuns(list, 'r-9999')).toEqual([]);
  });

  it('says what it restores, the later runs, and that the cells stay', () => {
    expect(confirmUndoText('r-0001', [])).toEqual({
      title: 'Undo run r-0001?',
      body: [
        'This restores the variables and files as they were before run r-0001.',
        'The cells the run inserted stay in the notebook, marked undone.'
      ]
    });
    expect(confirmUndoText('r-0001', ['r-0002']).body[1]).toBe('The later run r-0002 is undone too, first.');
    const three = confirmUndoText('r-0001', ['r-0004', 'r-0003', 'r-0002']);
    expect(three.body[1]).toBe('The 3 later runs are undone too, newest first: r-0004, r-0003, r-0002.');
    expect(three.body[2]).toBe('The cells the runs inserted stay in the notebook, marked undone.');
  });
});

describe("what the panel makes of the kernel's answer", () => {
  it('offers to undo anyway only when the kernel names what the user changed since the runs', () => {
    expect(undoAnswer(fixture('undo.json'))).toBe('done');
    const refused = (report: string, changed: string[] = []) => ({
      ...fixture('undo.json'),
      refused: true,
      run_ids: [],
      undone: [],
      report,
      changed
    });
    // the kernel's own words (codeact_magic/undo.py), with what changed listed in `changed`
    expect(
      undoAnswer(
        refused('Not undone: you changed `nums`, out.txt since run r-0001; %codeact undo --force restores them anyway.', [
          '`nums`',
          'out.txt'
        ])
      )
    ).toBe('changed');
    expect(undoAnswer(refused('Nothing to undo: run r-0001 is undone already.'))).toBe('refused');
    expect(undoAnswer(refused('Run r-0001 cannot be undone: its snapshots were released.'))).toBe('refused');
  });

  it('gives the first line of a report as news, cut for a notification', () => {
    expect(reportHeadline(fixture('undo.json').report)).toBe('Undid run r-0001 (2 steps).');
    const long = reportHeadline('x'.repeat(300));
    expect(long).toHaveLength(140);
    expect(long.endsWith('…')).toBe(true);
  });
});

describe("a card's Undo button and chip", () => {
  it('can be pressed only for a run the kernel can undo, not running, not waiting for an answer', () => {
    const [can, running, undone, released] = runs(
      ['r-4', {}],
      ['r-3', { status: 'running', undoable: false }],
      ['r-2', { undone: 1, undoable: false }],
      ['r-1', { undoable: false }]
    );
    expect(undoButton(can, false)).toEqual({
      disabled: false,
      label: 'Undo',
      title: 'Restore the variables and files as they were before this run (asks first)'
    });
    expect(undoButton(can, true)).toMatchObject({ disabled: true, label: 'Undoing…' });
    expect(undoButton(running, false)).toEqual({ disabled: true, label: 'Undo', title: 'Running' });
    expect(undoButton({ ...running, undoable: true }, false).disabled).toBe(true);
    expect(undoButton(undone, false)).toEqual({ disabled: true, label: 'Undo', title: 'Undone' });
    expect(undoButton(released, false)).toEqual({
      disabled: true,
      label: 'Undo',
      title: 'Nothing kept to undo it (run from the journal, or its snapshots were released)'
    });
    // undone from step 2 on, its first step still kept: it can be undone further
    const part = runs(['r-5', { undone: 2, undoable: true }])[0];
    expect(undoButton(part, false).disabled).toBe(false);
  });

  it('says when the run was undone, and from which step', () => {
    const now = new Date(AT);
    const whole = { at: AT, from_step: 1, from_index: 0, forced: false };
    expect(undoneLabel(whole, now)).toBe(`undone ${formatStartTime(AT, now)}`);
    expect(undoneLabel(whole, now)).toMatch(/^undone \d\d:\d\d:00$/); // the same day: the time only
    expect(undoneLabel({ ...whole, from_step: 3 }, now)).toBe(`undone from step 3 ${formatStartTime(AT, now)}`);
    const later = new Date('2027-01-05T12:00:00Z');
    expect(undoneLabel(whole, later)).toMatch(/^undone 2026-12-0\d \d\d:\d\d:00$/);
  });
});
