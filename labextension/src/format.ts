/**
 * How the panel writes a run's figures. Pure, tested by jest.
 */
import type { ResultVariable } from './generated/messages';
import { FilesTouched, Isolation, RunStatus, RunSummary, Usage } from './protocol';

const STATUS_LABELS: Record<RunStatus, string> = {
  running: 'running',
  done: 'done',
  stopped: 'stopped',
  failed: 'failed',
  step_limit: 'step limit',
  budget: 'budget reached',
  crashed: 'crashed',
  diverged: 'diverged'
};

/** The status as a word or two, e.g. `step limit`. */
export function statusLabel(status: RunStatus): string {
  return STATUS_LABELS[status] ?? status;
}

/** All input tokens (fresh, written to the cache, read from it). */
export function inputTokens(usage: Usage): number {
  return usage.input_tokens + usage.cache_creation_input_tokens + usage.cache_read_input_tokens;
}

/** A count with thousands separators: `12,345`; `1.2M` from a million on. */
export function formatCount(n: number): string {
  if (n >= 1_000_000) {
    return `${(n / 1_000_000).toFixed(1)}M`;
  }
  return Math.round(n).toLocaleString('en-US');
}

/** Every token the run counted: all input ({@link inputTokens}) and the output. */
export function totalTokens(usage: Usage): number {
  return inputTokens(usage) + usage.output_tokens;
}

/** `12,345 in / 678 out`. */
export function formatTokens(usage: Usage): string {
  return `${formatCount(inputTokens(usage))} in / ${formatCount(usage.output_tokens)} out`;
}

/** USD with four decimals below a dollar, two above; `cost unknown` for null. */
export function formatCost(usd: number | null): string {
  if (usd === null) {
    return 'cost unknown';
  }
  return usd < 1 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

/**
 * When a run started, in local time: `14:02:31` on the day of `now`, `2026-11-21 14:02:31` on another day. An
 * unreadable time is shown as it came.
 *
 * @param iso - ISO 8601 (the kernel sends UTC, `2026-11-21T23:40:00Z`).
 */
export function formatStartTime(iso: string, now: Date = new Date()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return iso;
  }
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  const sameDay =
    date.getFullYear() === now.getFullYear() && date.getMonth() === now.getMonth() && date.getDate() === now.getDate();
  return sameDay ? time : `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${time}`;
}

/** What a card says of a run's steps; the step counts of one card always agree. */
export interface IStepsText {
  /** Beside "Steps": `2 of 20 running` while step 2 runs, `1 of 20 done` between steps, `3 of 20` once ended. */
  figure: string;
  /** On one line of a compact card: `step 2 of 20 running`, `1 of 20 steps done`, `3 of 20 steps`. */
  line: string;
  /** Over the code of the step running now: `Step 2 of 20 running`; null when no step runs. */
  running: string | null;
}

/**
 * The step figures of a run. `steps` counts the finished steps; while one runs (`current_code` set) it is step
 * `steps + 1`, and the figure, the line and the label all name that one.
 */
export function stepsText(run: Pick<RunSummary, 'status' | 'steps' | 'max_steps' | 'current_code'>): IStepsText {
  const of = `of ${run.max_steps}`;
  if (run.status !== 'running') {
    return { figure: `${run.steps} ${of}`, line: `${run.steps} ${of} steps`, running: null };
  }
  if (run.current_code !== null) {
    const step = run.steps + 1;
    return { figure: `${step} ${of} running`, line: `step ${step} ${of} running`, running: `Step ${step} ${of} running` };
  }
  return { figure: `${run.steps} ${of} done`, line: `${run.steps} ${of} steps done`, running: null };
}

/** The runs' figures summed, as {@link runTotals} in `runs.ts` adds them up. */
export interface ITotals {
  runs: number;
  /** {@link totalTokens} summed. */
  tokens: number;
  /** USD summed over the runs whose cost is known. */
  costUsd: number;
  /** How many runs have no known cost (their model's price is unknown). */
  unknownCost: number;
}

/** `3 runs · 12,345 tokens · $0.0123`, with `(+ 1 run of unknown cost)` when some cost is unknown. */
export function formatTotals(totals: ITotals): string {
  const runs = `${totals.runs} run${totals.runs === 1 ? '' : 's'}`;
  const tokens = `${formatCount(totals.tokens)} tokens`;
  let cost: string;
  if (totals.unknownCost === totals.runs && totals.runs > 0) {
    cost = 'cost unknown';
  } else {
    cost = formatCost(totals.costUsd);
    if (totals.unknownCost > 0) {
      cost += ` (+ ${totals.unknownCost} run${totals.unknownCost === 1 ? '' : 's'} of unknown cost)`;
    }
  }
  return `${runs} · ${tokens} · ${cost}`;
}

