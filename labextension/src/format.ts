/**
 * How the panel writes a run's figures. Pure, tested by jest.
 */
import { Usage, RunStatus } from './protocol';

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
