/**
 * The content of the runs panel: the totals of the kernel's runs, the live run (streaming reasoning, current step,
 * Stop) and every run of the active notebook's kernel with its start time, run id, figures, whether it was undone,
 * and its Go to, Export and Undo buttons (`runactions.tsx`). A React view over a {@link CodeActModel}.
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import React, { useEffect, useRef } from 'react';

import {
  controlText,
  fileLines,
  formatCost,
  formatCount,
  formatElapsed,
  formatStartTime,
  formatTokens,
  formatTotals,
  oneLine,
  outputText,
  statusLabel,
  stepsText
} from './format';
import { CodeActModel } from './model';
import { Prompt } from './prompt';
import { Actions, IRunActions } from './runactions';
import { IRunView, elapsedSeconds, runTotals } from './runs';
import { UNDONE_CLASS, undoneLabel, undoneTitle } from './undo';

export type { IRunActions };

export class RunsView extends ReactWidget {
  constructor(actions: IRunActions) {
    super();
    this._actions = actions;
    this.addClass('jp-codeact-RunsView');
  }

  /** The notebook's model shown, or null when no notebook is active. */
  get model(): CodeActModel | null {
    return this._model;
  }

  set model(model: CodeActModel | null) {
    if (model === this._model) {
      return;
    }
    this._model?.changed.disconnect(this._onChanged, this);
    this._model = model;
    model?.changed.connect(this._onChanged, this);
    this._onChanged();
  }

  dispose(): void {
    this._stopTicker();
    this._model?.changed.disconnect(this._onChanged, this);
    super.dispose();
  }

  protected render(): JSX.Element {
    const model = this._model && !this._model.isDisposed ? this._model : null;
    if (!model) {
      return (
        <div className="jp-codeact-empty">
          Open a notebook to see the <code>%%codeact</code> runs of its kernel.
        </div>
      );
    }
    const now = Date.now();
    const runs = model.runs;
    const live = runs.find(run => run.status === 'running');
    const past = runs.filter(run => run !== live);
    return (
      <div className="jp-codeact-Runs">
        {runs.length > 0 ? <Totals runs={runs} /> : null}
        {live ? (
          <LiveRun
            run={live}
            now={now}
            actions={this._actions}
            exporting={model.exporting.has(live.run_id)}
            undoing={model.undoing.has(live.run_id)}
            prompt={model.prompt}
          />
        ) : null}
        {runs.length === 0 ? (
          model.waitingForKernel ? (
            <div className="jp-codeact-empty jp-codeact-waiting">
              Waiting for the kernel: it lists its runs when the cell it is running ends (a live run shows as soon as it sends news).
            </div>
          ) : (
            <div className="jp-codeact-empty">
              {model.hasKernel ? 'No ' : 'No kernel, so no '}
              <code>%%codeact</code> run in this notebook&apos;s kernel yet. Run <code>%load_ext codeact_magic</code>,
              then a <code>%%codeact</code> cell.
            </div>
          )
        ) : null}
        {past.length > 0 ? (
          <>
            <h3 className="jp-codeact-sectionTitle">{live ? 'Earlier runs' : 'Runs'}</h3>
            <ul className="jp-codeact-RunList">
              {past.map(run => (
                <RunItem
                  key={run.run_id}
                  run={run}
                  now={now}
                  actions={this._actions}
                  exporting={model.exporting.has(run.run_id)}
                  undoing={model.undoing.has(run.run_id)}
                />
              ))}
            </ul>
          </>
        ) : null}
      </div>
    );
  }

  private _onChanged(): void {
    if (this._model?.live) {
      this._startTicker();
    } else {
      this._stopTicker();
    }
    this.update();
  }

  /** While a run goes on, its elapsed time ticks every second. */
  private _startTicker(): void {
    if (this._ticker === null) {
      this._ticker = window.setInterval(() => {
        if (this.isVisible) {
          this.update();
        }
      }, 1000);
    }
  }

  private _stopTicker(): void {
    if (this._ticker !== null) {
      window.clearInterval(this._ticker);
      this._ticker = null;
    }
  }

  private _actions: IRunActions;
  private _model: CodeActModel | null = null;
  private _ticker: number | null = null;
}

interface IRunProps {
  run: IRunView;
  now: number;
  actions: IRunActions;
  exporting: boolean;
  undoing: boolean;
}

