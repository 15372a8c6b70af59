/**
 * The messages are declared once, in codeact_magic/schema/messages.schema.json. These tests check the same
 * fixtures as pytest against it with ajv (draft 2020-12), and check that parseMessage never accepts what the
 * schema rejects.
 */
import Ajv2020 from 'ajv/dist/2020';

import { VALIDATORS } from '../src/generated/validate';
import { PROTOCOL, PROTOCOL_VERSION, parseMessage, request } from '../src/protocol';
import { INVALID_FIXTURES, SCHEMA, VALID_FIXTURES, fixture } from './helpers';

const ajv = new Ajv2020({ strict: false, allErrors: true });
const validate = ajv.compile(SCHEMA);

/** Every copy of `message` with one required property (at any depth the schema names) removed. */
function withoutOneRequired(message: any): [string, any][] {
  const out: [string, any][] = [];
  const visit = (value: any, where: string[]) => {
    if (value === null || typeof value !== 'object') {
      return;
    }
    for (const key of Object.keys(value)) {
      const copy = JSON.parse(JSON.stringify(message));
      let parent = copy;
      for (const step of where) {
        parent = parent[step];
      }
      delete parent[key];
      out.push([[...where, key].join('.'), copy]);
      visit(value[key], [...where, key]);
    }
  };
  visit(message, []);
  return out;
}

describe('the schema and its fixtures', () => {
  it('declares protocol version 1, as this extension does', () => {
    expect(SCHEMA.properties.version.const).toBe(PROTOCOL_VERSION);
    expect(PROTOCOL_VERSION).toBe(1);
  });

  it('finds fixtures of every message type', () => {
    const types = new Set(VALID_FIXTURES.map(([, m]) => (m as any).type));
    for (const t of SCHEMA.properties.type.enum) {
      expect(types).toContain(t);
    }
  });

  it.each(VALID_FIXTURES)('%s is valid and parsed', (_name, message) => {
    expect(validate(message)).toBe(true);
    const parsed = parseMessage(message);
    expect(parsed).toEqual({ kind: 'ok', message });
  });

  it.each(INVALID_FIXTURES)('%s is invalid and not parsed', (_name, message) => {
    expect(validate(message)).toBe(false);
    expect(parseMessage(message).kind).not.toBe('ok');
  });

  it('tells a version mismatch from a broken message', () => {
    const bad = INVALID_FIXTURES.find(([name]) => name === 'bad_version.json')![1];
    expect(parseMessage(bad)).toEqual({ kind: 'version', version: 2 });
    const missing = INVALID_FIXTURES.find(([name]) => name === 'bad_missing_run.json')![1];
    expect(parseMessage(missing).kind).toBe('invalid');
  });

  it('ignores messages of other protocols', () => {
    expect(parseMessage({ method: 'update', state: {} }).kind).toBe('foreign');
    expect(parseMessage(null).kind).toBe('foreign');
    expect(parseMessage('codeact').kind).toBe('foreign');
  });
});

