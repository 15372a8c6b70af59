/**
 * Where a run's cells go: order, de-duplication, replace and append, deleted cells, a missing anchor.
 */
import { InsertionPlanner, cellToInsert, duplicatePositions, sourceHash } from '../src/insertion';
import { CellMessage } from '../src/protocol';
import { FakeNotebook, cellMessage } from './helpers';

/** Plan, apply and commit, as the handler does. */
function deliver(planner: InsertionPlanner, nb: FakeNotebook, message: CellMessage, startedHere = true) {
  const plan = planner.plan(nb, message, startedHere);
  if (plan.kind === 'insert') {
    nb.apply(plan.remove, plan.at, cellToInsert(message));
  }
  if (plan.kind === 'insert' || plan.reason === 'present') {
    planner.commit(message);
  }
  return plan;
}

function notebook(): FakeNotebook {
  return new FakeNotebook([
    FakeNotebook.user('setup', 'df = ...'),
    FakeNotebook.user('anchor', '%%codeact\nTotal revenue'),
    FakeNotebook.user('after', 'print("mine")')
  ]);
}

describe('order', () => {
  it('puts a run right below its %%codeact cell, in order, above the cells that were below it', () => {
    const nb = notebook();
    const planner = new InsertionPlanner();
    for (let i = 0; i < 4; i++) {
      deliver(planner, nb, cellMessage('r1', i));
    }
    expect(nb.layout()).toEqual(['setup', 'anchor', 'r1:0', 'r1:1', 'r1:2', 'r1:3', 'after']);
  });

  it('keeps order when a message arrives late', () => {
    const nb = notebook();
    const planner = new InsertionPlanner();
    for (const i of [0, 2, 3, 1]) {
      deliver(planner, nb, cellMessage('r1', i));
    }
    expect(nb.layout()).toEqual(['setup', 'anchor', 'r1:0', 'r1:1', 'r1:2', 'r1:3', 'after']);
  });

  it('goes on after the run cell the user moved, not back below the anchor', () => {
    const nb = notebook();
    const planner = new InsertionPlanner();
    deliver(planner, nb, cellMessage('r1', 0));
    deliver(planner, nb, cellMessage('r1', 1));
    // the user moves r1:1 to the end, then adds a cell of their own in between
    const [moved] = nb.cells.splice(3, 1);
    nb.cells.push(moved);
    nb.cells.splice(3, 0, FakeNotebook.user('typed'));
    deliver(planner, nb, cellMessage('r1', 2));
    expect(nb.layout()).toEqual(['setup', 'anchor', 'r1:0', 'typed', 'after', 'r1:1', 'r1:2']);
  });

  it('puts a follow-up of the run below its own cell, not after the run\'s earlier cells', () => {
    const nb = notebook();
    nb.cells.push(FakeNotebook.user('followup', '%%codeact -c\nNow chart it'), FakeNotebook.user('last'));
    const planner = new InsertionPlanner();
    for (let i = 0; i < 3; i++) {
      deliver(planner, nb, cellMessage('r1', i));
    }
    for (let i = 3; i < 5; i++) {
      deliver(planner, nb, cellMessage('r1', i, { anchor: 'followup' }));
    }
    expect(nb.layout()).toEqual(['setup', 'anchor', 'r1:0', 'r1:1', 'r1:2', 'after', 'followup', 'r1:3', 'r1:4',
      'last']);
    // delivered again after a reload: nothing moves, nothing doubles
    const again = new InsertionPlanner();
    for (let i = 0; i < 5; i++) {
      deliver(again, nb, cellMessage('r1', i, { anchor: i < 3 ? 'anchor' : 'followup' }));
    }
    expect(nb.layout()).toEqual(['setup', 'anchor', 'r1:0', 'r1:1', 'r1:2', 'after', 'followup', 'r1:3', 'r1:4',
      'last']);
  });

  it('records the source hash and trusts code cells, and gives no id', () => {
    const message = cellMessage('r1', 1, { source: 'df.sum()' });
    (message.cell as any).id = 'from-the-kernel';
    const cell = cellToInsert(message);
    expect(cell.metadata.codeact.source_hash).toBe(sourceHash('df.sum()'));
    expect(cell.metadata.trusted).toBe(true);
    expect(cell.id).toBeUndefined();
    expect(message.cell.metadata.codeact.source_hash).toBeUndefined(); // the message is not changed
    expect(cellToInsert(cellMessage('r1', 0)).metadata.trusted).toBeUndefined();
  });
});

