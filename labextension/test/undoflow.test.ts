/**
 * An undo from the panel, through the notebook's model and its kernel channel: the question first, then the
 * `undo_request` on the page's comm; the kernel's answer shown only on the page that asked (done: news; refused
 * because the user changed things: "Undo anyway" resends it forced; refused otherwise: the report and OK); the cells
 * marked in the notebook model on every page, through the cell model's metadata.
 *
 * JupyterLab's dialogs and notifications are mocked (jest runs in Node); the kernel is a fake connection whose iopub
 * the test feeds, and the notebook model a fake whose cells keep their metadata as the shared model does.
 */
import { Signal } from '@lumino/signaling';
import { Notification, showDialog } from '@jupyterlab/apputils';
import React from 'react';

import { CodeActModel } from '../src/model';
import { cellMessage, fixture } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

jest.mock('@jupyterlab/apputils', () => {
  const button =
    (label: string, accept: boolean, displayType: string) =>
    (options: Any = {}) => ({
      label,
      accept,
      displayType,
      ...options
    });
  return {
    showDialog: jest.fn(),
    Dialog: {
      cancelButton: button('Cancel', false, 'default'),
      okButton: button('OK', true, 'default'),
      warnButton: button('OK', true, 'warn')
    },
    Notification: { success: jest.fn(), error: jest.fn(), warning: jest.fn(), info: jest.fn() }
  };
});

const { renderToStaticMarkup }: { renderToStaticMarkup(element: React.ReactElement): string } =
  jest.requireActual('react-dom/server');

/** What the channel uses of `window`: the `pagehide` listener. */
(globalThis as Any).window = { addEventListener() {}, removeEventListener() {} };

const dialog = showDialog as jest.Mock;
const success = Notification.success as jest.Mock;

/** Answer the next dialog with the button labelled `label`. */
function pressNext(label: string): void {
  dialog.mockImplementationOnce(async (options: Any) => ({
    button: options.buttons.find((b: Any) => b.label === label),
    value: null,
    isChecked: null
  }));
}

/** The dialogs shown: title, button labels (the warn one starred), and the body as HTML. */
function shown(): { title: string; buttons: string[]; body: string }[] {
  return dialog.mock.calls.map(([options]: Any[]) => ({
    title: options.title,
    buttons: options.buttons.map((b: Any) => (b.displayType === 'warn' ? `${b.label}*` : b.label)),
    body: typeof options.body === 'string' ? options.body : renderToStaticMarkup(options.body)
  }));
}

/** A cell of the fake notebook: the shared cell and the cell model at once. */
function fakeCell(id: string, metadata: Record<string, Any>): Any {
  const cell: Any = {
    metadata: JSON.parse(JSON.stringify(metadata)),
    getId: () => id,
    getSource: () => '',
    getMetadata: (key: string) => JSON.parse(JSON.stringify(cell.metadata[key] ?? null)) ?? undefined,
    setMetadata(key: string, value: unknown) {
      cell.metadata[key] = JSON.parse(JSON.stringify(value));
      cell.changed.emit({ metadataChange: { [key]: value } });
    }
  };
  cell.changed = new Signal(cell);
  return cell;
}