describe('parseMessage never accepts what the schema rejects', () => {
  const cases: [string, string, any][] = [];
  for (const [name, message] of VALID_FIXTURES) {
    for (const [field, copy] of withoutOneRequired(message)) {
      cases.push([name, field, copy]);
    }
  }

  it.each(cases)('%s without %s', (_name, _field, copy) => {
    if (!validate(copy)) {
      expect(parseMessage(copy).kind).not.toBe('ok');
    } else {
      // an optional field: both accept
      expect(parseMessage(copy).kind).toBe('ok');
    }
  });

  it.each([
    ['a negative index', (m: any) => (m.index = -1)],
    ['a fractional index', (m: any) => (m.index = 1.5)],
    ['an unknown insert mode', (m: any) => (m.insert_mode = 'overwrite')],
    ['a raw cell', (m: any) => (m.cell.cell_type = 'raw')],
    ['a source list', (m: any) => (m.cell.source = ['a', 'b'])],
    ['outputs that are not a list', (m: any) => (m.cell.outputs = {})],
    ['a string execution count', (m: any) => (m.cell.execution_count = '7')],
    ['a number as cell id', (m: any) => (m.cell_id = 7)]
  ])('a cell message with %s', (_what, mutate) => {
    const copy = JSON.parse(JSON.stringify(VALID_FIXTURES.find(([n]) => n === 'cell_code.json')![1]));
    mutate(copy);
    expect(validate(copy)).toBe(false);
    expect(parseMessage(copy).kind).toBe('invalid');
  });

  it.each([
    ['an unknown status', (r: any) => (r.status = 'paused')],
    ['zero max steps', (r: any) => (r.max_steps = 0)],
    ['a negative elapsed time', (r: any) => (r.elapsed_s = -1)],
    ['an empty run id', (r: any) => (r.run_id = '')],
    ['a string cost', (r: any) => (r.cost_usd = '0.1')],
    ['fractional tokens', (r: any) => (r.usage.output_tokens = 1.5)]
  ])('a run message with %s', (_what, mutate) => {
    const copy = JSON.parse(JSON.stringify(VALID_FIXTURES.find(([n]) => n === 'run_running.json')![1]));
    mutate(copy.run);
    expect(validate(copy)).toBe(false);
    expect(parseMessage(copy).kind).toBe('invalid');
  });

  it('rejects an unknown message type', () => {
    const message = { protocol: 'codeact', version: 1, type: 'hello' };
    expect(validate(message)).toBe(false);
    expect(parseMessage(message).kind).toBe('invalid');
  });
});

describe('requests', () => {
  it('are schema-valid', () => {
    expect(validate(request('sync'))).toBe(true);
    expect(validate(request('export_request', 'r-0001'))).toBe(true);
    expect(request('export_request', 'r-0001')).toEqual({
      protocol: 'codeact',
      version: 1,
      type: 'export_request',
      run_id: 'r-0001'
    });
    expect(validate(request('undo_request', 'r-0001', false))).toBe(true);
    expect(request('undo_request', 'r-0001', true)).toEqual({
      protocol: 'codeact',
      version: 1,
      type: 'undo_request',
      run_id: 'r-0001',
      force: true
    });
    expect(request('undo_request', 'r-0001', false)).toEqual(fixture('undo_request.json'));
  });
});

describe('the validators generated from the schema', () => {
  it('have one validator per message type, which agrees with the schema on every case above', () => {
    expect(Object.keys(VALIDATORS).sort()).toEqual([...SCHEMA.properties.type.enum].sort());
    const all = [...validatorCases()];
    expect(all.length).toBeGreaterThan(100);
    for (const message of all) {
      const type = (message as any).type as keyof typeof VALIDATORS;
      expect([message, VALIDATORS[type](message)]).toEqual([message, validate(message)]);
    }
  });

  it('say what is wrong, in a few words', () => {
    const cell = fixture('cell_code.json');
    cell.index = -1;
    expect(parseMessage(cell)).toEqual({ kind: 'invalid', reason: 'cell: index must be >= 0' });
    const raw = fixture('cell_code.json');
    raw.cell.cell_type = 'raw';
    expect(parseMessage(raw)).toEqual({
      kind: 'invalid',
      reason: 'cell: cell.cell_type must be equal to one of the allowed values (code, markdown)'
    });
    const run = fixture('runs.json');
    delete run.runs[0].usage.output_tokens;
    expect(parseMessage(run)).toEqual({
      kind: 'invalid',
      reason: "runs: runs[0].usage must have required property 'output_tokens'"
    });
    expect(parseMessage({ protocol: 'codeact', version: 1, type: 'toString' })).toEqual({
      kind: 'invalid',
      reason: 'unknown type "toString"'
    });
  });

  it('carry the envelope the schema declares', () => {
    expect(PROTOCOL).toBe(SCHEMA.properties.protocol.const);
    expect(PROTOCOL_VERSION).toBe(SCHEMA.properties.version.const);
  });
});

/** The fixtures of every message type, each also with one field removed, for the generated validators. */
function* validatorCases(): Generator<unknown> {
  for (const [, message] of VALID_FIXTURES) {
    yield message;
    for (const [, copy] of withoutOneRequired(message)) {
      if ((copy as any).type !== undefined && Object.prototype.hasOwnProperty.call(VALIDATORS, (copy as any).type)) {
        yield copy;
      }
    }
  }
}