describe('de-duplication', () => {
  it('never inserts a key twice: not when the message comes again', () => {
    const nb = notebook();
    const planner = new InsertionPlanner();
    const message = cellMessage('r1', 0);
    expect(deliver(planner, nb, message).kind).toBe('insert');
    expect(deliver(planner, nb, message)).toEqual({ kind: 'skip', reason: 'handled' });
    expect(nb.layout()).toEqual(['setup', 'anchor', 'r1:0', 'after']);
  });

  it('not when the notebook already has the cell (a reload, or another view with its own planner)', () => {
    const nb = notebook();
    deliver(new InsertionPlanner(), nb, cellMessage('r1', 0));
    const reloaded = new InsertionPlanner(); // a fresh page: nothing in memory
    const again = cellMessage('r1', 0);
    expect(deliver(reloaded, nb, again)).toEqual({ kind: 'skip', reason: 'present' });
    expect(reloaded.handledKeys.has('r1:0')).toBe(true);
    // and the next cell of that run goes after it
    deliver(reloaded, nb, cellMessage('r1', 1));
    expect(nb.layout()).toEqual(['setup', 'anchor', 'r1:0', 'r1:1', 'after']);
  });

  it('a cell the user deleted stays deleted', () => {
    const nb = notebook();
    const planner = new InsertionPlanner();
    const first = cellMessage('r1', 0);
    deliver(planner, nb, first);
    nb.cells.splice(2, 1); // the user deletes it
    expect(deliver(planner, nb, first)).toEqual({ kind: 'skip', reason: 'handled' });
    deliver(planner, nb, cellMessage('r1', 1));
    expect(nb.layout()).toEqual(['setup', 'anchor', 'r1:1', 'after']);
  });

  it('inserts nothing with --no-insert', () => {
    const nb = notebook();
    const plan = deliver(new InsertionPlanner(), nb, cellMessage('r1', 0, { mode: 'none' }));
    expect(plan).toEqual({ kind: 'skip', reason: 'no-insert' });
    expect(nb.length).toBe(3);
  });
});

describe('a second run of the same cell', () => {
  function twoRuns(mode: 'replace' | 'append', edit?: (nb: FakeNotebook) => void): FakeNotebook {
    const nb = notebook();
    const planner = new InsertionPlanner();
    for (let i = 0; i < 3; i++) {
      deliver(planner, nb, cellMessage('r1', i));
    }
    edit?.(nb);
    for (let i = 0; i < 2; i++) {
      deliver(planner, nb, cellMessage('r2', i, { mode }));
    }
    return nb;
  }

  it('replaces the earlier run\'s cells by default', () => {
    expect(twoRuns('replace').layout()).toEqual(['setup', 'anchor', 'r2:0', 'r2:1', 'after']);
  });

  it('appends after them when asked', () => {
    expect(twoRuns('append').layout()).toEqual([
      'setup', 'anchor', 'r1:0', 'r1:1', 'r1:2', 'r2:0', 'r2:1', 'after'
    ]);
  });

  it('keeps the earlier cells the user edited, below the new run', () => {
    const nb = twoRuns('replace', nb => {
      nb.cells[3].source = 'df.sum()  # fixed by hand';
    });
    expect(nb.layout()).toEqual(['setup', 'anchor', 'r2:0', 'r2:1', 'r1:1', 'after']);
  });

  it('keeps earlier cells without a hash (it cannot tell whether they were edited)', () => {
    const nb = twoRuns('replace', nb => {
      delete nb.cells[2].metadata.codeact!.source_hash;
    });
    expect(nb.layout()).toEqual(['setup', 'anchor', 'r2:0', 'r2:1', 'r1:0', 'after']);
  });

  it('only replaces the block right below the anchor: the user\'s cells and what follows them stay', () => {
    const nb = twoRuns('replace', nb => {
      nb.cells.splice(4, 0, FakeNotebook.user('typed'));
    });
    expect(nb.layout()).toEqual(['setup', 'anchor', 'r2:0', 'r2:1', 'typed', 'r1:2', 'after']);
  });

  it('does not touch the runs of another %%codeact cell', () => {
    const nb = notebook();
    const planner = new InsertionPlanner();
    nb.cells.push(FakeNotebook.user('other', '%%codeact\nPlot it'));
    deliver(planner, nb, cellMessage('o1', 0, { anchor: 'other' }));
    deliver(planner, nb, cellMessage('r1', 0));
    deliver(planner, nb, cellMessage('r2', 0));
    expect(nb.layout()).toEqual(['setup', 'anchor', 'r2:0', 'after', 'other', 'o1:0']);
  });

  it('replaces only when the run starts: later cells of the run do not remove anything', () => {
    const nb = notebook();
    const planner = new InsertionPlanner();
    deliver(planner, nb, cellMessage('r1', 0));
    deliver(planner, nb, cellMessage('r2', 0));
    nb.cells.splice(2, 1); // the user deletes r2:0: the run's next cell goes below the anchor again
    deliver(planner, nb, cellMessage('r2', 1));
    expect(nb.layout()).toEqual(['setup', 'anchor', 'r2:1', 'after']);
  });
});

