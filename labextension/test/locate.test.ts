/**
 * Where "Go to" goes (the panel's and the steps link's), and what the steps link shows.
 */
import { STEPS_MIME, goToTarget, parseStepsLink, runCellPositions, stepsLinkView } from '../src/locate';
import { MessageHandler } from '../src/handler';
import { FakeNotebook, SCHEMA, cellMessage, fixture } from './helpers';

const HERE = { startedHere: true, parentMsgId: 'exec-1' };

/** A notebook with run r1's four cells below its cell, then the user's own. */
function notebook() {
  const nb = new FakeNotebook([FakeNotebook.user('anchor', '%%codeact\nTotal'), FakeNotebook.user('mine')]);
  const handler = new MessageHandler(() => nb);
  const done = fixture('run_done.json');
  handler.handle({ ...done, run: { ...done.run, run_id: 'r1', cell_id: 'anchor' } }, HERE);
  for (let i = 0; i < 4; i++) {
    handler.handle(cellMessage('r1', i), HERE);
  }
  return { nb, handler };
}

const LINK = { run_id: 'r1', steps: 2, cells: 4, text: '2 steps below ↓' };

describe('go to', () => {
  it('goes to the run\'s cells, in notebook order', () => {
    const { nb } = notebook();
    expect(runCellPositions(nb, 'r1')).toEqual([1, 2, 3, 4]);
    expect(goToTarget(nb, { run_id: 'r1', cell_id: 'anchor', replaced_by: null })).toEqual({
      kind: 'cells',
      positions: [1, 2, 3, 4]
    });
  });

  it('says a replaced run was replaced, and where its %%codeact cell is', () => {
    const { nb, handler } = notebook();
    handler.handle(cellMessage('r2', 0), HERE);
    const r1 = { run_id: 'r1', cell_id: 'anchor', replaced_by: 'r2' };
    expect(goToTarget(nb, r1)).toEqual({ kind: 'replaced', by: 'r2', source: 0 });
    expect(goToTarget(nb, { ...r1, cell_id: 'gone' })).toEqual({ kind: 'replaced', by: 'r2', source: -1 });
  });

  it('goes to the %%codeact cell when the run\'s cells were deleted, and nowhere when nothing of it is here', () => {
    const { nb } = notebook();
    nb.cells.splice(1, 4);
    expect(goToTarget(nb, { run_id: 'r1', cell_id: 'anchor', replaced_by: null })).toEqual({ kind: 'source', at: 0 });
    expect(goToTarget(nb, { run_id: 'r9', cell_id: null, replaced_by: null })).toEqual({ kind: 'absent' });
  });
});

describe('the steps link', () => {
  it('is declared in the schema with the MIME type the extension renders', () => {
    expect(SCHEMA.$defs.StepsLink.description).toContain(STEPS_MIME);
  });

  it('takes only data that matches the schema', () => {
    expect(parseStepsLink(LINK)).toEqual(LINK);
    expect(parseStepsLink({ ...LINK, run_id: '' })).toBeNull();
    expect(parseStepsLink({ ...LINK, steps: -1 })).toBeNull();
    expect(parseStepsLink({ ...LINK, extra: 1 })).toBeNull();
    expect(parseStepsLink('2 steps below')).toBeNull();
    expect(parseStepsLink(undefined)).toBeNull();
  });

  it('has a Go to while the run\'s cells are here', () => {
    const { nb } = notebook();
    const view = stepsLinkView(LINK, goToTarget(nb, { run_id: 'r1', cell_id: 'anchor', replaced_by: null }));
    expect(view).toEqual({ text: '2 steps below ↓', goTo: true, note: null, title: 'Scroll to the 4 cells of run r1' });
  });

  it('says "replaced by a later run" once a re-run of the cell replaced them', () => {
    const { nb, handler } = notebook();
    handler.handle(cellMessage('r2', 0), HERE);
    const r1 = handler.runs.get('r1')!;
    const view = stepsLinkView(LINK, goToTarget(nb, r1));
    expect(view).toEqual({
      text: '2 steps below ↓',
      goTo: false,
      note: 'replaced by a later run',
      title: 'The cells of run r1 were replaced by run r2'
    });
  });

  it('is the plain line when the run\'s cells are not in this notebook', () => {
    const nb = new FakeNotebook([FakeNotebook.user('other')]);
    for (const run of [
      { run_id: 'r1', cell_id: null, replaced_by: null },
      { run_id: 'r1', cell_id: 'other', replaced_by: null }
    ]) {
      expect(stepsLinkView(LINK, goToTarget(nb, run))).toEqual({ text: LINK.text, goTo: false, note: null, title: '' });
    }
  });
});
