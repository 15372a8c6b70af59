/**
 * The messages between the kernel side (`codeact_magic/protocol.py`) and this extension.
 *
 * Declared once, in `codeact_magic/schema/messages.schema.json` (JSON Schema 2020-12, protocol version 1). The
 * types and the validators are generated from it into `generated/` (`npm run build:schema`, which every build runs
 * first); this module re-exports the types, builds the requests and checks what arrives. Every message is the
 * `data` of a Jupyter comm message on target `codeact`.
 *
 * This module imports nothing from JupyterLab so that jest runs it as is.
 */
import {
  ExportRequest,
  FrontendRequest,
  Message,
  PROTOCOL,
  PROTOCOL_VERSION,
  SyncRequest,
  UndoRequest
} from './generated/messages';
import { VALIDATORS, ValidationError, Validator } from './generated/validate';

export type {
  CellMessage,
  CellMetadata,
  CellRole,
  ErrorMessage,
  ExportMessage,
  ExportRequest,
  FileChange,
  FilesTouched,
  FrontendRequest,
  InsertMode,
  Isolation,
  KernelMessage,
  Message,
  Output,
  OutputsMessage,
  RunMessage,
  RunStatus,
  RunSummary,
  RunsMessage,
  StepStatus,
  SyncRequest,
  TextMessage,
  TrajectoryCell,
  Undone,
  UndoMessage,
  UndoneCells,
  UndoRequest,
  Usage
} from './generated/messages';
export { PROTOCOL, PROTOCOL_VERSION };

/** The comm target name, on both sides. */
export const COMM_TARGET = 'codeact';

/** What {@link parseMessage} made of a comm message's `data`. */
export type ParseResult =
  | { kind: 'ok'; message: Message }
  /** Not a codeact message at all (another comm): ignore silently. */
  | { kind: 'foreign' }
  /** A codeact message of another protocol version: drop it and tell the user once. */
  | { kind: 'version'; version: unknown }
  /** A codeact message of our version that breaks the schema: drop it (and log it). */
  | { kind: 'invalid'; reason: string };

/** Build a frontend -> kernel request with its envelope. */
export function request(type: 'sync'): SyncRequest;
export function request(type: 'export_request', runId: string): ExportRequest;
/** `force`: restore even the names and files the user changed since the runs. */
export function request(type: 'undo_request', runId: string, force: boolean): UndoRequest;
export function request(type: FrontendRequest['type'], runId?: string, force?: boolean): FrontendRequest {
  const envelope = { protocol: PROTOCOL, version: PROTOCOL_VERSION } as const;
  switch (type) {
    case 'sync':
      return { ...envelope, type };
    case 'export_request':
      return { ...envelope, type, run_id: runId ?? '' };
    case 'undo_request':
      return { ...envelope, type, run_id: runId ?? '', force: force ?? false };
  }
}

/**
 * Check a comm message's `data` against the schema, with the validator generated for its `type`.
 *
 * @returns `invalid` with the first thing wrong, e.g. `cell: cell.cell_type must be equal to one of the allowed
 *   values (code, markdown)`.
 */
export function parseMessage(data: unknown): ParseResult {
  if (!isObject(data) || data.protocol !== PROTOCOL) {
    return { kind: 'foreign' };
  }
  if (data.version !== PROTOCOL_VERSION) {
    return { kind: 'version', version: data.version };
  }
  const type = data.type;
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(VALIDATORS, type)) {
    return { kind: 'invalid', reason: `unknown type ${JSON.stringify(type)}` };
  }
  const validate: Validator<Message> = VALIDATORS[type as Message['type']];
  return validate(data)
    ? { kind: 'ok', message: data }
    : { kind: 'invalid', reason: `${type}: ${describeError(validate.errors)}` };
}

/** The first validation error in words: where (a dotted path, `message` for the whole) and what. */
function describeError(errors: readonly ValidationError[] | null | undefined): string {
  const error = errors?.[0];
  if (!error) {
    return 'does not match the schema';
  }
  const where = error.instancePath
    .split('/')
    .slice(1)
    .map(step => step.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((step, i) => (/^\d+$/.test(step) ? `[${step}]` : i === 0 ? step : `.${step}`))
    .join('');
  const allowed = error.params.allowedValues ?? error.params.allowedValue;
  const values = allowed === undefined ? '' : ` (${([] as unknown[]).concat(allowed).map(v => String(v)).join(', ')})`;
  return `${where || 'message'} ${error.message ?? `fails ${error.keyword}`}${values}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