/** A notebook model with the %%codeact cell and the cells of two runs, its kernel, and the model over them. */
function setup() {
  const cells = [fakeCell('a1b2c3', {})];
  for (const [run, n] of [
    ['r-0001', 3],
    ['r-0002', 2]
  ] as const) {
    for (let i = 0; i < n; i++) {
      cells.push(fakeCell(`${run}-${i}`, cellMessage(run, i).cell.metadata));
    }
  }
  const sent: Any[] = [];
  let ids = 0;
  const future = (data: Any) => {
    sent.push(data);
    return { msg: { header: { msg_id: `msg-${++ids}` } } };
  };
  const kernel: Any = {
    id: 'k-1',
    clientId: 'client-1',
    isDisposed: false,
    registerCommTarget() {},
    removeCommTarget() {},
    requestCommInfo: () => Promise.resolve({ content: { status: 'ok', comms: {} } }),
    createComm: () => ({ isDisposed: false, open: future, send: future, close() {} })
  };
  kernel.iopubMessage = new Signal(kernel);
  kernel.anyMessage = new Signal(kernel);
  kernel.statusChanged = new Signal(kernel);
  const sessionContext: Any = { session: { kernel } };
  sessionContext.kernelChanged = new Signal(sessionContext);
  const model: Any = {
    collaborative: false,
    sharedModel: { cells, transact: (f: () => void) => f() },
    cells: { get: (i: number) => cells[i] }
  };
  const context: Any = { sessionContext, model, isReady: true, ready: Promise.resolve(), localPath: 'nb.ipynb' };
  context.disposed = new Signal(context);
  const codeact = new CodeActModel({ context, contents: {} as Any, open: async () => undefined });
  /** A codeact message on iopub, in reply to `parent` (a message id) or not. */
  const receive = (data: Any, parent = 'exec-1') =>
    kernel.iopubMessage.emit({
      header: { msg_type: 'comm_msg' },
      parent_header: { msg_id: parent, session: 'client-1' },
      content: { data }
    });
  const undoRequests = () => sent.filter(m => m.type === 'undo_request');
  /** `<cell id>=<undone>` of the cells marked undone. */
  const undone = () =>
    cells.filter(c => c.metadata.codeact?.undone).map(c => `${c.getId()}=${c.metadata.codeact.undone}`);
  return { codeact, receive, sent, undoRequests, undone, cells };
}

/** The kernel's runs: r-0001, then r-0002 (newest first in the panel). */
function runsMessage(): Any {
  const runs = fixture('runs.json');
  const first = { ...runs.runs[0], undone: null, undoable: true };
  runs.runs = [first, { ...first, run_id: 'r-0002', started_at: '2026-11-21T23:50:00Z' }];
  return runs;
}

function reply(refused: boolean, report: string, undone: [string, number][] = [], changed: string[] = []): Any {
  return {
    ...fixture('undo.json'),
    refused,
    report,
    changed,
    run_ids: refused ? [] : undone.map(([runId]) => runId),
    undone: undone.map(([run_id, from_index]) => ({ run_id, from_index, at: '2026-12-02T13:40:00Z' }))
  };
}

/** Let the dialogs' promises settle. */
const settle = () => new Promise(resolve => setTimeout(resolve, 0));

beforeEach(() => {
  dialog.mockReset();
  success.mockReset();
});

