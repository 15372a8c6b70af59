/**
 * What a run card and the panel's totals say: start time, step counts that agree, totals with unknown costs.
 */
import {
  approvalQuestion,
  controlText,
  fileLines,
  formatStartTime,
  formatTotals,
  humanSize,
  isApprovalPrompt,
  isQuestionPrompt,
  outputText,
  questionOf,
  stepsText,
  totalTokens
} from '../src/format';
import { fixture } from './helpers';

/** ISO UTC of a local time, as the kernel sends `started_at`. */
function iso(...local: [number, number, number, number, number, number]): string {
  return new Date(...local).toISOString();
}

describe('the start time', () => {
  const now = new Date(2026, 10, 21, 18, 0, 0);

  it('is the local time of day on the same day', () => {
    expect(formatStartTime(iso(2026, 10, 21, 14, 2, 31), now)).toBe('14:02:31');
    expect(formatStartTime(iso(2026, 10, 21, 0, 0, 5), now)).toBe('00:00:05');
  });

  it('carries the date on another day', () => {
    expect(formatStartTime(iso(2026, 10, 20, 23, 59, 59), now)).toBe('2026-11-20 23:59:59');
    expect(formatStartTime(iso(2025, 0, 2, 3, 4, 5), now)).toBe('2025-01-02 03:04:05');
  });

  it('reads the kernel\'s UTC form, and shows an unreadable one as it came', () => {
    const utc = '2026-11-21T23:40:00Z';
    const local = new Date(utc);
    const pad = (n: number) => String(n).padStart(2, '0');
    expect(formatStartTime(utc, local)).toBe(`${pad(local.getHours())}:${pad(local.getMinutes())}:00`);
    expect(formatStartTime('yesterday', now)).toBe('yesterday');
  });
});

describe('the step counts of a card', () => {
  const run = { status: 'running' as const, steps: 1, max_steps: 20, current_code: 'df.plot()' };

  it('name the running step alike in the figure and over its code: never "1 of 20" beside "Step 2 running"', () => {
    expect(stepsText(run)).toEqual({
      figure: '2 of 20 running',
      line: 'step 2 of 20 running',
      running: 'Step 2 of 20 running'
    });
    expect(stepsText({ ...run, steps: 0 }).running).toBe('Step 1 of 20 running');
  });

  it('count the finished steps between steps and once the run ended', () => {
    expect(stepsText({ ...run, current_code: null })).toEqual({
      figure: '1 of 20 done',
      line: '1 of 20 steps done',
      running: null
    });
    expect(stepsText({ ...run, status: 'done', steps: 3, current_code: null })).toEqual({
      figure: '3 of 20',
      line: '3 of 20 steps',
      running: null
    });
    // a summary that still names code once the run ended does not make a running step
    expect(stepsText({ ...run, status: 'stopped', steps: 2 }).running).toBeNull();
  });

  it('agree with the fixtures', () => {
    const live = fixture('run_running.json').run;
    const { figure, running } = stepsText(live);
    expect(running).toBe(`Step ${figure.split(' ')[0]} of 20 running`);
  });
});

describe('the totals', () => {
  it('count every token as the card does: input, cache writes, cache reads and output', () => {
    expect(totalTokens({ input_tokens: 10, cache_creation_input_tokens: 20, cache_read_input_tokens: 30, output_tokens: 4 })).toBe(64);
    expect(totalTokens(fixture('run_done.json').run.usage)).toBe(2100 + 340);
  });

  it('say how many runs have an unknown cost', () => {
    expect(formatTotals({ runs: 2, tokens: 12345, costUsd: 0.0123, unknownCost: 0 })).toBe(
      '2 runs · 12,345 tokens · $0.0123'
    );
    expect(formatTotals({ runs: 3, tokens: 1_500_000, costUsd: 1.5, unknownCost: 1 })).toBe(
      '3 runs · 1.5M tokens · $1.50 (+ 1 run of unknown cost)'
    );
    expect(formatTotals({ runs: 4, tokens: 10, costUsd: 0.5, unknownCost: 2 })).toContain('(+ 2 runs of unknown cost)');
    expect(formatTotals({ runs: 1, tokens: 10, costUsd: 0, unknownCost: 1 })).toBe('1 run · 10 tokens · cost unknown');
  });
});

