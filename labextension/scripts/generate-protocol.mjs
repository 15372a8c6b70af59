#!/usr/bin/env node
/**
 * Generate the extension's message types and validators from the one declaration of the messages,
 * `codeact_magic/schema/messages.schema.json` (JSON Schema 2020-12), as ipywidgets generates its spec:
 *
 * - `messages.ts`: the TypeScript types, by json-schema-to-typescript, and the envelope's constants;
 * - `validate.ts`: one validator per message type, ajv's standalone code (draft 2020-12), with its typed map.
 *
 * Definitions no message refers to (data carried elsewhere, such as `StepsLink`, the data of the
 * `application/vnd.codeact.steps+json` output) get a type and a validator of their own as well.
 *
 * Usage: `node scripts/generate-protocol.mjs [OUT_DIR]` (default `src/generated`, relative to `labextension/`);
 * `npm run build:schema` runs it, and every build script runs that first. The output depends on the schema and the
 * locked versions of the two generators only (no dates, no paths), so the same schema gives byte-identical files:
 * `tests/unit/test_protocol.py::test_generated_typescript_is_fresh` generates into a temporary directory and
 * compares with the files checked in.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import Ajv2020 from 'ajv/dist/2020.js';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { compile } from 'json-schema-to-typescript';

const HERE = dirname(fileURLToPath(import.meta.url));
const EXTENSION = resolve(HERE, '..');
const SCHEMA_PATH = resolve(EXTENSION, '..', 'codeact_magic', 'schema', 'messages.schema.json');
const require = createRequire(import.meta.url);

const HEADER = `/*
 * Generated from codeact_magic/schema/messages.schema.json by \`npm run build:schema\`
 * (labextension/scripts/generate-protocol.mjs). Do not edit: change the schema and run that again.
 */
`;

/** The message definitions the root reaches through `oneOf`, in order: `[type, name of its $defs entry]`. */
function messageDefs(schema) {
  const found = [];
  const visit = node => {
    for (const branch of node.oneOf ?? []) {
      const name = defName(branch.$ref);
      const def = schema.$defs[name];
      if (def.oneOf) {
        visit(def);
      } else {
        const type = def.properties?.type?.const;
        if (typeof type !== 'string') {
          throw new Error(`$defs/${name} is a message but has no properties.type.const`);
        }
        found.push([type, name]);
      }
    }
  };
  visit(schema);
  const declared = schema.properties.type.enum;
  const reached = found.map(([type]) => type);
  if (JSON.stringify([...declared].sort()) !== JSON.stringify([...reached].sort())) {
    throw new Error(`properties.type.enum ${JSON.stringify(declared)} differs from the message types ` +
      `the root's oneOf reaches ${JSON.stringify(reached)}`);
  }
  return found;
}

/**
 * The `$defs` entries no message reaches through `$ref` (the data of other channels, e.g. an output's MIME data),
 * in the schema's order.
 */
function dataDefs(schema) {
  const reached = new Set();
  const visit = node => {
    if (Array.isArray(node)) {
      node.forEach(visit);
    } else if (node !== null && typeof node === 'object') {
      const match = /^#\/\$defs\/([A-Za-z0-9_]+)$/.exec(node.$ref ?? '');
      if (match && !reached.has(match[1])) {
        reached.add(match[1]);
        visit(schema.$defs[match[1]]);
      }
      Object.entries(node).forEach(([key, value]) => key !== '$defs' && visit(value));
    }
  };
  visit(schema);
  return Object.keys(schema.$defs).filter(name => !reached.has(name));
}

function defName(ref) {
  const match = /^#\/\$defs\/([A-Za-z0-9_]+)$/.exec(ref ?? '');
  if (!match) {
    throw new Error(`expected a $ref to #/$defs/<name>, got ${JSON.stringify(ref)}`);
  }
  return match[1];
}

/** `value` with every `{"$ref": "#/properties/<name>"}` (the envelope's fields) replaced by the root's property. */
function inlineEnvelope(value, root) {
  if (Array.isArray(value)) {
    return value.map(v => inlineEnvelope(v, root));
  }
  if (value === null || typeof value !== 'object') {
    return value;
  }
  const match = /^#\/properties\/([A-Za-z0-9_]+)$/.exec(value.$ref ?? '');
  if (match) {
    return structuredClone(root.properties[match[1]]);
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, inlineEnvelope(v, root)]));
}

/**
 * The types. Every message definition carries the envelope (`protocol`, `version`, by `$ref` to the root's
 * properties), so `Message` is the plain union of the messages; the root's own properties only repeat it.
 */
