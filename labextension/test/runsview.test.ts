/**
 * The live card's prompt boxes, rendered from a model whose kernel waits for an answer: the approval buttons, and
 * the model's question with a reply box whose Answer (or Enter) and Skip send through `actions.approve`.
 *
 * There is no DOM here (jest runs in Node): the view is rendered to HTML with `react-dom/server`, and the question
 * box is walked as an element tree (its function components called, its state given) to press its buttons.
 */
import React from 'react';

import type { CodeActModel } from '../src/model';
import type { IRunView } from '../src/runs';
import { IRunActions, RunsView } from '../src/runsview';
import { fixture } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

jest.mock('@jupyterlab/ui-components', () => {
  const react = jest.requireActual('react');
  const icon = { react: () => null };
  return {
    Button: ({ small, minimal, ...props }: Any) => react.createElement('button', props),
    ReactWidget: class {
      addClass(): void {}
      update(): void {}
      dispose(): void {}
      get isVisible(): boolean {
        return true;
      }
    },
    downloadIcon: icon,
    searchIcon: icon,
    stopIcon: icon,
    undoIcon: icon
  };
});

/** `react-dom/server` (a dependency of `react-dom`, which has no types installed here). */
const { renderToStaticMarkup }: { renderToStaticMarkup(element: React.ReactElement): string } =
  jest.requireActual('react-dom/server');

/** What the view uses of `window`: the ticker of a live run. */
(globalThis as Any).window = { setInterval: () => 1, clearInterval() {} };

const QUESTION = 'Claude asks: Which year, 2024 or 2025?\nYour answer: ';
const APPROVAL = 'Run step 2? [y run it · n [reason] skip it · a run the rest of this run · q stop the run]: ';

function liveRun(): IRunView {
  const run = fixture('run_running.json').run;
  run.output = { name: 'shares', type: 'dict[str, float]', status: null, error: null };
  return { ...run, received_at: Date.now(), text: 'Let me ask first.', replaced_by: null };
}

function fakeModel(prompt: string | null, runs: IRunView[] = [liveRun()]): CodeActModel {
  return {
    isDisposed: false,
    runs,
    live: runs.find(run => run.status === 'running'),
    exporting: new Set<string>(),
    undoing: new Set<string>(),
    prompt,
    waitingForKernel: false,
    hasKernel: true,
    changed: { connect() {}, disconnect() {} }
  } as unknown as CodeActModel;
}

function viewOf(prompt: string | null): { view: RunsView; answers: string[] } {
  const answers: string[] = [];
  const actions: IRunActions = {
    stop() {},
    approve: answer => answers.push(answer),
    exportRun() {},
    undoRun() {},
    goTo() {}
  };
  const view = new RunsView(actions);
  view.model = fakeModel(prompt);
  return { view, answers };
}

function render(view: RunsView): React.ReactElement {
  return (view as Any).render();
}

/**
 * The element tree of `node` with its function components called, `useState` starting at `typed` and recording
 * what is set in `set` (a shallow renderer without a DOM).
 */
function expand(node: React.ReactNode, typed: string, set: string[]): React.ReactNode {
  const spies = [
    jest.spyOn(React, 'useState').mockImplementation((() => [typed, (v: string) => set.push(v)]) as Any),
    jest.spyOn(React, 'useRef').mockImplementation((() => ({ current: null })) as Any),
    jest.spyOn(React, 'useEffect').mockImplementation(() => undefined)
  ];
  try {
    const walk = (n: React.ReactNode): React.ReactNode => {
      if (Array.isArray(n)) {
        return n.map(walk);
      }
      if (!React.isValidElement(n)) {
        return n;
      }
      const element = n as React.ReactElement<Any>;
      if (typeof element.type === 'function') {
        return walk((element.type as Any)(element.props));
      }
      return { ...element, props: { ...element.props, children: walk(element.props.children) } };
    };
    return walk(node);
  } finally {
    spies.forEach(spy => spy.mockRestore());
  }
}

/** The first element under `node` whose class list has `className`. */
function find(node: React.ReactNode, className: string): React.ReactElement<Any> {
  const found: React.ReactElement<Any>[] = [];
  const walk = (n: React.ReactNode): void => {
    if (Array.isArray(n)) {
      n.forEach(walk);
    } else if (React.isValidElement(n)) {
      const props = (n as React.ReactElement<Any>).props;
      if (String(props.className ?? '').split(' ').includes(className)) {
        found.push(n as React.ReactElement<Any>);
      }
      walk(props.children);
    }
  };
  walk(node);
  if (found.length === 0) {
    throw new Error(`no .${className}`);
  }
  return found[0];
}