/** `9.5 s`, `2 min 05 s`, `1 h 02 min`. */
export function formatElapsed(seconds: number): string {
  if (seconds < 60) {
    return `${seconds.toFixed(1)} s`;
  }
  const s = Math.floor(seconds);
  if (s < 3600) {
    return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  }
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** The task on one line, cut to `max` characters with an ellipsis. */
export function oneLine(text: string, max = 120): string {
  const line = text.split(/\s+/).filter(Boolean).join(' ');
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** A file name for an export beside `notebookPath` that does not collide with `taken` names. */
export function exportPath(notebookPath: string, filename: string, taken: ReadonlySet<string>): string {
  const slash = notebookPath.lastIndexOf('/');
  const dir = slash < 0 ? '' : notebookPath.slice(0, slash + 1);
  const safe = (filename.split('/').pop() || 'codeact-run.ipynb').replace(/[\\:*?"<>|]/g, '_');
  const dot = safe.toLowerCase().endsWith('.ipynb') ? safe.length - 6 : safe.length;
  const stem = safe.slice(0, dot);
  let name = `${stem}.ipynb`;
  for (let n = 1; taken.has(name) || dir + name === notebookPath; n++) {
    name = `${stem}-${n}.ipynb`;
  }
  return dir + name;
}

/** A size as file browsers show it, in decimal units, as `codeact_magic.files.human_size` writes it: `512 B`,
 * `3.1 MB`, `12 KB`, `999 KB`, and `1.0 MB` rather than `1000 KB`. */
export function humanSize(bytes: number): string {
  if (bytes < 1000) {
    return `${bytes} B`;
  }
  const units = ['KB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  for (const unit of units) {
    value /= 1000;
    const text = value < 9.95 ? value.toFixed(1) : value.toFixed(0);
    if (Number(text) < 1000 || unit === units[units.length - 1]) {
      return `${text} ${unit}`;
    }
  }
  return `${bytes} B`;
}

/** One file a run touched: its mark (`+` created, `~` modified, `−` deleted), path and size after the run. */
export interface IFileLine {
  mark: '+' | '~' | '−';
  change: 'created' | 'modified' | 'deleted';
  path: string;
  size: string | null;
}

/** The files a run touched, as the panel lists them, and the note when the scan was cut short. */
export function fileLines(files: FilesTouched | null | undefined): { lines: IFileLine[]; note: string | null } {
  const marks = { created: '+', modified: '~', deleted: '−' } as const;
  const lines = (files?.changes ?? []).map(c => ({
    mark: marks[c.change],
    change: c.change,
    path: c.path,
    size: c.size === null || c.size === undefined ? null : humanSize(c.size)
  }));
  const note = files && !files.complete ? `scan cut short${files.reason ? `: ${files.reason}` : ''}` : null;
  return { lines, note };
}

/**
 * The `-o NAME` result of a run in a few words: `result shares` (with `--returns`: `result shares: dict[str, float]`)
 * while it runs, then `result shares ✓` when the variable is set and checks, `result shares: missing` or
 * `result shares: invalid` (typed: `result shares: dict[str, float] · invalid`).
 */
export function outputText(output: ResultVariable): string {
  const typed = output.type ? `result ${output.name}: ${output.type}` : `result ${output.name}`;
  switch (output.status) {
    case 'valid':
      return `${typed} ✓`;
    case 'missing':
    case 'invalid':
      return output.type ? `${typed} · ${output.status}` : `${typed}: ${output.status}`;
    default:
      return typed;
  }
}

/**
 * Where a run's steps ran, who approved them, the variable it must set and the MCP servers it reached, in a few
 * words: `isolated · no network`, `on a gateway`, `approve risky`, `result shares ✓` ({@link outputText}),
 * `MCP fixture, github`; empty for a run in the user's kernel without any of these.
 */
export function controlText(run: {
  isolation?: Isolation | null;
  approve?: string;
  output?: ResultVariable | null;
  mcp?: string[];
}): string[] {
  const parts: string[] = [];
  const isolation = run.isolation;
  if (isolation) {
    if (isolation.kernel === 'gateway') {
      parts.push('isolated on a gateway');
    } else {
      parts.push(isolation.network ? 'isolated · network allowed' : 'isolated · no network');
    }
  }
  if (run.approve && run.approve !== 'never') {
    parts.push(`approve ${run.approve}`);
  }
  if (run.output) {
    parts.push(outputText(run.output));
  }
  if (run.mcp && run.mcp.length > 0) {
    parts.push(`MCP ${run.mcp.join(', ')}`);
  }
  return parts;
}

/** Whether an `input_request` prompt is `--approve`'s question (`codeact_magic.approval`: `Run step 3? ...`). */
export function isApprovalPrompt(prompt: string): boolean {
  return /^(Run step \d+\?|Please answer y, n)/.test(prompt);
}

/** The question of an approval prompt, without its list of answers (`Run step 2? Flagged: shell escape `!ls`.`). */
export function approvalQuestion(prompt: string): string {
  return prompt.replace(/\s*\[y run it.*$/s, '').trim();
}

/** Whether an `input_request` prompt is the model's `ask_user` question (`codeact_magic.asking.PROMPT`). */
export function isQuestionPrompt(prompt: string): boolean {
  return prompt.startsWith('Claude asks: ');
}

/** The question of an `ask_user` prompt, without its `Claude asks: ` and `\nYour answer: `. */
export function questionOf(prompt: string): string {
  return prompt
    .replace(/^Claude asks: /, '')
    .replace(/\n\s*Your answer:\s*$/, '')
    .trim();
}
