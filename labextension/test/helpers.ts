/**
 * Test helpers: the schema and fixtures shared with pytest, and a notebook as a plain array.
 */
import * as fs from 'fs';
import * as path from 'path';

import { INotebookCells } from '../src/insertion';
import { CellMessage, CellMetadata, InsertMode, Output, TrajectoryCell } from '../src/protocol';

const ROOT = path.resolve(__dirname, '..', '..');

/** `codeact_magic/schema/messages.schema.json`, the one declaration of the messages. */
export const SCHEMA = JSON.parse(
  fs.readFileSync(path.join(ROOT, 'codeact_magic', 'schema', 'messages.schema.json'), 'utf-8')
);

const FIXTURES = path.join(ROOT, 'tests', 'fixtures', 'messages');

function readDir(dir: string): [string, unknown][] {
  return fs
    .readdirSync(dir)
    .filter(name => name.endsWith('.json'))
    .sort()
    .map(name => [name, JSON.parse(fs.readFileSync(path.join(dir, name), 'utf-8'))]);
}

/** `tests/fixtures/messages/*.json`: valid messages. */
export const VALID_FIXTURES = readDir(FIXTURES);

/** `tests/fixtures/messages/invalid/*.json`. */
export const INVALID_FIXTURES = readDir(path.join(FIXTURES, 'invalid'));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function fixture(name: string): any {
  const found = VALID_FIXTURES.find(([n]) => n === name);
  if (!found) {
    throw new Error(`no fixture ${name}`);
  }
  return JSON.parse(JSON.stringify(found[1]));
}

export interface IFakeCell {
  id: string;
  source: string;
  metadata: { codeact?: CellMetadata; [name: string]: unknown };
  cell_type: string;
  outputs?: Output[];
}

/** A notebook as an array of cells, implementing what the planner needs. */
export class FakeNotebook implements INotebookCells {
  constructor(cells: IFakeCell[] = []) {
    this.cells = cells;
  }

  cells: IFakeCell[];
  applied = 0;

  get length(): number {
    return this.cells.length;
  }

  id(index: number): string {
    return this.cells[index].id;
  }

  codeact(index: number): CellMetadata | null {
    return this.cells[index].metadata.codeact ?? null;
  }

  source(index: number): string {
    return this.cells[index].source;
  }

  apply(remove: readonly number[], at: number, cell: TrajectoryCell): void {
    for (let i = remove.length - 1; i >= 0; i--) {
      this.cells.splice(remove[i], 1);
    }
    this.cells.splice(at, 0, {
      id: `new-${++this._ids}`,
      source: cell.source,
      metadata: JSON.parse(JSON.stringify(cell.metadata)),
      cell_type: cell.cell_type,
      ...(cell.cell_type === 'code' ? { outputs: JSON.parse(JSON.stringify(cell.outputs ?? [])) } : {})
    });
    this.applied++;
  }

  setOutputs(index: number, outputs: Output[]): void {
    this.cells[index].outputs = JSON.parse(JSON.stringify(outputs));
    this.applied++;
  }

  markUndone(marks: readonly { index: number; at: string }[]): void {
    for (const { index, at } of marks) {
      const meta = this.cells[index].metadata.codeact;
      if (meta) {
        this.cells[index].metadata.codeact = { ...meta, undone: at };
      }
    }
    this.applied++;
  }

  /** The user's own cell. */
  static user(id: string, source = ''): IFakeCell {
    return { id, source, metadata: {}, cell_type: 'code' };
  }

  /** What the notebook shows, one word per cell: the user's ids, and `<run>:<index>` for inserted cells. */
  layout(): string[] {
    return this.cells.map(c => c.metadata.codeact?.key ?? c.id);
  }

  private _ids = 0;
}

let counter = 0;

/** A schema-valid `cell` message. */
export function cellMessage(
  runId: string,
  index: number,
  options: { anchor?: string | null; mode?: InsertMode; source?: string; role?: 'reasoning' | 'step' | 'answer' } = {}
): CellMessage {
  const anchor = options.anchor === undefined ? 'anchor' : options.anchor;
  const key = `${runId}:${index}`;
  const role = options.role ?? (index % 2 === 0 ? 'reasoning' : 'step');
  const source = options.source ?? `# ${key} (${++counter})`;
  const codeact: CellMetadata = { run_id: runId, key, index, role, source_cell_id: anchor };
  if (role === 'step') {
    codeact.step = (index + 1) / 2;
  }
  return {
    protocol: 'codeact',
    version: 1,
    type: 'cell',
    run_id: runId,
    key,
    index,
    cell_id: anchor,
    insert_mode: options.mode ?? 'replace',
    cell:
      role === 'step'
        ? { cell_type: 'code', source, metadata: { codeact }, outputs: [], execution_count: index + 1 }
        : { cell_type: 'markdown', source, metadata: { codeact } }
  };
}