describe('a missing anchor', () => {
  it('appends at the end when this notebook started the run', () => {
    const nb = notebook();
    const planner = new InsertionPlanner();
    deliver(planner, nb, cellMessage('r1', 0, { anchor: 'deleted-meanwhile' }));
    deliver(planner, nb, cellMessage('r1', 1, { anchor: 'deleted-meanwhile' }));
    expect(nb.layout()).toEqual(['setup', 'anchor', 'after', 'r1:0', 'r1:1']);
  });

  it('appends at the end when the cell id is unknown', () => {
    const nb = notebook();
    deliver(new InsertionPlanner(), nb, cellMessage('r1', 0, { anchor: null }));
    expect(nb.layout()).toEqual(['setup', 'anchor', 'after', 'r1:0']);
  });

  it('inserts nothing when another notebook or a console on the same kernel started the run', () => {
    const nb = notebook();
    const plan = deliver(new InsertionPlanner(), nb, cellMessage('r1', 0, { anchor: 'elsewhere' }), false);
    expect(plan).toEqual({ kind: 'skip', reason: 'not-ours' });
    expect(nb.length).toBe(3);
  });

  it('after a reload, goes on below the anchor the saved notebook has, though another connection started it', () => {
    const nb = notebook();
    deliver(new InsertionPlanner(), nb, cellMessage('r1', 0));
    const reloaded = new InsertionPlanner();
    deliver(reloaded, nb, cellMessage('r1', 1), false);
    expect(nb.layout()).toEqual(['setup', 'anchor', 'r1:0', 'r1:1', 'after']);
  });
});

describe('two clients of one collaborative notebook', () => {
  it('both insert the same cell: the later copies are found, the same ones on every client', () => {
    const nb = notebook();
    const a = new InsertionPlanner();
    const b = new InsertionPlanner();
    const message = cellMessage('r1', 0);
    // each client planned before the other's insertion reached it
    const planA = a.plan(nb, message, true);
    const planB = b.plan(nb, message, true);
    for (const plan of [planA, planB]) {
      if (plan.kind === 'insert') {
        nb.apply(plan.remove, plan.at, cellToInsert(message));
      }
    }
    deliver(a, nb, cellMessage('r1', 1));
    expect(nb.layout()).toEqual(['setup', 'anchor', 'r1:0', 'r1:1', 'r1:0', 'after']);
    expect(duplicatePositions(nb)).toEqual([4]);
    nb.cells.splice(4, 1);
    expect(duplicatePositions(nb)).toEqual([]);
  });
});

describe('the index of a cell', () => {
  it('is read from metadata.codeact.index, not from the key', () => {
    const nb = notebook();
    const planner = new InsertionPlanner();
    deliver(planner, nb, cellMessage('r1', 0));
    deliver(planner, nb, cellMessage('r1', 2));
    nb.cells[3].metadata.codeact!.key = 'r1:opaque'; // a key is an identity only
    deliver(planner, nb, cellMessage('r1', 1));
    expect(nb.cells.map(c => c.metadata.codeact?.index ?? c.id)).toEqual(['setup', 'anchor', 0, 1, 2, 'after']);
  });

  it('is written into every inserted cell, from its message', () => {
    const message = cellMessage('r1', 3);
    delete message.cell.metadata.codeact.index; // a kernel that did not write it
    expect(cellToInsert(message).metadata.codeact.index).toBe(3);
  });

  it('is unknown for a cell saved without one: it does not order the run, and still counts for its key', () => {
    const nb = notebook();
    const planner = new InsertionPlanner();
    deliver(planner, nb, cellMessage('r1', 0));
    deliver(planner, nb, cellMessage('r1', 1));
    delete nb.cells[3].metadata.codeact!.index; // r1:1, as an older version saved it
    const reloaded = new InsertionPlanner();
    expect(deliver(reloaded, nb, cellMessage('r1', 1))).toEqual({ kind: 'skip', reason: 'present' });
    deliver(reloaded, nb, cellMessage('r1', 2));
    expect(nb.layout()).toEqual(['setup', 'anchor', 'r1:0', 'r1:2', 'r1:1', 'after']);
  });
});