describe('Undo from the panel', () => {
  it('asks first, naming the later run, and sends nothing on Cancel', async () => {
    const { codeact, receive, undoRequests } = setup();
    receive(runsMessage());
    pressNext('Cancel');
    expect(await codeact.undo('r-0001')).toBe(false);
    expect(shown()).toEqual([
      {
        title: 'Undo run r-0001?',
        buttons: ['Cancel', 'Undo*'],
        body:
          '<div class="jp-codeact-undoConfirm"><p>This restores the variables and files as they were before run ' +
          'r-0001.</p><p>The later run r-0002 is undone too, first.</p><p>The cells the runs inserted stay in the ' +
          'notebook, marked undone.</p></div>'
      }
    ]);
    expect(undoRequests()).toEqual([]);
    expect(codeact.undoing.size).toBe(0);
  });

  it('on Undo sends undo_request on its comm, then shows the report and marks the cells', async () => {
    const { codeact, receive, sent, undoRequests, undone } = setup();
    receive(runsMessage());
    pressNext('Undo');
    expect(await codeact.undo('r-0002')).toBe(true);
    expect(undoRequests()).toEqual([fixture('undo_request.json')].map(r => ({ ...r, run_id: 'r-0002' })));
    expect([...codeact.undoing]).toEqual(['r-0002']);
    const msgId = `msg-${sent.indexOf(undoRequests()[0]) + 1}`;
    receive(
      reply(false, 'Undid run r-0002 (1 step).\nRestored: nums (its copy from before step 1).', [['r-0002', 0]]),
      msgId
    );
    await settle();
    expect(codeact.undoing.size).toBe(0);
    expect(undone()).toEqual(['r-0002-0=2026-12-02T13:40:00Z', 'r-0002-1=2026-12-02T13:40:00Z']);
    expect(success).toHaveBeenCalledTimes(1);
    expect(success.mock.calls[0][0]).toBe('codeact: Undid run r-0002 (1 step).');
    expect(success.mock.calls[0][1].actions.map((a: Any) => a.label)).toEqual(['Details']);
    expect(dialog).toHaveBeenCalledTimes(1); // the question only
  });

  it('when the user changed things since, shows the report with "Undo anyway", which resends it forced', async () => {
    const { codeact, receive, sent, undoRequests, undone } = setup();
    receive(runsMessage());
    pressNext('Undo');
    await codeact.undo('r-0001');
    const report =
      'Not undone: you changed nums, out.txt since run r-0001, r-0002; %codeact undo --force restores them anyway.';
    pressNext('Undo anyway');
    receive(reply(true, report, [], ['`nums`']), `msg-${sent.length}`);
    await settle();
    const [, refused] = shown();
    expect(refused.title).toBe('Run r-0001 not undone');
    expect(refused.buttons).toEqual(['Cancel', 'Undo anyway*']);
    expect(refused.body).toBe(`<pre class="jp-codeact-undoReport">${report}</pre>`);
    expect(undone()).toEqual([]);
    expect(undoRequests().map(r => [r.run_id, r.force])).toEqual([
      ['r-0001', false],
      ['r-0001', true]
    ]);
    expect([...codeact.undoing]).toEqual(['r-0001']);
    receive(
      reply(false, 'Undid runs r-0002, r-0001 (forced over your changes to nums).', [
        ['r-0002', 0],
        ['r-0001', 0]
      ]),
      `msg-${sent.length}`
    );
    await settle();
    expect(undone()).toHaveLength(5);
    expect(success).toHaveBeenCalledWith('codeact: Undid runs r-0002, r-0001 (forced over your changes to nums).', {
      autoClose: 6000,
      actions: []
    });
  });

  it('Cancel on the refusal sends nothing more; another refusal shows the report with OK only', async () => {
    const { codeact, receive, sent, undoRequests } = setup();
    receive(runsMessage());
    pressNext('Undo');
    await codeact.undo('r-0001');
    pressNext('Cancel');
    receive(reply(true, 'Not undone: you changed `nums` since run r-0001; ...', [], ['`nums`']), `msg-${sent.length}`);
    await settle();
    expect(undoRequests()).toHaveLength(1);

    pressNext('Undo');
    await codeact.undo('r-0001');
    pressNext('OK');
    receive(reply(true, 'Nothing to undo: run r-0001 is undone already.'), `msg-${sent.length}`);
    await settle();
    const last = shown().pop()!;
    expect(last.buttons).toEqual(['OK']);
    expect(last.body).toContain('Nothing to undo: run r-0001 is undone already.');
    expect(undoRequests()).toHaveLength(2);
  });

  it('an undo this page did not ask for (%codeact undo, another page) marks the cells and shows nothing', async () => {
    const { receive, undone } = setup();
    receive(runsMessage());
    receive(reply(false, 'Undid run r-0001 from step 2 on.', [['r-0001', 2]]), 'exec-7');
    await settle();
    expect(undone()).toEqual(['r-0001-2=2026-12-02T13:40:00Z']);
    expect(dialog).not.toHaveBeenCalled();
    expect(success).not.toHaveBeenCalled();
    // the kernel's runs after a reload say the same: nothing changes
    const runs = runsMessage();
    runs.runs[0].undone = { at: '2026-12-02T13:40:00Z', from_step: 2, from_index: 2, forced: false };
    receive(runs);
    expect(undone()).toEqual(['r-0001-2=2026-12-02T13:40:00Z']);
  });
});