/** The runs' tokens and cost added up. */
function Totals({ runs }: { runs: IRunView[] }): JSX.Element {
  const totals = runTotals(runs);
  return (
    <div
      className="jp-codeact-totals"
      data-tokens={totals.tokens}
      data-cost={totals.costUsd}
      data-unknown-cost={totals.unknownCost}
      title="All the runs of this kernel listed below: every input token (cached ones too) and output token, and the cost in USD"
    >
      <span className="jp-codeact-label">Total</span> <span className="jp-codeact-totalsText">{formatTotals(totals)}</span>
    </div>
  );
}

function StatusChip({ run }: { run: IRunView }): JSX.Element {
  return (
    <span className={`jp-codeact-status jp-codeact-status-${run.status}`} title={run.end_reason ?? undefined}>
      {statusLabel(run.status)}
    </span>
  );
}

/** The chip of a run whose cells a later run of the same cell replaced. */
function ReplacedChip({ run }: { run: IRunView }): JSX.Element | null {
  return run.replaced_by ? (
    <span className="jp-codeact-replaced" title={`Its cells were replaced by run ${run.replaced_by}`}>
      replaced
    </span>
  ) : null;
}

/** The line of a run that was undone (whole, or from a step on): a chip of when, and `forced` when it was. */
function UndoneLine({ run }: { run: IRunView }): JSX.Element | null {
  const undone = run.undone;
  return undone ? (
    <div className="jp-codeact-undoneLine">
      <span className="jp-codeact-undoneChip" title={undoneTitle(undone)} data-forced={undone.forced}>
        {undoneLabel(undone)}
        {undone.forced ? <span className="jp-codeact-forced"> · forced</span> : null}
      </span>
    </div>
  ) : null;
}

/** When the run started (local time) and its id, selectable to copy. */
function RunMeta({ run }: { run: IRunView }): JSX.Element {
  const started = new Date(run.started_at);
  return (
    <div className="jp-codeact-meta">
      <time
        className="jp-codeact-started"
        dateTime={run.started_at}
        title={Number.isNaN(started.getTime()) ? run.started_at : `Started ${started.toLocaleString()}`}
      >
        {formatStartTime(run.started_at)}
      </time>
      <span className="jp-codeact-sep"> · </span>
      <code className="jp-codeact-runId" title="Run id: click to select it, then copy">
        {run.run_id}
      </code>
      {run.replaced_by ? (
        <span className="jp-codeact-replacedBy">
          {' '}
          replaced by <code className="jp-codeact-runId">{run.replaced_by}</code>
        </span>
      ) : null}
    </div>
  );
}

/**
 * Where the steps ran, who approved them, the result variable and the MCP servers (`isolated · no network`,
 * `approve risky`, `result shares ✓`, `MCP github`), as chips.
 */
function ControlChips({ run }: { run: IRunView }): JSX.Element | null {
  const parts = controlText(run);
  if (parts.length === 0) {
    return null;
  }
  const output = run.output;
  const result = output ? outputText(output) : null;
  return (
    <div className="jp-codeact-control" title={run.isolation?.description ?? undefined}>
      {parts.map(part =>
        output && part === result ? (
          <span
            key={part}
            className="jp-codeact-chip jp-codeact-result"
            data-status={output.status ?? 'pending'}
            title={output.error ?? `The run leaves its result in the variable ${output.name}`}
          >
            {part}
          </span>
        ) : (
          <span key={part} className="jp-codeact-chip">
            {part}
          </span>
        )
      )}
    </div>
  );
}

/** The files the run's steps created (+), modified (~) and deleted (−), with their sizes after the run. */
function FilesList({ run, max }: { run: IRunView; max: number }): JSX.Element | null {
  const { lines, note } = fileLines(run.files);
  if (lines.length === 0 && note === null) {
    return null;
  }
  const shown = lines.slice(0, max);
  const where = run.isolation?.workdir ? ` in ${run.isolation.workdir}` : '';
  return (
    <div className="jp-codeact-files" title={`Files the run touched${where}`}>
      <div className="jp-codeact-label">Files</div>
      <ul>
        {shown.map(line => (
          <li key={line.path} data-change={line.change}>
            <span className="jp-codeact-fileMark">{line.mark}</span> <code>{line.path}</code>
            {line.size ? <span className="jp-codeact-fileSize"> {line.size}</span> : null}
          </li>
        ))}
        {lines.length > shown.length ? <li className="jp-codeact-more">+ {lines.length - shown.length} more</li> : null}
      </ul>
      {note ? <div className="jp-codeact-filesNote">{note}</div> : null}
    </div>
  );
}

