/**
 * The buttons of a run card: Stop (the live run), Go to, Export and Undo. What they do is the panel's
 * ({@link IRunActions}); what the Undo button says and whether it can be pressed is `undo.ts`'s.
 */
import { Button, downloadIcon, searchIcon, stopIcon, undoIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { IRunView } from './runs';
import { undoButton } from './undo';

/** What the view acts on: provided by the panel. */
export interface IRunActions {
  stop(run: IRunView): void;
  /** Answer the run's waiting prompt: `y`, `n`, `a` or `q` to an approval, the reply (empty: none) to a question. */
  approve(answer: string): void;
  exportRun(run: IRunView): void;
  /** Undo the run (and every later run), once the user said so. */
  undoRun(run: IRunView): void;
  goTo(run: IRunView): void;
}

export interface IActionsProps {
  run: IRunView;
  actions: IRunActions;
  /** The run's export was asked for and is not answered yet. */
  exporting: boolean;
  /** The run's undo was asked for and is not answered yet. */
  undoing: boolean;
}

export function Actions({ run, actions, exporting, undoing }: IActionsProps): JSX.Element {
  const undo = undoButton(run, undoing);
  return (
    <div className="jp-codeact-actions">
      {run.status === 'running' ? (
        <Button
          small
          className="jp-codeact-stop"
          title="Interrupt the kernel: the run ends as stopped and keeps the steps done so far"
          onClick={() => actions.stop(run)}
        >
          <stopIcon.react tag="span" className="jp-codeact-buttonIcon" />
          Stop
        </Button>
      ) : null}
      <Button
        small
        minimal
        className="jp-codeact-goto"
        data-replaced-by={run.replaced_by ?? undefined}
        title={
          run.replaced_by
            ? `Replaced by run ${run.replaced_by}: its cells are gone; goes to the %%codeact cell`
            : "Scroll to this run's cells"
        }
        onClick={() => actions.goTo(run)}
      >
        <searchIcon.react tag="span" className="jp-codeact-buttonIcon" />
        Go to
      </Button>
      <Button
        small
        minimal
        className="jp-codeact-export"
        disabled={exporting}
        title={
          exporting
            ? 'Waiting for the kernel: it answers when it is idle'
            : 'Write this run as a notebook beside this one and open it'
        }
        onClick={() => actions.exportRun(run)}
      >
        <downloadIcon.react tag="span" className="jp-codeact-buttonIcon" />
        {exporting ? 'Exporting…' : 'Export'}
      </Button>
      <Button
        small
        minimal
        className="jp-codeact-undo"
        disabled={undo.disabled}
        title={undo.title}
        onClick={() => actions.undoRun(run)}
      >
        <undoIcon.react tag="span" className="jp-codeact-buttonIcon" />
        {undo.label}
      </Button>
    </div>
  );
}