describe("the live card's prompt", () => {
  it("shows the model's question with a reply box, Answer and Skip", () => {
    const html = renderToStaticMarkup(render(viewOf(QUESTION).view));
    expect(html).toContain('<div class="jp-codeact-questionText">Which year, 2024 or 2025?</div>');
    expect(html).toMatch(/<input class="jp-mod-styled jp-codeact-questionInput"[^>]*placeholder="Your answer"/);
    expect(html).toMatch(/<button class="jp-codeact-answer" disabled=""[^>]*>Answer<\/button>/);
    expect(html).toMatch(/<button class="jp-codeact-skip"[^>]*>Skip<\/button>/);
    expect(html).not.toContain('jp-codeact-approval');
    // the -o result waits for the answer
    expect(html).toContain('<span class="jp-codeact-chip jp-codeact-result" data-status="pending"');
    expect(html).toContain('result shares: dict[str, float]</span>');
  });

  it('shows the approval buttons for an approval, and no box without a prompt', () => {
    const approval = renderToStaticMarkup(render(viewOf(APPROVAL).view));
    expect(approval).toContain('<div class="jp-codeact-approvalQuestion">Run step 2?</div>');
    expect(approval).not.toContain('jp-codeact-question');
    const none = renderToStaticMarkup(render(viewOf(null).view));
    expect(none).not.toContain('jp-codeact-question');
    expect(none).not.toContain('jp-codeact-approval');
  });

  it('sends the typed reply with Answer or Enter, and an empty one with Skip', () => {
    const { view, answers } = viewOf(QUESTION);
    const set: string[] = [];
    const empty = expand(render(view), '', set);
    find(empty, 'jp-codeact-questionInput').props.onChange({ target: { value: '2025' } });
    expect(set).toEqual(['2025']);
    expect(find(empty, 'jp-codeact-answer').props.disabled).toBe(true);
    const enter = { key: 'Enter', preventDefault: jest.fn() };
    find(empty, 'jp-codeact-questionInput').props.onKeyDown(enter);
    expect(answers).toEqual([]); // nothing typed: Enter sends nothing
    find(empty, 'jp-codeact-skip').props.onClick();
    expect(answers).toEqual(['']);

    const typed = expand(render(view), '2025, the last full year', set);
    expect(find(typed, 'jp-codeact-answer').props.disabled).toBe(false);
    find(typed, 'jp-codeact-answer').props.onClick();
    find(typed, 'jp-codeact-questionInput').props.onKeyDown(enter);
    expect(enter.preventDefault).toHaveBeenCalled();
    find(typed, 'jp-codeact-questionInput').props.onKeyDown({ key: 'a', preventDefault: jest.fn() });
    expect(answers).toEqual(['', '2025, the last full year', '2025, the last full year']);
  });
});

describe("a run card's Undo", () => {
  /** The past runs' cards, with the runs of `specs` (newest first); `undoing`: the runs awaiting an answer. */
  function cards(specs: Partial<IRunView>[], undoing: string[] = []) {
    const base = fixture('run_done.json').run;
    const runs: IRunView[] = specs.map(spec => ({ ...base, received_at: Date.now(), text: '', replaced_by: null, ...spec }));
    const undone: IRunView[] = [];
    const actions: IRunActions = {
      stop() {},
      approve() {},
      exportRun() {},
      undoRun: run => undone.push(run),
      goTo() {}
    };
    const view = new RunsView(actions);
    const model = fakeModel(null, runs);
    (model as Any).undoing = new Set(undoing);
    view.model = model;
    return { view, undone };
  }

  /** Each card's Undo button as HTML, by run id. */
  function buttons(html: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const card of html.split('<li class="jp-codeact-RunItem').slice(1)) {
      const id = /data-run-id="([^"]+)"/.exec(card)![1];
      out[id] = /<button class="jp-codeact-undo"[^>]*>.*?<\/button>/.exec(card)![0];
    }
    return out;
  }

  const UNDONE = { at: '2026-12-02T13:40:00Z', from_step: 1, from_index: 0, forced: true };

  it('is enabled only when the kernel can undo the run and no answer is awaited, and says why not', () => {
    const { view } = cards(
      [
        { run_id: 'r-4', undoable: true },
        { run_id: 'r-3', undoable: true },
        { run_id: 'r-2', undoable: false, undone: UNDONE },
        { run_id: 'r-1', undoable: false, undone: null }
      ],
      ['r-3']
    );
    const html = renderToStaticMarkup(render(view));
    expect(buttons(html)).toEqual({
      'r-4':
        '<button class="jp-codeact-undo" title="Restore the variables and files as they were before this run (asks first)">Undo</button>',
      'r-3': '<button class="jp-codeact-undo" disabled="" title="Waiting for the kernel: it answers when it is idle">Undoing…</button>',
      'r-2': '<button class="jp-codeact-undo" disabled="" title="Undone">Undo</button>',
      'r-1':
        '<button class="jp-codeact-undo" disabled="" title="Nothing kept to undo it (run from the journal, or its snapshots were released)">Undo</button>'
    });
  });

  it('is disabled on the live card, which says Running', () => {
    const { view } = cards([{ ...fixture('run_running.json').run, undoable: true }]);
    const html = renderToStaticMarkup(render(view));
    expect(html).toContain('<button class="jp-codeact-undo" disabled="" title="Running">Undo</button>');
  });

  it('asks the panel to undo the run when pressed', () => {
    const { view, undone } = cards([{ run_id: 'r-4', undoable: true }]);
    const tree = expand(render(view), '', []);
    find(tree, 'jp-codeact-undo').props.onClick();
    expect(undone.map(run => run.run_id)).toEqual(['r-4']);
  });

  it('an undone run is greyed and says when, and that it was forced', () => {
    const { view } = cards([
      { run_id: 'r-2', undoable: false, undone: UNDONE },
      { run_id: 'r-1', undoable: true, undone: null }
    ]);
    const html = renderToStaticMarkup(render(view));
    const [undone, kept] = html.split('<li class="jp-codeact-RunItem').slice(1);
    expect(undone).toMatch(/^ jp-codeact-undone" data-run-id="r-2"[^>]*data-undone="2026-12-02T13:40:00Z"/);
    expect(undone).toMatch(
      /<\/div><div class="jp-codeact-undoneLine"><span class="jp-codeact-undoneChip" title="Undone [^"]+, forced over changes made since the run: [^"]+" data-forced="true">undone (2026-12-0\d )?\d\d:\d\d:00<span class="jp-codeact-forced"> · forced<\/span><\/span><\/div>/
    );
    expect(kept).toMatch(/^" data-run-id="r-1"/);
    expect(kept).not.toContain('jp-codeact-undone');
  });
});