function Figures({ run, now, compact }: { run: IRunView; now: number; compact?: boolean }): JSX.Element {
  const cached = run.usage.cache_read_input_tokens;
  const steps = stepsText(run);
  const figures: [string, string, string, string | undefined][] = [
    ['steps', 'Steps', compact ? steps.line : steps.figure, undefined],
    [
      'tokens',
      'Tokens',
      formatTokens(run.usage),
      cached ? `${formatCount(cached)} input tokens read from the prompt cache` : undefined
    ],
    ['cost', 'Cost', formatCost(run.cost_usd), undefined],
    ['elapsed', 'Time', formatElapsed(elapsedSeconds(run, now)), undefined]
  ];
  if (compact) {
    // two lines: steps · time · cost, then tokens
    const line = (keys: string[]) =>
      figures
        .filter(([key]) => keys.includes(key))
        .map(([key, name, value, title], i) => (
          <React.Fragment key={key}>
            {i > 0 ? <span className="jp-codeact-sep"> · </span> : null}
            <span data-figure={key} title={title ?? name}>
              {key === 'tokens' ? `${value} tokens` : value}
            </span>
          </React.Fragment>
        ));
    return (
      <div className="jp-codeact-figures jp-mod-compact">
        <div>{line(['steps', 'elapsed', 'cost'])}</div>
        <div>{line(['tokens'])}</div>
      </div>
    );
  }
  return (
    <dl className="jp-codeact-figures">
      {figures.map(([key, name, value, title]) => (
        <React.Fragment key={key}>
          <dt>{name}</dt>
          <dd data-figure={key} title={title}>
            {value}
          </dd>
        </React.Fragment>
      ))}
    </dl>
  );
}

function LiveRun(props: IRunProps & { prompt?: string | null }): JSX.Element {
  const { run, now, actions, exporting, undoing, prompt } = props;
  const running = stepsText(run).running;
  return (
    <section className="jp-codeact-Live" data-run-id={run.run_id}>
      <div className="jp-codeact-runHead">
        <StatusChip run={run} />
        <ReplacedChip run={run} />
        <span className="jp-codeact-model">{run.model}</span>
      </div>
      <RunMeta run={run} />
      <div className="jp-codeact-task" title={run.task}>
        {oneLine(run.task, 300)}
      </div>
      <Figures run={run} now={now} />
      <ControlChips run={run} />
      <FilesList run={run} max={10} />
      <Streaming label="Reasoning" text={run.text} className="jp-codeact-reasoning" />
      {running !== null && run.current_code !== null ? (
        <Streaming label={running} text={run.current_code} className="jp-codeact-currentStep" />
      ) : null}
      {prompt ? <Prompt prompt={prompt} answer={actions.approve} /> : null}
      <Actions run={run} actions={actions} exporting={exporting} undoing={undoing} />
    </section>
  );
}

/** A text that grows while the run goes on, kept scrolled to its end. */
function Streaming({ label, text, className }: { label: string; text: string; className: string }): JSX.Element {
  const ref = useRef<HTMLPreElement>(null);
  useEffect(() => {
    if (ref.current) {
      ref.current.scrollTop = ref.current.scrollHeight;
    }
  }, [text]);
  return (
    <div className={`jp-codeact-streaming ${className}`}>
      <div className="jp-codeact-label">{label}</div>
      <pre ref={ref}>{text || '…'}</pre>
    </div>
  );
}

function RunItem({ run, now, actions, exporting, undoing }: IRunProps): JSX.Element {
  return (
    <li
      className={run.undone ? `jp-codeact-RunItem ${UNDONE_CLASS}` : 'jp-codeact-RunItem'}
      data-run-id={run.run_id}
      data-status={run.status}
      data-replaced-by={run.replaced_by ?? undefined}
      data-undone={run.undone?.at}
    >
      <div className="jp-codeact-runHead">
        <StatusChip run={run} />
        <ReplacedChip run={run} />
        <span className="jp-codeact-task" title={run.task}>
          {oneLine(run.task, 160)}
        </span>
      </div>
      <RunMeta run={run} />
      <UndoneLine run={run} />
      <Figures run={run} now={now} compact />
      <ControlChips run={run} />
      <FilesList run={run} max={5} />
      {run.end_reason ? <div className="jp-codeact-endReason">{run.end_reason}</div> : null}
      <Actions run={run} actions={actions} exporting={exporting} undoing={undoing} />
    </li>
  );
}