describe('the files a run touched', () => {
  it('writes sizes as the kernel does, in decimal units', () => {
    expect([0, 512, 999, 1000, 9949, 12034, 999_499, 999_999, 3_100_000, 5e12].map(humanSize)).toEqual([
      '0 B',
      '512 B',
      '999 B',
      '1.0 KB',
      '9.9 KB',
      '12 KB',
      '999 KB',
      '1.0 MB',
      '3.1 MB',
      '5.0 TB'
    ]);
  });

  it('marks each file by its change and says when the scan was cut short', () => {
    const { lines, note } = fileLines({
      changes: [
        { path: 'results.csv', change: 'created', size: 12034 },
        { path: 'data.csv', change: 'modified', size: 6 },
        { path: 'old.txt', change: 'deleted', size: null }
      ],
      complete: false,
      reason: 'stopped at 20,000 files'
    });
    expect(lines.map(l => `${l.mark} ${l.path} ${l.size ?? ''}`.trim())).toEqual([
      '+ results.csv 12 KB',
      '~ data.csv 6 B',
      '− old.txt'
    ]);
    expect(note).toBe('scan cut short: stopped at 20,000 files');
    expect(fileLines({ changes: [], complete: true })).toEqual({ lines: [], note: null });
    expect(fileLines(undefined)).toEqual({ lines: [], note: null });
  });

  it('says where the steps ran and who approved them', () => {
    expect(controlText({ isolation: null, approve: 'never' })).toEqual([]);
    expect(
      controlText({ isolation: { kernel: 'local', description: 'd', network: false }, approve: 'risky' })
    ).toEqual(['isolated · no network', 'approve risky']);
    expect(controlText({ isolation: { kernel: 'local', description: 'd', network: true } })).toEqual([
      'isolated · network allowed'
    ]);
    expect(controlText({ isolation: { kernel: 'gateway', description: 'd' }, approve: 'always' })).toEqual([
      'isolated on a gateway',
      'approve always'
    ]);
  });

  it('says what the result variable holds and which MCP servers the run reached', () => {
    const shares = { name: 'shares', type: 'dict[str, float]', error: null };
    expect(outputText({ ...shares, status: null })).toBe('result shares: dict[str, float]');
    expect(outputText({ ...shares, status: 'valid' })).toBe('result shares: dict[str, float] ✓');
    expect(outputText({ ...shares, status: 'invalid', error: 'not a dict' })).toBe(
      'result shares: dict[str, float] · invalid'
    );
    const untyped = { name: 'total', type: null, error: null };
    expect(outputText({ ...untyped, status: null })).toBe('result total');
    expect(outputText({ ...untyped, status: 'valid' })).toBe('result total ✓');
    expect(outputText({ ...untyped, status: 'missing' })).toBe('result total: missing');
    expect(outputText({ ...untyped, status: 'invalid' })).toBe('result total: invalid');
    expect(
      controlText({ approve: 'risky', output: { ...shares, status: 'valid' }, mcp: ['fixture', 'github'] })
    ).toEqual(['approve risky', 'result shares: dict[str, float] ✓', 'MCP fixture, github']);
    expect(controlText({ isolation: null, approve: 'never', output: null, mcp: [] })).toEqual([]);
    // a run summary as the kernel sends it, with neither
    expect(controlText(fixture('run_done.json').run)).toEqual([]);
  });
});

describe('the approval question', () => {
  it('is told from other input prompts, and shown without its list of answers', () => {
    const prompt =
      'Run step 2? Flagged: shell escape `!ls`. [y run it · n [reason] skip it · a run the rest of this run · q stop the run]: ';
    expect(isApprovalPrompt(prompt)).toBe(true);
    expect(isApprovalPrompt('Please answer y, n (with a reason if you like), a or q. Run step 2? ')).toBe(true);
    expect(isApprovalPrompt('Your name: ')).toBe(false);
    expect(isApprovalPrompt('Password:')).toBe(false);
    expect(approvalQuestion(prompt)).toBe('Run step 2? Flagged: shell escape `!ls`.');
    expect(approvalQuestion('Run step 1? ')).toBe('Run step 1?');
  });
});

describe("the model's question", () => {
  it('is told from the approval and other prompts, and shown without its prefix and suffix', () => {
    const prompt = 'Claude asks: Which year should I use, 2024 or 2025?\nYour answer: ';
    expect(isQuestionPrompt(prompt)).toBe(true);
    expect(isApprovalPrompt(prompt)).toBe(false);
    expect(isQuestionPrompt('Run step 2? [y run it · n [reason] skip it · a run the rest of this run · q stop]: ')).toBe(
      false
    );
    expect(isQuestionPrompt('Your name: ')).toBe(false);
    expect(questionOf(prompt)).toBe('Which year should I use, 2024 or 2025?');
    expect(questionOf('Claude asks: Two lines:\nfirst or second?\nYour answer: ')).toBe('Two lines:\nfirst or second?');
    expect(questionOf('Claude asks: No suffix?')).toBe('No suffix?');
  });
});