async function typesModule(schema, data) {
  const $defs = inlineEnvelope(schema.$defs, schema);
  const root = { title: 'Message', description: schema.description, oneOf: schema.oneOf, $defs };
  const options = {
    bannerComment: '',
    unreachableDefinitions: true,
    unknownAny: true,
    additionalProperties: true,
    strictIndexSignatures: false,
    style: { singleQuote: true, bracketSpacing: true, printWidth: 120, trailingComma: 'none', semi: true }
  };
  let ts = await compile(root, 'Message', options);
  // json-schema-to-typescript declares only what the root reaches: each data definition is compiled on its own,
  // the types it refers to (declared above) left undeclared
  for (const name of data) {
    const def = { ...$defs[name], title: name, $defs };
    const alone = { ...options, unreachableDefinitions: false, declareExternallyReferenced: false };
    ts += '\n' + (await compile(def, name, alone));
  }
  // json-schema-to-typescript notes where each type came from; the type's name already says it
  const origin = ' \\* This interface was referenced by `[^`]*`\'s JSON-Schema\\n \\* via the `definition` "[^"]*"\\.\\n';
  ts = ts.replace(new RegExp(`/\\*\\*\\n${origin} \\*/\\n`, 'g'), '');
  ts = ts.replace(new RegExp(` \\*\\n${origin}`, 'g'), '');
  if (ts.includes('This interface was referenced')) {
    throw new Error('json-schema-to-typescript wrote an origin note this script does not know how to remove');
  }
  const protocol = schema.properties.protocol.const;
  const version = schema.properties.version.const;
  return `${HEADER}
${ts.trim()}

/** The \`protocol\` field of every message. */
export const PROTOCOL = ${JSON.stringify(protocol).replace(/"/g, "'")};

/** The protocol version of the schema. A frontend drops messages of another \`version\` and tells the user once. */
export const PROTOCOL_VERSION = ${JSON.stringify(version)};
`;
}

/**
 * The validators: ajv's standalone code for each message definition (envelope included). ajv's code imports its
 * runtime helpers with `require`; they are small self-contained functions, inlined here so that the module has no
 * import at all and runs the same in webpack, jest and node.
 */
function validatorsModule(schema, messages, data) {
  const ajv = new Ajv2020({ code: { source: true, esm: true, lines: true }, strict: true, allErrors: false });
  ajv.addSchema(schema);
  const names = [...messages.map(([, name]) => name), ...data];
  const exports = Object.fromEntries(names.map(name => [`validate${name}`, `${schema.$id}#/$defs/${name}`]));
  let code = standaloneCode(ajv, exports);
  code = code.replace(/^"use strict";/, '');
  code = code.replace(/require\("(ajv\/dist\/runtime\/[a-z0-9]+)"\)\.default/g, (_, module) => {
    return `(${require(module).default.toString()})`;
  });
  if (/\brequire\(/.test(code)) {
    throw new Error('ajv\'s standalone code still requires a module');
  }
  // ajv exports each validator untyped; only the typed map below is exported
  code = code.replace(/^export const (validate[A-Za-z0-9]+) = /gm, 'const $1 = ');
  const entries = messages.map(([type, name]) => `  ${type}: validate${name}`).join(',\n');
  const dataTypes = data.map(name => `  readonly ${name}: Validator<${name}>;`).join('\n');
  const dataEntries = data.map(name => `  ${name}: validate${name}`).join(',\n');
  return `${HEADER}// @ts-nocheck: ajv's standalone code is plain JavaScript; the exports below are typed
import type { ${['Message', ...data].join(', ')} } from './messages';

/** What a generated validator says is wrong: the fields of ajv's \`ErrorObject\` it fills in. */
export interface ValidationError {
  /** JSON Pointer to the offending value in the message, \`''\` for the message itself. */
  instancePath: string;
  /** JSON Pointer to the failed keyword in the schema. */
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/** Whether \`data\` is valid; when it is not, \`errors\` says why (the first error found). */
export interface Validator<T> {
  (data: unknown): data is T;
  errors?: ValidationError[] | null;
}

// -- ajv ${ajvVersion()} standalone code ------------------------------------------------------------------------------
${code.trim()}

// -- the exports ----------------------------------------------------------------------------------------------------

/** One validator per message \`type\`, checking the whole message against its \`$defs\` entry. */
export const VALIDATORS: { readonly [K in Message['type']]: Validator<Extract<Message, { type: K }>> } = {
${entries}
};

/** One validator per data definition (no message refers to it), by its \`$defs\` name. */
export const DATA_VALIDATORS: {
${dataTypes}
} = {
${dataEntries}
};
`;
}

function ajvVersion() {
  return require('ajv/package.json').version;
}

async function main() {
  const outDir = resolve(EXTENSION, process.argv[2] ?? join('src', 'generated'));
  const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf-8'));
  const messages = messageDefs(schema);
  const data = dataDefs(schema);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'messages.ts'), await typesModule(schema, data));
  writeFileSync(join(outDir, 'validate.ts'), validatorsModule(schema, messages, data));
  console.log(`generate-protocol: ${messages.length} message types and ${data.length} data types ` +
    `(${data.join(', ')}) from ${SCHEMA_PATH} -> ${outDir}`);
}

main().catch(error => {
  console.error(`generate-protocol: ${error.message}`);
  process.exit(1);
});
