/*
 * Generated from codeact_magic/schema/messages.schema.json by `npm run build:schema`
 * (labextension/scripts/generate-protocol.mjs). Do not edit: change the schema and run that again.
 */
// @ts-nocheck: ajv's standalone code is plain JavaScript; the exports below are typed
import type { Message, StepsLink } from './messages';

/** What a generated validator says is wrong: the fields of ajv's `ErrorObject` it fills in. */
export interface ValidationError {
  /** JSON Pointer to the offending value in the message, `''` for the message itself. */
  instancePath: string;
  /** JSON Pointer to the failed keyword in the schema. */
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/** Whether `data` is valid; when it is not, `errors` says why (the first error found). */
export interface Validator<T> {
  (data: unknown): data is T;
  errors?: ValidationError[] | null;
}

// -- ajv 8.20.0 standalone code ------------------------------------------------------------------------------
const validateRunsMessage = validate59;
const schema33 = {"description":"kernel -> frontend: every run of this kernel, oldest first (reply to `sync`).","type":"object","required":["protocol","version","type","runs"],"properties":{"protocol":{"$ref":"#/properties/protocol"},"version":{"$ref":"#/properties/version"},"type":{"const":"runs"},"runs":{"type":"array","items":{"$ref":"#/$defs/RunSummary"}}}};
const schema34 = {"const":"codeact"};
const schema35 = {"const":1};
const schema36 = {"description":"What the panel shows of one run.","type":"object","required":["run_id","task","model","status","end_reason","steps","max_steps","usage","cost_usd","started_at","elapsed_s","cell_id","insert_mode","current_code","execution_count","followups","replayed_from","approve","isolation","files","output","mcp","undone","undoable"],"properties":{"run_id":{"type":"string","minLength":1},"task":{"type":"string"},"model":{"type":"string"},"status":{"$ref":"#/$defs/RunStatus"},"end_reason":{"type":["string","null"],"description":"One line saying why the run ended; null while running."},"steps":{"type":"integer","minimum":0},"max_steps":{"type":"integer","minimum":1},"usage":{"$ref":"#/$defs/Usage"},"cost_usd":{"type":["number","null"],"description":"USD; null when the model's price is unknown."},"started_at":{"type":"string","description":"ISO 8601, UTC."},"elapsed_s":{"type":"number","minimum":0,"description":"Seconds since the run started (until it ended)."},"cell_id":{"type":["string","null"],"description":"id of the %%codeact cell that started the run (from the execute_request's metadata.cellId), or null."},"insert_mode":{"$ref":"#/$defs/InsertMode"},"current_code":{"type":["string","null"],"description":"Source of the step running now, or null."},"execution_count":{"type":["integer","null"],"minimum":0,"description":"The execution count the %%codeact cell got when it started (its In[n]); its steps follow it. null outside a kernel."},"followups":{"type":"array","description":"The run's follow-ups (%%codeact --continue), oldest first: the cell each came from and the execution count it started with.","items":{"$ref":"#/$defs/FollowUpSummary"}},"replayed_from":{"type":["string","null"],"description":"The notebook a --replay run came from (no model calls, so no tokens), or null."},"compact_outputs":{"type":["array","null"],"items":{"$ref":"#/$defs/Output"},"description":"Only in the message of a run's (or follow-up's) end, when its %%codeact cell shows the whole transcript although the run's cells go into the notebook (no frontend had opened its comm when the run started, as after Run All): the outputs the cell keeps once compact (status line, why it ended, the answer, the steps link). A frontend that inserted the cells sets the cell's outputs to them (and its errors)."},"approve":{"description":"The run's --approve mode.","enum":["always","risky","never"]},"isolation":{"description":"Where the steps ran when --isolated, else null (the user's kernel).","anyOf":[{"$ref":"#/$defs/Isolation"},{"type":"null"}]},"files":{"description":"The files the run's steps touched, each path once with its last change (a file created then modified is created).","allOf":[{"$ref":"#/$defs/FilesTouched"}]},"output":{"description":"With -o NAME: the variable the run must leave its result in and how its check stands; else null.","anyOf":[{"$ref":"#/$defs/ResultVariable"},{"type":"null"}]},"mcp":{"type":"array","items":{"type":"string"},"description":"The MCP servers connected for the run (--mcp)."},"undone":{"description":"Set once the run was undone (%codeact undo, or the panel's Undo), else null.","anyOf":[{"$ref":"#/$defs/Undone"},{"type":"null"}]},"undoable":{"type":"boolean","description":"Whether this kernel still holds what undoing the run needs (false for a run of the journal only, one already undone whole, one whose snapshots were released to stay in the undo budget, and while it runs)."}}};
const schema37 = {"title":"RunStatus","description":"How a run stands or how it ended (records.RunStatus). `crashed`: the run journal has the run but no end (the kernel died during it); `diverged`: a --replay step failed or printed other text than recorded.","enum":["running","done","stopped","failed","step_limit","budget","crashed","diverged"]};
const schema38 = {"description":"Token counts summed over the run's model turns (Messages API `usage`).","type":"object","required":["input_tokens","output_tokens","cache_creation_input_tokens","cache_read_input_tokens"],"properties":{"input_tokens":{"type":"integer","minimum":0},"output_tokens":{"type":"integer","minimum":0},"cache_creation_input_tokens":{"type":"integer","minimum":0},"cache_read_input_tokens":{"type":"integer","minimum":0},"image_tokens":{"type":"integer","minimum":0,"description":"Estimated tokens of the image blocks the requests carried (width x height / 750 each, Anthropic's vision docs); part of the input tokens, not added to them."}}};
const schema39 = {"title":"InsertMode","description":"How the extension inserts a run's cells when the same %%codeact cell runs again.","enum":["replace","append","none"]};
const schema40 = {"description":"One follow-up of a run, as the panel and the execution counts need it.","type":"object","required":["cell_id","execution_count","started_at"],"properties":{"cell_id":{"type":["string","null"],"description":"id of the follow-up's %%codeact cell, or null."},"execution_count":{"type":["integer","null"],"minimum":0,"description":"The count that cell got when it started."},"started_at":{"type":"string","description":"ISO 8601, UTC."}}};
const schema41 = {"title":"Output","description":"An nbformat v4 output as a notebook file holds it; only that it has an `output_type` (`stream`, `display_data`, `execute_result` or `error`) is checked here.","type":"object","required":["output_type"],"properties":{"output_type":{}}};
const schema42 = {"title":"Isolation","description":"Where an --isolated run's steps ran: `kernel` local (a confined ipykernel) or gateway, a one-line description, the working directory (local) and the gateway URL.","type":"object","required":["kernel","description"],"properties":{"kernel":{"enum":["local","gateway"]},"description":{"type":"string"},"workdir":{"type":["string","null"]},"gateway_url":{"type":["string","null"]},"with":{"type":"array","items":{"type":"string"}},"returns":{"type":"array","items":{"type":"string"}},"network":{"type":"boolean","description":"Whether the local sandbox kept the network (--allow-network)."},"returned":{"type":"array","items":{"type":"string"},"description":"The --return names copied back at the end."},"not_returned":{"type":"object","additionalProperties":{"type":"string"},"description":"The --return names not copied back, with why."}}};
const schema45 = {"title":"ResultVariable","description":"The -o NAME of a run (records.Run.output): `status` valid, missing or invalid after the model answered (null before), `error` the last problem, `corrections` the problems the model was told of.","type":"object","required":["name","type","status","error"],"properties":{"name":{"type":"string","minLength":1},"type":{"type":["string","null"],"description":"The --returns expression."},"status":{"enum":["valid","missing","invalid",null]},"error":{"type":["string","null"]},"corrections":{"type":"array","items":{"type":"object","required":["turn","problem"],"properties":{"turn":{"type":"integer","minimum":0},"problem":{"type":"string"}}}}}};
const schema46 = {"description":"How a run was undone.","type":"object","required":["at","from_step","from_index","forced"],"properties":{"at":{"type":"string","description":"ISO 8601, UTC."},"from_step":{"type":"integer","minimum":1,"description":"The first step undone: 1 when the whole run was."},"from_index":{"type":"integer","minimum":0,"description":"The index of the first cell of the run marked undone."},"forced":{"type":"boolean","description":"Restored with --force over changes the user made since."}}};
const func1 = (function ucs2length(str) {
    const len = str.length;
    let length = 0;
    let pos = 0;
    let value;
    while (pos < len) {
        length++;
        value = str.charCodeAt(pos++);
        if (value >= 0xd800 && value <= 0xdbff && pos < len) {
            // high surrogate, and there is a next character
            value = str.charCodeAt(pos);
            if ((value & 0xfc00) === 0xdc00)
                pos++; // low surrogate
        }
    }
    return length;
});
const schema43 = {"title":"FilesTouched","description":"The files a step (or, in RunSummary, a run) touched; `complete` is false when the bounded scan was cut short, and `reason` says how.","type":"object","required":["changes","complete"],"properties":{"changes":{"type":"array","items":{"$ref":"#/$defs/FileChange"}},"complete":{"type":"boolean"},"reason":{"type":["string","null"]}}};
const schema44 = {"title":"FileChange","description":"A file under the working directory that a step created, modified or deleted (codeact_magic.files); `size` in bytes after the step, null for a deleted file.","type":"object","required":["path","change"],"properties":{"path":{"type":"string"},"change":{"enum":["created","modified","deleted"]},"size":{"type":["integer","null"],"minimum":0}}};

function validate24(data, {instancePath="", parentData, parentDataProperty, rootData=data, dynamicAnchors={}}={}){
let vErrors = null;
let errors = 0;
const evaluated0 = validate24.evaluated;
if(evaluated0.dynamicProps){
evaluated0.props = undefined;
}
if(evaluated0.dynamicItems){
evaluated0.items = undefined;
}
if(errors === 0){
if(data && typeof data == "object" && !Array.isArray(data)){
let missing0;
if(((data.changes === undefined) && (missing0 = "changes")) || ((data.complete === undefined) && (missing0 = "complete"))){
validate24.errors = [{instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: missing0},message:"must have required property '"+missing0+"'"}];
return false;
}
else {
if(data.changes !== undefined){
let data0 = data.changes;
const _errs1 = errors;
if(errors === _errs1){
if(Array.isArray(data0)){
var valid1 = true;
const len0 = data0.length;
for(let i0=0; i0<len0; i0++){
let data1 = data0[i0];
const _errs3 = errors;
const _errs4 = errors;
if(errors === _errs4){
if(data1 && typeof data1 == "object" && !Array.isArray(data1)){
let missing1;
if(((data1.path === undefined) && (missing1 = "path")) || ((data1.change === undefined) && (missing1 = "change"))){
validate24.errors = [{instancePath:instancePath+"/changes/" + i0,schemaPath:"#/$defs/FileChange/required",keyword:"required",params:{missingProperty: missing1},message:"must have required property '"+missing1+"'"}];
return false;
}
else {
if(data1.path !== undefined){
const _errs6 = errors;
if(typeof data1.path !== "string"){
validate24.errors = [{instancePath:instancePath+"/changes/" + i0+"/path",schemaPath:"#/$defs/FileChange/properties/path/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
var valid3 = _errs6 === errors;
}
else {
var valid3 = true;
}
if(valid3){
if(data1.change !== undefined){
let data3 = data1.change;
const _errs8 = errors;
if(!(((data3 === "created") || (data3 === "modified")) || (data3 === "deleted"))){
validate24.errors = [{instancePath:instancePath+"/changes/" + i0+"/change",schemaPath:"#/$defs/FileChange/properties/change/enum",keyword:"enum",params:{allowedValues: schema44.properties.change.enum},message:"must be equal to one of the allowed values"}];
return false;
}
var valid3 = _errs8 === errors;
}
else {
var valid3 = true;
}
if(valid3){
if(data1.size !== undefined){
let data4 = data1.size;
const _errs9 = errors;
if((!(((typeof data4 == "number") && (!(data4 % 1) && !isNaN(data4))) && (isFinite(data4)))) && (data4 !== null)){
validate24.errors = [{instancePath:instancePath+"/changes/" + i0+"/size",schemaPath:"#/$defs/FileChange/properties/size/type",keyword:"type",params:{type: schema44.properties.size.type},message:"must be integer,null"}];
return false;
}
if(errors === _errs9){
if((typeof data4 == "number") && (isFinite(data4))){
if(data4 < 0 || isNaN(data4)){
validate24.errors = [{instancePath:instancePath+"/changes/" + i0+"/size",schemaPath:"#/$defs/FileChange/properties/size/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"}];
return false;
}
}
}
var valid3 = _errs9 === errors;
}
else {
var valid3 = true;
}
}
}
}
}
else {
validate24.errors = [{instancePath:instancePath+"/changes/" + i0,schemaPath:"#/$defs/FileChange/type",keyword:"type",params:{type: "object"},message:"must be object"}];
return false;
}
}
var valid1 = _errs3 === errors;
if(!valid1){
break;
}
}
}
else {
validate24.errors = [{instancePath:instancePath+"/changes",schemaPath:"#/properties/changes/type",keyword:"type",params:{type: "array"},message:"must be array"}];
return false;
}
}
var valid0 = _errs1 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.complete !== undefined){
const _errs11 = errors;
if(typeof data.complete !== "boolean"){
validate24.errors = [{instancePath:instancePath+"/complete",schemaPath:"#/properties/complete/type",keyword:"type",params:{type: "boolean"},message:"must be boolean"}];
return false;
}
var valid0 = _errs11 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.reason !== undefined){
let data6 = data.reason;
const _errs13 = errors;
if((typeof data6 !== "string") && (data6 !== null)){
validate24.errors = [{instancePath:instancePath+"/reason",schemaPath:"#/properties/reason/type",keyword:"type",params:{type: schema43.properties.reason.type},message:"must be string,null"}];
return false;
}
var valid0 = _errs13 === errors;
}
else {
var valid0 = true;
}
}
}
}
}
else {
validate24.errors = [{instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"}];
return false;
}
}
validate24.errors = vErrors;
return errors === 0;
}
validate24.evaluated = {"props":{"changes":true,"complete":true,"reason":true},"dynamicProps":false,"dynamicItems":false};


function validate23(data, {instancePath="", parentData, parentDataProperty, rootData=data, dynamicAnchors={}}={}){
let vErrors = null;
let errors = 0;
const evaluated0 = validate23.evaluated;
if(evaluated0.dynamicProps){
evaluated0.props = undefined;
}
if(evaluated0.dynamicItems){
evaluated0.items = undefined;
}
if(errors === 0){
if(data && typeof data == "object" && !Array.isArray(data)){
let missing0;
if(((((((((((((((((((((((((data.run_id === undefined) && (missing0 = "run_id")) || ((data.task === undefined) && (missing0 = "task"))) || ((data.model === undefined) && (missing0 = "model"))) || ((data.status === undefined) && (missing0 = "status"))) || ((data.end_reason === undefined) && (missing0 = "end_reason"))) || ((data.steps === undefined) && (missing0 = "steps"))) || ((data.max_steps === undefined) && (missing0 = "max_steps"))) || ((data.usage === undefined) && (missing0 = "usage"))) || ((data.cost_usd === undefined) && (missing0 = "cost_usd"))) || ((data.started_at === undefined) && (missing0 = "started_at"))) || ((data.elapsed_s === undefined) && (missing0 = "elapsed_s"))) || ((data.cell_id === undefined) && (missing0 = "cell_id"))) || ((data.insert_mode === undefined) && (missing0 = "insert_mode"))) || ((data.current_code === undefined) && (missing0 = "current_code"))) || ((data.execution_count === undefined) && (missing0 = "execution_count"))) || ((data.followups === undefined) && (missing0 = "followups"))) || ((data.replayed_from === undefined) && (missing0 = "replayed_from"))) || ((data.approve === undefined) && (missing0 = "approve"))) || ((data.isolation === undefined) && (missing0 = "isolation"))) || ((data.files === undefined) && (missing0 = "files"))) || ((data.output === undefined) && (missing0 = "output"))) || ((data.mcp === undefined) && (missing0 = "mcp"))) || ((data.undone === undefined) && (missing0 = "undone"))) || ((data.undoable === undefined) && (missing0 = "undoable"))){
validate23.errors = [{instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: missing0},message:"must have required property '"+missing0+"'"}];
return false;
}
else {
if(data.run_id !== undefined){
let data0 = data.run_id;
const _errs1 = errors;
if(errors === _errs1){
if(typeof data0 === "string"){
if(func1(data0) < 1){
validate23.errors = [{instancePath:instancePath+"/run_id",schemaPath:"#/properties/run_id/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"}];
return false;
}
}
else {
validate23.errors = [{instancePath:instancePath+"/run_id",schemaPath:"#/properties/run_id/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
}
var valid0 = _errs1 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.task !== undefined){
const _errs3 = errors;
if(typeof data.task !== "string"){
validate23.errors = [{instancePath:instancePath+"/task",schemaPath:"#/properties/task/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
var valid0 = _errs3 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.model !== undefined){
const _errs5 = errors;
if(typeof data.model !== "string"){
validate23.errors = [{instancePath:instancePath+"/model",schemaPath:"#/properties/model/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
var valid0 = _errs5 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.status !== undefined){
let data3 = data.status;
const _errs7 = errors;
if(!((((((((data3 === "running") || (data3 === "done")) || (data3 === "stopped")) || (data3 === "failed")) || (data3 === "step_limit")) || (data3 === "budget")) || (data3 === "crashed")) || (data3 === "diverged"))){
validate23.errors = [{instancePath:instancePath+"/status",schemaPath:"#/$defs/RunStatus/enum",keyword:"enum",params:{allowedValues: schema37.enum},message:"must be equal to one of the allowed values"}];
return false;
}
var valid0 = _errs7 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.end_reason !== undefined){
let data4 = data.end_reason;
const _errs9 = errors;
if((typeof data4 !== "string") && (data4 !== null)){
validate23.errors = [{instancePath:instancePath+"/end_reason",schemaPath:"#/properties/end_reason/type",keyword:"type",params:{type: schema36.properties.end_reason.type},message:"must be string,null"}];
return false;
}
var valid0 = _errs9 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.steps !== undefined){
let data5 = data.steps;
const _errs11 = errors;
if(!(((typeof data5 == "number") && (!(data5 % 1) && !isNaN(data5))) && (isFinite(data5)))){
validate23.errors = [{instancePath:instancePath+"/steps",schemaPath:"#/properties/steps/type",keyword:"type",params:{type: "integer"},message:"must be integer"}];
return false;
}
if(errors === _errs11){
if((typeof data5 == "number") && (isFinite(data5))){
if(data5 < 0 || isNaN(data5)){
validate23.errors = [{instancePath:instancePath+"/steps",schemaPath:"#/properties/steps/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"}];
return false;
}
}
}
var valid0 = _errs11 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.max_steps !== undefined){
let data6 = data.max_steps;
const _errs13 = errors;
if(!(((typeof data6 == "number") && (!(data6 % 1) && !isNaN(data6))) && (isFinite(data6)))){
validate23.errors = [{instancePath:instancePath+"/max_steps",schemaPath:"#/properties/max_steps/type",keyword:"type",params:{type: "integer"},message:"must be integer"}];
return false;
}
if(errors === _errs13){
if((typeof data6 == "number") && (isFinite(data6))){
if(data6 < 1 || isNaN(data6)){
validate23.errors = [{instancePath:instancePath+"/max_steps",schemaPath:"#/properties/max_steps/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"}];
return false;
}
}
}
var valid0 = _errs13 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.usage !== undefined){
let data7 = data.usage;
const _errs15 = errors;
const _errs16 = errors;
if(errors === _errs16){
if(data7 && typeof data7 == "object" && !Array.isArray(data7)){
let missing1;
if(((((data7.input_tokens === undefined) && (missing1 = "input_tokens")) || ((data7.output_tokens === undefined) && (missing1 = "output_tokens"))) || ((data7.cache_creation_input_tokens === undefined) && (missing1 = "cache_creation_input_tokens"))) || ((data7.cache_read_input_tokens === undefined) && (missing1 = "cache_read_input_tokens"))){
validate23.errors = [{instancePath:instancePath+"/usage",schemaPath:"#/$defs/Usage/required",keyword:"required",params:{missingProperty: missing1},message:"must have required property '"+missing1+"'"}];
return false;
}
else {
if(data7.input_tokens !== undefined){
let data8 = data7.input_tokens;
const _errs18 = errors;
if(!(((typeof data8 == "number") && (!(data8 % 1) && !isNaN(data8))) && (isFinite(data8)))){
validate23.errors = [{instancePath:instancePath+"/usage/input_tokens",schemaPath:"#/$defs/Usage/properties/input_tokens/type",keyword:"type",params:{type: "integer"},message:"must be integer"}];
return false;
}
if(errors === _errs18){
if((typeof data8 == "number") && (isFinite(data8))){
if(data8 < 0 || isNaN(data8)){
validate23.errors = [{instancePath:instancePath+"/usage/input_tokens",schemaPath:"#/$defs/Usage/properties/input_tokens/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"}];
return false;
}
}
}
var valid3 = _errs18 === errors;
}
else {
var valid3 = true;
}
if(valid3){
if(data7.output_tokens !== undefined){
let data9 = data7.output_tokens;
const _errs20 = errors;
if(!(((typeof data9 == "number") && (!(data9 % 1) && !isNaN(data9))) && (isFinite(data9)))){
validate23.errors = [{instancePath:instancePath+"/usage/output_tokens",schemaPath:"#/$defs/Usage/properties/output_tokens/type",keyword:"type",params:{type: "integer"},message:"must be integer"}];
return false;
}
if(errors === _errs20){
if((typeof data9 == "number") && (isFinite(data9))){
if(data9 < 0 || isNaN(data9)){
validate23.errors = [{instancePath:instancePath+"/usage/output_tokens",schemaPath:"#/$defs/Usage/properties/output_tokens/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"}];
return false;
}
}
}
var valid3 = _errs20 === errors;
}
else {
var valid3 = true;
}
if(valid3){
if(data7.cache_creation_input_tokens !== undefined){
let data10 = data7.cache_creation_input_tokens;
const _errs22 = errors;
if(!(((typeof data10 == "number") && (!(data10 % 1) && !isNaN(data10))) && (isFinite(data10)))){
validate23.errors = [{instancePath:instancePath+"/usage/cache_creation_input_tokens",schemaPath:"#/$defs/Usage/properties/cache_creation_input_tokens/type",keyword:"type",params:{type: "integer"},message:"must be integer"}];
return false;
}
if(errors === _errs22){
if((typeof data10 == "number") && (isFinite(data10))){
if(data10 < 0 || isNaN(data10)){
validate23.errors = [{instancePath:instancePath+"/usage/cache_creation_input_tokens",schemaPath:"#/$defs/Usage/properties/cache_creation_input_tokens/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"}];
return false;
}
}
}
var valid3 = _errs22 === errors;
}
else {
var valid3 = true;
}
if(valid3){
if(data7.cache_read_input_tokens !== undefined){
let data11 = data7.cache_read_input_tokens;
const _errs24 = errors;
if(!(((typeof data11 == "number") && (!(data11 % 1) && !isNaN(data11))) && (isFinite(data11)))){
validate23.errors = [{instancePath:instancePath+"/usage/cache_read_input_tokens",schemaPath:"#/$defs/Usage/properties/cache_read_input_tokens/type",keyword:"type",params:{type: "integer"},message:"must be integer"}];
return false;
}
if(errors === _errs24){
if((typeof data11 == "number") && (isFinite(data11))){
if(data11 < 0 || isNaN(data11)){
validate23.errors = [{instancePath:instancePath+"/usage/cache_read_input_tokens",schemaPath:"#/$defs/Usage/properties/cache_read_input_tokens/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"}];
return false;
}
}
}
var valid3 = _errs24 === errors;
}
else {
var valid3 = true;
}
if(valid3){
if(data7.image_tokens !== undefined){
let data12 = data7.image_tokens;
const _errs26 = errors;
if(!(((typeof data12 == "number") && (!(data12 % 1) && !isNaN(data12))) && (isFinite(data12)))){
validate23.errors = [{instancePath:instancePath+"/usage/image_tokens",schemaPath:"#/$defs/Usage/properties/image_tokens/type",keyword:"type",params:{type: "integer"},message:"must be integer"}];
return false;
}
if(errors === _errs26){
if((typeof data12 == "number") && (isFinite(data12))){
if(data12 < 0 || isNaN(data12)){
validate23.errors = [{instancePath:instancePath+"/usage/image_tokens",schemaPath:"#/$defs/Usage/properties/image_tokens/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"}];
return false;
}
}
}
var valid3 = _errs26 === errors;
}
else {
var valid3 = true;
}
}
}
}
}
}
}
else {
validate23.errors = [{instancePath:instancePath+"/usage",schemaPath:"#/$defs/Usage/type",keyword:"type",params:{type: "object"},message:"must be object"}];
return false;
}
}
var valid0 = _errs15 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.cost_usd !== undefined){
let data13 = data.cost_usd;
const _errs28 = errors;
if((!((typeof data13 == "number") && (isFinite(data13)))) && (data13 !== null)){
validate23.errors = [{instancePath:instancePath+"/cost_usd",schemaPath:"#/properties/cost_usd/type",keyword:"type",params:{type: schema36.properties.cost_usd.type},message:"must be number,null"}];
return false;
}
var valid0 = _errs28 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.started_at !== undefined){
const _errs30 = errors;
if(typeof data.started_at !== "string"){
validate23.errors = [{instancePath:instancePath+"/started_at",schemaPath:"#/properties/started_at/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
var valid0 = _errs30 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.elapsed_s !== undefined){
let data15 = data.elapsed_s;
const _errs32 = errors;
if(errors === _errs32){
if((typeof data15 == "number") && (isFinite(data15))){
if(data15 < 0 || isNaN(data15)){
validate23.errors = [{instancePath:instancePath+"/elapsed_s",schemaPath:"#/properties/elapsed_s/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"}];
return false;
}
}
else {
validate23.errors = [{instancePath:instancePath+"/elapsed_s",schemaPath:"#/properties/elapsed_s/type",keyword:"type",params:{type: "number"},message:"must be number"}];
return false;
}
}
var valid0 = _errs32 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.cell_id !== undefined){
let data16 = data.cell_id;
const _errs34 = errors;
if((typeof data16 !== "string") && (data16 !== null)){
validate23.errors = [{instancePath:instancePath+"/cell_id",schemaPath:"#/properties/cell_id/type",keyword:"type",params:{type: schema36.properties.cell_id.type},message:"must be string,null"}];
return false;
}
var valid0 = _errs34 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.insert_mode !== undefined){
let data17 = data.insert_mode;
const _errs36 = errors;
if(!(((data17 === "replace") || (data17 === "append")) || (data17 === "none"))){
validate23.errors = [{instancePath:instancePath+"/insert_mode",schemaPath:"#/$defs/InsertMode/enum",keyword:"enum",params:{allowedValues: schema39.enum},message:"must be equal to one of the allowed values"}];
return false;
}
var valid0 = _errs36 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.current_code !== undefined){
let data18 = data.current_code;
const _errs38 = errors;
if((typeof data18 !== "string") && (data18 !== null)){
validate23.errors = [{instancePath:instancePath+"/current_code",schemaPath:"#/properties/current_code/type",keyword:"type",params:{type: schema36.properties.current_code.type},message:"must be string,null"}];
return false;
}
var valid0 = _errs38 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.execution_count !== undefined){
let data19 = data.execution_count;
const _errs40 = errors;
if((!(((typeof data19 == "number") && (!(data19 % 1) && !isNaN(data19))) && (isFinite(data19)))) && (data19 !== null)){
validate23.errors = [{instancePath:instancePath+"/execution_count",schemaPath:"#/properties/execution_count/type",keyword:"type",params:{type: schema36.properties.execution_count.type},message:"must be integer,null"}];
return false;
}
if(errors === _errs40){
if((typeof data19 == "number") && (isFinite(data19))){
if(data19 < 0 || isNaN(data19)){
validate23.errors = [{instancePath:instancePath+"/execution_count",schemaPath:"#/properties/execution_count/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"}];
return false;
}
}
}
var valid0 = _errs40 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.followups !== undefined){
let data20 = data.followups;
const _errs42 = errors;
if(errors === _errs42){
if(Array.isArray(data20)){
var valid5 = true;
const len0 = data20.length;
for(let i0=0; i0<len0; i0++){
let data21 = data20[i0];
const _errs44 = errors;
const _errs45 = errors;
if(errors === _errs45){
if(data21 && typeof data21 == "object" && !Array.isArray(data21)){
let missing2;
if((((data21.cell_id === undefined) && (missing2 = "cell_id")) || ((data21.execution_count === undefined) && (missing2 = "execution_count"))) || ((data21.started_at === undefined) && (missing2 = "started_at"))){
validate23.errors = [{instancePath:instancePath+"/followups/" + i0,schemaPath:"#/$defs/FollowUpSummary/required",keyword:"required",params:{missingProperty: missing2},message:"must have required property '"+missing2+"'"}];
return false;
}
else {
if(data21.cell_id !== undefined){
let data22 = data21.cell_id;
const _errs47 = errors;
if((typeof data22 !== "string") && (data22 !== null)){
validate23.errors = [{instancePath:instancePath+"/followups/" + i0+"/cell_id",schemaPath:"#/$defs/FollowUpSummary/properties/cell_id/type",keyword:"type",params:{type: schema40.properties.cell_id.type},message:"must be string,null"}];
return false;
}
var valid7 = _errs47 === errors;
}
else {
var valid7 = true;
}
if(valid7){
if(data21.execution_count !== undefined){
let data23 = data21.execution_count;
const _errs49 = errors;
if((!(((typeof data23 == "number") && (!(data23 % 1) && !isNaN(data23))) && (isFinite(data23)))) && (data23 !== null)){
validate23.errors = [{instancePath:instancePath+"/followups/" + i0+"/execution_count",schemaPath:"#/$defs/FollowUpSummary/properties/execution_count/type",keyword:"type",params:{type: schema40.properties.execution_count.type},message:"must be integer,null"}];
return false;
}
if(errors === _errs49){
if((typeof data23 == "number") && (isFinite(data23))){
if(data23 < 0 || isNaN(data23)){
validate23.errors = [{instancePath:instancePath+"/followups/" + i0+"/execution_count",schemaPath:"#/$defs/FollowUpSummary/properties/execution_count/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"}];
return false;
}
}
}
var valid7 = _errs49 === errors;
}
else {
var valid7 = true;
}
if(valid7){
if(data21.started_at !== undefined){
const _errs51 = errors;
if(typeof data21.started_at !== "string"){
validate23.errors = [{instancePath:instancePath+"/followups/" + i0+"/started_at",schemaPath:"#/$defs/FollowUpSummary/properties/started_at/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
var valid7 = _errs51 === errors;
}
else {
var valid7 = true;
}
}
}
}
}
else {
validate23.errors = [{instancePath:instancePath+"/followups/" + i0,schemaPath:"#/$defs/FollowUpSummary/type",keyword:"type",params:{type: "object"},message:"must be object"}];
return false;
}
}
var valid5 = _errs44 === errors;
if(!valid5){
break;
}
}
}
else {
validate23.errors = [{instancePath:instancePath+"/followups",schemaPath:"#/properties/followups/type",keyword:"type",params:{type: "array"},message:"must be array"}];
return false;
}
}
var valid0 = _errs42 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.replayed_from !== undefined){
let data25 = data.replayed_from;
const _errs53 = errors;
if((typeof data25 !== "string") && (data25 !== null)){
validate23.errors = [{instancePath:instancePath+"/replayed_from",schemaPath:"#/properties/replayed_from/type",keyword:"type",params:{type: schema36.properties.replayed_from.type},message:"must be string,null"}];
return false;
}
var valid0 = _errs53 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.compact_outputs !== undefined){
let data26 = data.compact_outputs;
const _errs55 = errors;
if((!(Array.isArray(data26))) && (data26 !== null)){
validate23.errors = [{instancePath:instancePath+"/compact_outputs",schemaPath:"#/properties/compact_outputs/type",keyword:"type",params:{type: schema36.properties.compact_outputs.type},message:"must be array,null"}];
return false;
}
if(errors === _errs55){
if(Array.isArray(data26)){
var valid8 = true;
const len1 = data26.length;
for(let i1=0; i1<len1; i1++){
let data27 = data26[i1];
const _errs57 = errors;
const _errs58 = errors;
if(errors === _errs58){
if(data27 && typeof data27 == "object" && !Array.isArray(data27)){
let missing3;
if((data27.output_type === undefined) && (missing3 = "output_type")){
validate23.errors = [{instancePath:instancePath+"/compact_outputs/" + i1,schemaPath:"#/$defs/Output/required",keyword:"required",params:{missingProperty: missing3},message:"must have required property '"+missing3+"'"}];
return false;
}
}
else {
validate23.errors = [{instancePath:instancePath+"/compact_outputs/" + i1,schemaPath:"#/$defs/Output/type",keyword:"type",params:{type: "object"},message:"must be object"}];
return false;
}
}
var valid8 = _errs57 === errors;
if(!valid8){
break;
}
}
}
}
var valid0 = _errs55 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.approve !== undefined){
let data28 = data.approve;
const _errs60 = errors;
if(!(((data28 === "always") || (data28 === "risky")) || (data28 === "never"))){
validate23.errors = [{instancePath:instancePath+"/approve",schemaPath:"#/properties/approve/enum",keyword:"enum",params:{allowedValues: schema36.properties.approve.enum},message:"must be equal to one of the allowed values"}];
return false;
}
var valid0 = _errs60 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.isolation !== undefined){
let data29 = data.isolation;
const _errs61 = errors;
const _errs62 = errors;
let valid10 = false;
const _errs63 = errors;
const _errs64 = errors;
if(errors === _errs64){
if(data29 && typeof data29 == "object" && !Array.isArray(data29)){
let missing4;
if(((data29.kernel === undefined) && (missing4 = "kernel")) || ((data29.description === undefined) && (missing4 = "description"))){
const err0 = {instancePath:instancePath+"/isolation",schemaPath:"#/$defs/Isolation/required",keyword:"required",params:{missingProperty: missing4},message:"must have required property '"+missing4+"'"};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
else {
if(data29.kernel !== undefined){
let data30 = data29.kernel;
const _errs66 = errors;
if(!((data30 === "local") || (data30 === "gateway"))){
const err1 = {instancePath:instancePath+"/isolation/kernel",schemaPath:"#/$defs/Isolation/properties/kernel/enum",keyword:"enum",params:{allowedValues: schema42.properties.kernel.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
var valid12 = _errs66 === errors;
}
else {
var valid12 = true;
}
if(valid12){
if(data29.description !== undefined){
const _errs67 = errors;
if(typeof data29.description !== "string"){
const err2 = {instancePath:instancePath+"/isolation/description",schemaPath:"#/$defs/Isolation/properties/description/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
var valid12 = _errs67 === errors;
}
else {
var valid12 = true;
}
if(valid12){
if(data29.workdir !== undefined){
let data32 = data29.workdir;
const _errs69 = errors;
if((typeof data32 !== "string") && (data32 !== null)){
const err3 = {instancePath:instancePath+"/isolation/workdir",schemaPath:"#/$defs/Isolation/properties/workdir/type",keyword:"type",params:{type: schema42.properties.workdir.type},message:"must be string,null"};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
var valid12 = _errs69 === errors;
}
else {
var valid12 = true;
}
if(valid12){
if(data29.gateway_url !== undefined){
let data33 = data29.gateway_url;
const _errs71 = errors;
if((typeof data33 !== "string") && (data33 !== null)){
const err4 = {instancePath:instancePath+"/isolation/gateway_url",schemaPath:"#/$defs/Isolation/properties/gateway_url/type",keyword:"type",params:{type: schema42.properties.gateway_url.type},message:"must be string,null"};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
var valid12 = _errs71 === errors;
}
else {
var valid12 = true;
}
if(valid12){
if(data29.with !== undefined){
let data34 = data29.with;
const _errs73 = errors;
if(errors === _errs73){
if(Array.isArray(data34)){
var valid13 = true;
const len2 = data34.length;
for(let i2=0; i2<len2; i2++){
const _errs75 = errors;
if(typeof data34[i2] !== "string"){
const err5 = {instancePath:instancePath+"/isolation/with/" + i2,schemaPath:"#/$defs/Isolation/properties/with/items/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
var valid13 = _errs75 === errors;
if(!valid13){
break;
}
}
}
else {
const err6 = {instancePath:instancePath+"/isolation/with",schemaPath:"#/$defs/Isolation/properties/with/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
var valid12 = _errs73 === errors;
}
else {
var valid12 = true;
}
if(valid12){
if(data29.returns !== undefined){
let data36 = data29.returns;
const _errs77 = errors;
if(errors === _errs77){
if(Array.isArray(data36)){
var valid14 = true;
const len3 = data36.length;
for(let i3=0; i3<len3; i3++){
const _errs79 = errors;
if(typeof data36[i3] !== "string"){
const err7 = {instancePath:instancePath+"/isolation/returns/" + i3,schemaPath:"#/$defs/Isolation/properties/returns/items/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
var valid14 = _errs79 === errors;
if(!valid14){
break;
}
}
}
else {
const err8 = {instancePath:instancePath+"/isolation/returns",schemaPath:"#/$defs/Isolation/properties/returns/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
var valid12 = _errs77 === errors;
}
else {
var valid12 = true;
}
if(valid12){
if(data29.network !== undefined){
const _errs81 = errors;
if(typeof data29.network !== "boolean"){
const err9 = {instancePath:instancePath+"/isolation/network",schemaPath:"#/$defs/Isolation/properties/network/type",keyword:"type",params:{type: "boolean"},message:"must be boolean"};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
var valid12 = _errs81 === errors;
}
else {
var valid12 = true;
}
if(valid12){
if(data29.returned !== undefined){
let data39 = data29.returned;
const _errs83 = errors;
if(errors === _errs83){
if(Array.isArray(data39)){
var valid15 = true;
const len4 = data39.length;
for(let i4=0; i4<len4; i4++){
const _errs85 = errors;
if(typeof data39[i4] !== "string"){
const err10 = {instancePath:instancePath+"/isolation/returned/" + i4,schemaPath:"#/$defs/Isolation/properties/returned/items/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
var valid15 = _errs85 === errors;
if(!valid15){
break;
}
}
}
else {
const err11 = {instancePath:instancePath+"/isolation/returned",schemaPath:"#/$defs/Isolation/properties/returned/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
var valid12 = _errs83 === errors;
}
else {
var valid12 = true;
}
if(valid12){
if(data29.not_returned !== undefined){
let data41 = data29.not_returned;
const _errs87 = errors;
if(errors === _errs87){
if(data41 && typeof data41 == "object" && !Array.isArray(data41)){
for(const key0 in data41){
const _errs90 = errors;
if(typeof data41[key0] !== "string"){
const err12 = {instancePath:instancePath+"/isolation/not_returned/" + key0.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/$defs/Isolation/properties/not_returned/additionalProperties/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
var valid16 = _errs90 === errors;
if(!valid16){
break;
}
}
}
else {
const err13 = {instancePath:instancePath+"/isolation/not_returned",schemaPath:"#/$defs/Isolation/properties/not_returned/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
}
var valid12 = _errs87 === errors;
}
else {
var valid12 = true;
}
}
}
}
}
}
}
}
}
}
}
else {
const err14 = {instancePath:instancePath+"/isolation",schemaPath:"#/$defs/Isolation/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
}
var _valid0 = _errs63 === errors;
valid10 = valid10 || _valid0;
if(_valid0){
var props0 = {};
props0.kernel = true;
props0.description = true;
props0.workdir = true;
props0.gateway_url = true;
props0.with = true;
props0.returns = true;
props0.network = true;
props0.returned = true;
props0.not_returned = true;
}
const _errs92 = errors;
if(data29 !== null){
const err15 = {instancePath:instancePath+"/isolation",schemaPath:"#/properties/isolation/anyOf/1/type",keyword:"type",params:{type: "null"},message:"must be null"};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
var _valid0 = _errs92 === errors;
valid10 = valid10 || _valid0;
if(!valid10){
const err16 = {instancePath:instancePath+"/isolation",schemaPath:"#/properties/isolation/anyOf",keyword:"anyOf",params:{},message:"must match a schema in anyOf"};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
validate23.errors = vErrors;
return false;
}
else {
errors = _errs62;
if(vErrors !== null){
if(_errs62){
vErrors.length = _errs62;
}
else {
vErrors = null;
}
}
}
var valid0 = _errs61 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.files !== undefined){
const _errs94 = errors;
if(!(validate24(data.files, {instancePath:instancePath+"/files",parentData:data,parentDataProperty:"files",rootData,dynamicAnchors}))){
vErrors = vErrors === null ? validate24.errors : vErrors.concat(validate24.errors);
errors = vErrors.length;
}
var valid0 = _errs94 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.output !== undefined){
let data44 = data.output;
const _errs96 = errors;
const _errs97 = errors;
let valid18 = false;
const _errs98 = errors;
const _errs99 = errors;
if(errors === _errs99){
if(data44 && typeof data44 == "object" && !Array.isArray(data44)){
let missing5;
if(((((data44.name === undefined) && (missing5 = "name")) || ((data44.type === undefined) && (missing5 = "type"))) || ((data44.status === undefined) && (missing5 = "status"))) || ((data44.error === undefined) && (missing5 = "error"))){
const err17 = {instancePath:instancePath+"/output",schemaPath:"#/$defs/ResultVariable/required",keyword:"required",params:{missingProperty: missing5},message:"must have required property '"+missing5+"'"};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
else {
if(data44.name !== undefined){
let data45 = data44.name;
const _errs101 = errors;
if(errors === _errs101){
if(typeof data45 === "string"){
if(func1(data45) < 1){
const err18 = {instancePath:instancePath+"/output/name",schemaPath:"#/$defs/ResultVariable/properties/name/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err18];
}
else {
vErrors.push(err18);
}
errors++;
}
}
else {
const err19 = {instancePath:instancePath+"/output/name",schemaPath:"#/$defs/ResultVariable/properties/name/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err19];
}
else {
vErrors.push(err19);
}
errors++;
}
}
var valid20 = _errs101 === errors;
}
else {
var valid20 = true;
}
if(valid20){
if(data44.type !== undefined){
let data46 = data44.type;
const _errs103 = errors;
if((typeof data46 !== "string") && (data46 !== null)){
const err20 = {instancePath:instancePath+"/output/type",schemaPath:"#/$defs/ResultVariable/properties/type/type",keyword:"type",params:{type: schema45.properties.type.type},message:"must be string,null"};
if(vErrors === null){
vErrors = [err20];
}
else {
vErrors.push(err20);
}
errors++;
}
var valid20 = _errs103 === errors;
}
else {
var valid20 = true;
}
if(valid20){
if(data44.status !== undefined){
let data47 = data44.status;
const _errs105 = errors;
if(!((((data47 === "valid") || (data47 === "missing")) || (data47 === "invalid")) || (data47 === null))){
const err21 = {instancePath:instancePath+"/output/status",schemaPath:"#/$defs/ResultVariable/properties/status/enum",keyword:"enum",params:{allowedValues: schema45.properties.status.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
var valid20 = _errs105 === errors;
}
else {
var valid20 = true;
}
if(valid20){
if(data44.error !== undefined){
let data48 = data44.error;
const _errs106 = errors;
if((typeof data48 !== "string") && (data48 !== null)){
const err22 = {instancePath:instancePath+"/output/error",schemaPath:"#/$defs/ResultVariable/properties/error/type",keyword:"type",params:{type: schema45.properties.error.type},message:"must be string,null"};
if(vErrors === null){
vErrors = [err22];
}
else {
vErrors.push(err22);
}
errors++;
}
var valid20 = _errs106 === errors;
}
else {
var valid20 = true;
}
if(valid20){
if(data44.corrections !== undefined){
let data49 = data44.corrections;
const _errs108 = errors;
if(errors === _errs108){
if(Array.isArray(data49)){
var valid21 = true;
const len5 = data49.length;
for(let i5=0; i5<len5; i5++){
let data50 = data49[i5];
const _errs110 = errors;
if(errors === _errs110){
if(data50 && typeof data50 == "object" && !Array.isArray(data50)){
let missing6;
if(((data50.turn === undefined) && (missing6 = "turn")) || ((data50.problem === undefined) && (missing6 = "problem"))){
const err23 = {instancePath:instancePath+"/output/corrections/" + i5,schemaPath:"#/$defs/ResultVariable/properties/corrections/items/required",keyword:"required",params:{missingProperty: missing6},message:"must have required property '"+missing6+"'"};
if(vErrors === null){
vErrors = [err23];
}
else {
vErrors.push(err23);
}
errors++;
}
else {
if(data50.turn !== undefined){
let data51 = data50.turn;
const _errs112 = errors;
if(!(((typeof data51 == "number") && (!(data51 % 1) && !isNaN(data51))) && (isFinite(data51)))){
const err24 = {instancePath:instancePath+"/output/corrections/" + i5+"/turn",schemaPath:"#/$defs/ResultVariable/properties/corrections/items/properties/turn/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err24];
}
else {
vErrors.push(err24);
}
errors++;
}
if(errors === _errs112){
if((typeof data51 == "number") && (isFinite(data51))){
if(data51 < 0 || isNaN(data51)){
const err25 = {instancePath:instancePath+"/output/corrections/" + i5+"/turn",schemaPath:"#/$defs/ResultVariable/properties/corrections/items/properties/turn/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err25];
}
else {
vErrors.push(err25);
}
errors++;
}
}
}
var valid22 = _errs112 === errors;
}
else {
var valid22 = true;
}
if(valid22){
if(data50.problem !== undefined){
const _errs114 = errors;
if(typeof data50.problem !== "string"){
const err26 = {instancePath:instancePath+"/output/corrections/" + i5+"/problem",schemaPath:"#/$defs/ResultVariable/properties/corrections/items/properties/problem/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err26];
}
else {
vErrors.push(err26);
}
errors++;
}
var valid22 = _errs114 === errors;
}
else {
var valid22 = true;
}
}
}
}
else {
const err27 = {instancePath:instancePath+"/output/corrections/" + i5,schemaPath:"#/$defs/ResultVariable/properties/corrections/items/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err27];
}
else {
vErrors.push(err27);
}
errors++;
}
}
var valid21 = _errs110 === errors;
if(!valid21){
break;
}
}
}
else {
const err28 = {instancePath:instancePath+"/output/corrections",schemaPath:"#/$defs/ResultVariable/properties/corrections/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err28];
}
else {
vErrors.push(err28);
}
errors++;
}
}
var valid20 = _errs108 === errors;
}
else {
var valid20 = true;
}
}
}
}
}
}
}
else {
const err29 = {instancePath:instancePath+"/output",schemaPath:"#/$defs/ResultVariable/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err29];
}
else {
vErrors.push(err29);
}
errors++;
}
}
var _valid1 = _errs98 === errors;
valid18 = valid18 || _valid1;
if(_valid1){
var props1 = {};
props1.name = true;
props1.type = true;
props1.status = true;
props1.error = true;
props1.corrections = true;
}
const _errs116 = errors;
if(data44 !== null){
const err30 = {instancePath:instancePath+"/output",schemaPath:"#/properties/output/anyOf/1/type",keyword:"type",params:{type: "null"},message:"must be null"};
if(vErrors === null){
vErrors = [err30];
}
else {
vErrors.push(err30);
}
errors++;
}
var _valid1 = _errs116 === errors;
valid18 = valid18 || _valid1;
if(!valid18){
const err31 = {instancePath:instancePath+"/output",schemaPath:"#/properties/output/anyOf",keyword:"anyOf",params:{},message:"must match a schema in anyOf"};
if(vErrors === null){
vErrors = [err31];
}
else {
vErrors.push(err31);
}
errors++;
validate23.errors = vErrors;
return false;
}
else {
errors = _errs97;
if(vErrors !== null){
if(_errs97){
vErrors.length = _errs97;
}
else {
vErrors = null;
}
}
}
var valid0 = _errs96 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.mcp !== undefined){
let data53 = data.mcp;
const _errs118 = errors;
if(errors === _errs118){
if(Array.isArray(data53)){
var valid23 = true;
const len6 = data53.length;
for(let i6=0; i6<len6; i6++){
const _errs120 = errors;
if(typeof data53[i6] !== "string"){
validate23.errors = [{instancePath:instancePath+"/mcp/" + i6,schemaPath:"#/properties/mcp/items/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
var valid23 = _errs120 === errors;
if(!valid23){
break;
}
}
}
else {
validate23.errors = [{instancePath:instancePath+"/mcp",schemaPath:"#/properties/mcp/type",keyword:"type",params:{type: "array"},message:"must be array"}];
return false;
}
}
var valid0 = _errs118 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.undone !== undefined){
let data55 = data.undone;
const _errs122 = errors;
const _errs123 = errors;
let valid24 = false;
const _errs124 = errors;
const _errs125 = errors;
if(errors === _errs125){
if(data55 && typeof data55 == "object" && !Array.isArray(data55)){
let missing7;
if(((((data55.at === undefined) && (missing7 = "at")) || ((data55.from_step === undefined) && (missing7 = "from_step"))) || ((data55.from_index === undefined) && (missing7 = "from_index"))) || ((data55.forced === undefined) && (missing7 = "forced"))){
const err32 = {instancePath:instancePath+"/undone",schemaPath:"#/$defs/Undone/required",keyword:"required",params:{missingProperty: missing7},message:"must have required property '"+missing7+"'"};
if(vErrors === null){
vErrors = [err32];
}
else {
vErrors.push(err32);
}
errors++;
}
else {
if(data55.at !== undefined){
const _errs127 = errors;
if(typeof data55.at !== "string"){
const err33 = {instancePath:instancePath+"/undone/at",schemaPath:"#/$defs/Undone/properties/at/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err33];
}
else {
vErrors.push(err33);
}
errors++;
}
var valid26 = _errs127 === errors;
}
else {
var valid26 = true;
}
if(valid26){
if(data55.from_step !== undefined){
let data57 = data55.from_step;
const _errs129 = errors;
if(!(((typeof data57 == "number") && (!(data57 % 1) && !isNaN(data57))) && (isFinite(data57)))){
const err34 = {instancePath:instancePath+"/undone/from_step",schemaPath:"#/$defs/Undone/properties/from_step/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err34];
}
else {
vErrors.push(err34);
}
errors++;
}
if(errors === _errs129){
if((typeof data57 == "number") && (isFinite(data57))){
if(data57 < 1 || isNaN(data57)){
const err35 = {instancePath:instancePath+"/undone/from_step",schemaPath:"#/$defs/Undone/properties/from_step/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err35];
}
else {
vErrors.push(err35);
}
errors++;
}
}
}
var valid26 = _errs129 === errors;
}
else {
var valid26 = true;
}
if(valid26){
if(data55.from_index !== undefined){
let data58 = data55.from_index;
const _errs131 = errors;
if(!(((typeof data58 == "number") && (!(data58 % 1) && !isNaN(data58))) && (isFinite(data58)))){
const err36 = {instancePath:instancePath+"/undone/from_index",schemaPath:"#/$defs/Undone/properties/from_index/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err36];
}
else {
vErrors.push(err36);
}
errors++;
}
if(errors === _errs131){
if((typeof data58 == "number") && (isFinite(data58))){
if(data58 < 0 || isNaN(data58)){
const err37 = {instancePath:instancePath+"/undone/from_index",schemaPath:"#/$defs/Undone/properties/from_index/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err37];
}
else {
vErrors.push(err37);
}
errors++;
}
}
}
var valid26 = _errs131 === errors;
}
else {
var valid26 = true;
}
if(valid26){
if(data55.forced !== undefined){
const _errs133 = errors;
if(typeof data55.forced !== "boolean"){
const err38 = {instancePath:instancePath+"/undone/forced",schemaPath:"#/$defs/Undone/properties/forced/type",keyword:"type",params:{type: "boolean"},message:"must be boolean"};
if(vErrors === null){
vErrors = [err38];
}
else {
vErrors.push(err38);
}
errors++;
}
var valid26 = _errs133 === errors;
}
else {
var valid26 = true;
}
}
}
}
}
}
else {
const err39 = {instancePath:instancePath+"/undone",schemaPath:"#/$defs/Undone/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err39];
}
else {
vErrors.push(err39);
}
errors++;
}
}
var _valid2 = _errs124 === errors;
valid24 = valid24 || _valid2;
if(_valid2){
var props2 = {};
props2.at = true;
props2.from_step = true;
props2.from_index = true;
props2.forced = true;
}
const _errs135 = errors;
if(data55 !== null){
const err40 = {instancePath:instancePath+"/undone",schemaPath:"#/properties/undone/anyOf/1/type",keyword:"type",params:{type: "null"},message:"must be null"};
if(vErrors === null){
vErrors = [err40];
}
else {
vErrors.push(err40);
}
errors++;
}
var _valid2 = _errs135 === errors;
valid24 = valid24 || _valid2;
if(!valid24){
const err41 = {instancePath:instancePath+"/undone",schemaPath:"#/properties/undone/anyOf",keyword:"anyOf",params:{},message:"must match a schema in anyOf"};
if(vErrors === null){
vErrors = [err41];
}
else {
vErrors.push(err41);
}
errors++;
validate23.errors = vErrors;
return false;
}
else {
errors = _errs123;
if(vErrors !== null){
if(_errs123){
vErrors.length = _errs123;
}
else {
vErrors = null;
}
}
}
var valid0 = _errs122 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.undoable !== undefined){
const _errs137 = errors;
if(typeof data.undoable !== "boolean"){
validate23.errors = [{instancePath:instancePath+"/undoable",schemaPath:"#/properties/undoable/type",keyword:"type",params:{type: "boolean"},message:"must be boolean"}];
return false;
}
var valid0 = _errs137 === errors;
}
else {
var valid0 = true;
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
else {
validate23.errors = [{instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"}];
return false;
}
}
validate23.errors = vErrors;
return errors === 0;
}
validate23.evaluated = {"props":{"run_id":true,"task":true,"model":true,"status":true,"end_reason":true,"steps":true,"max_steps":true,"usage":true,"cost_usd":true,"started_at":true,"elapsed_s":true,"cell_id":true,"insert_mode":true,"current_code":true,"execution_count":true,"followups":true,"replayed_from":true,"compact_outputs":true,"approve":true,"isolation":true,"files":true,"output":true,"mcp":true,"undone":true,"undoable":true},"dynamicProps":false,"dynamicItems":false};


function validate59(data, {instancePath="", parentData, parentDataProperty, rootData=data, dynamicAnchors={}}={}){
let vErrors = null;
let errors = 0;
const evaluated0 = validate59.evaluated;
if(evaluated0.dynamicProps){
evaluated0.props = undefined;
}
if(evaluated0.dynamicItems){
evaluated0.items = undefined;
}
if(errors === 0){
if(data && typeof data == "object" && !Array.isArray(data)){
let missing0;
if(((((data.protocol === undefined) && (missing0 = "protocol")) || ((data.version === undefined) && (missing0 = "version"))) || ((data.type === undefined) && (missing0 = "type"))) || ((data.runs === undefined) && (missing0 = "runs"))){
validate59.errors = [{instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: missing0},message:"must have required property '"+missing0+"'"}];
return false;
}
else {
if(data.protocol !== undefined){
const _errs1 = errors;
if("codeact" !== data.protocol){
validate59.errors = [{instancePath:instancePath+"/protocol",schemaPath:"#/properties/protocol/const",keyword:"const",params:{allowedValue: "codeact"},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs1 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.version !== undefined){
const _errs3 = errors;
if(1 !== data.version){
validate59.errors = [{instancePath:instancePath+"/version",schemaPath:"#/properties/version/const",keyword:"const",params:{allowedValue: 1},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs3 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.type !== undefined){
const _errs5 = errors;
if("runs" !== data.type){
validate59.errors = [{instancePath:instancePath+"/type",schemaPath:"#/properties/type/const",keyword:"const",params:{allowedValue: "runs"},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs5 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.runs !== undefined){
let data3 = data.runs;
const _errs6 = errors;
if(errors === _errs6){
if(Array.isArray(data3)){
var valid3 = true;
const len0 = data3.length;
for(let i0=0; i0<len0; i0++){
const _errs8 = errors;
if(!(validate23(data3[i0], {instancePath:instancePath+"/runs/" + i0,parentData:data3,parentDataProperty:i0,rootData,dynamicAnchors}))){
vErrors = vErrors === null ? validate23.errors : vErrors.concat(validate23.errors);
errors = vErrors.length;
}
var valid3 = _errs8 === errors;
if(!valid3){
break;
}
}
}
else {
validate59.errors = [{instancePath:instancePath+"/runs",schemaPath:"#/properties/runs/type",keyword:"type",params:{type: "array"},message:"must be array"}];
return false;
}
}
var valid0 = _errs6 === errors;
}
else {
var valid0 = true;
}
}
}
}
}
}
else {
validate59.errors = [{instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"}];
return false;
}
}
validate59.errors = vErrors;
return errors === 0;
}
validate59.evaluated = {"props":{"protocol":true,"version":true,"type":true,"runs":true},"dynamicProps":false,"dynamicItems":false};

const validateRunMessage = validate61;
const schema47 = {"description":"kernel -> frontend: one run changed (started, a step finished, usage grew, it ended).","type":"object","required":["protocol","version","type","run"],"properties":{"protocol":{"$ref":"#/properties/protocol"},"version":{"$ref":"#/properties/version"},"type":{"const":"run"},"run":{"$ref":"#/$defs/RunSummary"}}};

function validate61(data, {instancePath="", parentData, parentDataProperty, rootData=data, dynamicAnchors={}}={}){
let vErrors = null;
let errors = 0;
const evaluated0 = validate61.evaluated;
if(evaluated0.dynamicProps){
evaluated0.props = undefined;
}
if(evaluated0.dynamicItems){
evaluated0.items = undefined;
}
if(errors === 0){
if(data && typeof data == "object" && !Array.isArray(data)){
let missing0;
if(((((data.protocol === undefined) && (missing0 = "protocol")) || ((data.version === undefined) && (missing0 = "version"))) || ((data.type === undefined) && (missing0 = "type"))) || ((data.run === undefined) && (missing0 = "run"))){
validate61.errors = [{instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: missing0},message:"must have required property '"+missing0+"'"}];
return false;
}
else {
if(data.protocol !== undefined){
const _errs1 = errors;
if("codeact" !== data.protocol){
validate61.errors = [{instancePath:instancePath+"/protocol",schemaPath:"#/properties/protocol/const",keyword:"const",params:{allowedValue: "codeact"},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs1 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.version !== undefined){
const _errs3 = errors;
if(1 !== data.version){
validate61.errors = [{instancePath:instancePath+"/version",schemaPath:"#/properties/version/const",keyword:"const",params:{allowedValue: 1},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs3 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.type !== undefined){
const _errs5 = errors;
if("run" !== data.type){
validate61.errors = [{instancePath:instancePath+"/type",schemaPath:"#/properties/type/const",keyword:"const",params:{allowedValue: "run"},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs5 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.run !== undefined){
const _errs6 = errors;
if(!(validate23(data.run, {instancePath:instancePath+"/run",parentData:data,parentDataProperty:"run",rootData,dynamicAnchors}))){
vErrors = vErrors === null ? validate23.errors : vErrors.concat(validate23.errors);
errors = vErrors.length;
}
var valid0 = _errs6 === errors;
}
else {
var valid0 = true;
}
}
}
}
}
}
else {
validate61.errors = [{instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"}];
return false;
}
}
validate61.errors = vErrors;
return errors === 0;
}
validate61.evaluated = {"props":{"protocol":true,"version":true,"type":true,"run":true},"dynamicProps":false,"dynamicItems":false};

const validateTextMessage = validate63;
const schema50 = {"description":"kernel -> frontend: the model's reasoning streamed so far in the current turn (whole text, not a delta).","type":"object","required":["protocol","version","type","run_id","text"],"properties":{"protocol":{"$ref":"#/properties/protocol"},"version":{"$ref":"#/properties/version"},"type":{"const":"text"},"run_id":{"type":"string"},"text":{"type":"string"}}};

function validate63(data, {instancePath="", parentData, parentDataProperty, rootData=data, dynamicAnchors={}}={}){
let vErrors = null;
let errors = 0;
const evaluated0 = validate63.evaluated;
if(evaluated0.dynamicProps){
evaluated0.props = undefined;
}
if(evaluated0.dynamicItems){
evaluated0.items = undefined;
}
if(errors === 0){
if(data && typeof data == "object" && !Array.isArray(data)){
let missing0;
if((((((data.protocol === undefined) && (missing0 = "protocol")) || ((data.version === undefined) && (missing0 = "version"))) || ((data.type === undefined) && (missing0 = "type"))) || ((data.run_id === undefined) && (missing0 = "run_id"))) || ((data.text === undefined) && (missing0 = "text"))){
validate63.errors = [{instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: missing0},message:"must have required property '"+missing0+"'"}];
return false;
}
else {
if(data.protocol !== undefined){
const _errs1 = errors;
if("codeact" !== data.protocol){
validate63.errors = [{instancePath:instancePath+"/protocol",schemaPath:"#/properties/protocol/const",keyword:"const",params:{allowedValue: "codeact"},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs1 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.version !== undefined){
const _errs3 = errors;
if(1 !== data.version){
validate63.errors = [{instancePath:instancePath+"/version",schemaPath:"#/properties/version/const",keyword:"const",params:{allowedValue: 1},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs3 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.type !== undefined){
const _errs5 = errors;
if("text" !== data.type){
validate63.errors = [{instancePath:instancePath+"/type",schemaPath:"#/properties/type/const",keyword:"const",params:{allowedValue: "text"},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs5 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.run_id !== undefined){
const _errs6 = errors;
if(typeof data.run_id !== "string"){
validate63.errors = [{instancePath:instancePath+"/run_id",schemaPath:"#/properties/run_id/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
var valid0 = _errs6 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.text !== undefined){
const _errs8 = errors;
if(typeof data.text !== "string"){
validate63.errors = [{instancePath:instancePath+"/text",schemaPath:"#/properties/text/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
var valid0 = _errs8 === errors;
}
else {
var valid0 = true;
}
}
}
}
}
}
}
else {
validate63.errors = [{instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"}];
return false;
}
}
validate63.errors = vErrors;
return errors === 0;
}
validate63.evaluated = {"props":{"protocol":true,"version":true,"type":true,"run_id":true,"text":true},"dynamicProps":false,"dynamicItems":false};

const validateCellMessage = validate64;
const schema53 = {"description":"kernel -> frontend: one finished cell of the trajectory, to insert below the run's %%codeact cell at position `index` of the run's cells.","type":"object","required":["protocol","version","type","run_id","key","index","cell_id","insert_mode","cell"],"properties":{"protocol":{"$ref":"#/properties/protocol"},"version":{"$ref":"#/properties/version"},"type":{"const":"cell"},"run_id":{"type":"string"},"key":{"type":"string","description":"Unique per inserted cell: the same as cell.metadata.codeact.key. A frontend never inserts a key twice."},"index":{"type":"integer","minimum":0,"description":"Position among the run's cells, the same as cell.metadata.codeact.index."},"cell_id":{"type":["string","null"]},"insert_mode":{"$ref":"#/$defs/InsertMode"},"cell":{"$ref":"#/$defs/TrajectoryCell"}}};
const schema57 = {"title":"TrajectoryCell","description":"An nbformat v4 cell (https://nbformat.readthedocs.io/en/latest/format_description.html) as the kernel sends it, without `id`.","type":"object","required":["cell_type","source","metadata"],"properties":{"cell_type":{"enum":["code","markdown"]},"source":{"type":"string"},"metadata":{"type":"object","required":["codeact"],"properties":{"codeact":{"$ref":"#/$defs/CellMetadata"}}},"outputs":{"type":"array","items":{"$ref":"#/$defs/Output"}},"execution_count":{"type":["integer","null"]}}};
const schema58 = {"title":"CellMetadata","description":"`metadata.codeact` of a trajectory cell (written by codeact_magic.protocol.cell_metadata), in the cells sent live and in an exported notebook. `source_hash` is added by the extension when it inserts the cell, so that a later `replace` can tell whether the user edited it.","type":"object","required":["run_id","role"],"properties":{"run_id":{"type":"string","minLength":1},"role":{"$ref":"#/$defs/CellRole"},"key":{"type":"string","description":"Unique per cell of a run: `<run_id>:<index>`. An identity only: read `index` for the position."},"index":{"type":"integer","minimum":0,"description":"Position among the run's cells (the task cell of an export has none)."},"step":{"type":"integer","minimum":1,"description":"role `step`: the step's number in the run, from 1."},"turn":{"type":"integer","minimum":0,"description":"The model turn the cell comes from, from 0."},"source_cell_id":{"type":["string","null"],"description":"id of the %%codeact cell that started the run, or null."},"tool_use_id":{"type":"string","description":"roles `step` and `question`: the id of its tool_use block."},"status":{"description":"role `step`: how the step ended; role `note`: how the run ended.","anyOf":[{"$ref":"#/$defs/StepStatus"},{"$ref":"#/$defs/RunStatus"}]},"duration_s":{"type":"number","minimum":0,"description":"role `step`: seconds the code ran."},"turn_usage":{"description":"role `step`: the usage of the model turn that asked for it.","allOf":[{"$ref":"#/$defs/Usage"}]},"source_hash":{"type":"string","description":"Added by the extension: a hash of the source as inserted."},"approval":{"description":"role `step`: how it was approved under --approve.","allOf":[{"$ref":"#/$defs/Approval"}]},"files":{"description":"role `step`: the files it created, modified or deleted.","allOf":[{"$ref":"#/$defs/FilesTouched"}]},"environment":{"description":"role `step`: set when the sandbox kernel was recreated before it.","allOf":[{"$ref":"#/$defs/Environment"}]},"answered":{"type":"boolean","description":"role `question`: whether the user replied (false: nobody could be asked, or no more questions were allowed)."},"undone":{"type":"string","description":"Set when the cell's step (or its run) was undone: ISO 8601, UTC. The cell stays, marked."}}};
const schema59 = {"title":"CellRole","description":"What a trajectory cell holds: the task (exports only), the user's own earlier cell the run read from (setup, exports only: no outputs, its In[n] as `execution_count` and the names it gives as `names` in the metadata), the model's reasoning, a code step, a question the model asked the user (ask_user) and its reply, the final answer, or a note on how the run ended.","enum":["task","setup","reasoning","step","question","answer","note"]};
const schema60 = {"title":"StepStatus","description":"How one code step ended (records.StepStatus). `declined`: not run, the user answered n to --approve.","enum":["ok","error","timeout","interrupted","crashed","declined"]};
const schema65 = {"title":"Environment","description":"Set on a step before which the sandbox kernel was recreated (codeact_magic.sandbox): why, how many earlier steps were re-run to restore its state, and which of them failed.","type":"object","required":["recreated","reason"],"properties":{"recreated":{"type":"boolean"},"reason":{"type":"string"},"replayed":{"type":"integer","minimum":0},"failed_replays":{"type":"array","items":{"type":"integer"}},"unloaded":{"type":"array","items":{"type":"string"}}}};
const schema63 = {"title":"Approval","description":"How a step was approved under --approve (codeact_magic.approval): the mode, whether the user was asked, the answer (y, n, a, q; `a` also for the steps after it, which were not asked), the reason typed after n, and what the risky check flagged.","type":"object","required":["mode","asked"],"properties":{"mode":{"enum":["always","risky","never"]},"asked":{"type":"boolean"},"answer":{"enum":["y","n","a","q",null]},"reason":{"type":"string"},"flagged":{"type":"array","items":{"$ref":"#/$defs/Risk"}}}};
const schema64 = {"title":"Risk","description":"What the --approve risky check (codeact_magic.risks) flagged in a step: its kind and a short phrase naming it.","type":"object","required":["kind","detail"],"properties":{"kind":{"enum":["shell","install","file_write","file_delete","network","rebind","delete_name","unreadable","no_undo"]},"detail":{"type":"string"}}};

function validate36(data, {instancePath="", parentData, parentDataProperty, rootData=data, dynamicAnchors={}}={}){
let vErrors = null;
let errors = 0;
const evaluated0 = validate36.evaluated;
if(evaluated0.dynamicProps){
evaluated0.props = undefined;
}
if(evaluated0.dynamicItems){
evaluated0.items = undefined;
}
if(errors === 0){
if(data && typeof data == "object" && !Array.isArray(data)){
let missing0;
if(((data.mode === undefined) && (missing0 = "mode")) || ((data.asked === undefined) && (missing0 = "asked"))){
validate36.errors = [{instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: missing0},message:"must have required property '"+missing0+"'"}];
return false;
}
else {
if(data.mode !== undefined){
let data0 = data.mode;
const _errs1 = errors;
if(!(((data0 === "always") || (data0 === "risky")) || (data0 === "never"))){
validate36.errors = [{instancePath:instancePath+"/mode",schemaPath:"#/properties/mode/enum",keyword:"enum",params:{allowedValues: schema63.properties.mode.enum},message:"must be equal to one of the allowed values"}];
return false;
}
var valid0 = _errs1 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.asked !== undefined){
const _errs2 = errors;
if(typeof data.asked !== "boolean"){
validate36.errors = [{instancePath:instancePath+"/asked",schemaPath:"#/properties/asked/type",keyword:"type",params:{type: "boolean"},message:"must be boolean"}];
return false;
}
var valid0 = _errs2 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.answer !== undefined){
let data2 = data.answer;
const _errs4 = errors;
if(!(((((data2 === "y") || (data2 === "n")) || (data2 === "a")) || (data2 === "q")) || (data2 === null))){
validate36.errors = [{instancePath:instancePath+"/answer",schemaPath:"#/properties/answer/enum",keyword:"enum",params:{allowedValues: schema63.properties.answer.enum},message:"must be equal to one of the allowed values"}];
return false;
}
var valid0 = _errs4 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.reason !== undefined){
const _errs5 = errors;
if(typeof data.reason !== "string"){
validate36.errors = [{instancePath:instancePath+"/reason",schemaPath:"#/properties/reason/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
var valid0 = _errs5 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.flagged !== undefined){
let data4 = data.flagged;
const _errs7 = errors;
if(errors === _errs7){
if(Array.isArray(data4)){
var valid1 = true;
const len0 = data4.length;
for(let i0=0; i0<len0; i0++){
let data5 = data4[i0];
const _errs9 = errors;
const _errs10 = errors;
if(errors === _errs10){
if(data5 && typeof data5 == "object" && !Array.isArray(data5)){
let missing1;
if(((data5.kind === undefined) && (missing1 = "kind")) || ((data5.detail === undefined) && (missing1 = "detail"))){
validate36.errors = [{instancePath:instancePath+"/flagged/" + i0,schemaPath:"#/$defs/Risk/required",keyword:"required",params:{missingProperty: missing1},message:"must have required property '"+missing1+"'"}];
return false;
}
else {
if(data5.kind !== undefined){
let data6 = data5.kind;
const _errs12 = errors;
if(!(((((((((data6 === "shell") || (data6 === "install")) || (data6 === "file_write")) || (data6 === "file_delete")) || (data6 === "network")) || (data6 === "rebind")) || (data6 === "delete_name")) || (data6 === "unreadable")) || (data6 === "no_undo"))){
validate36.errors = [{instancePath:instancePath+"/flagged/" + i0+"/kind",schemaPath:"#/$defs/Risk/properties/kind/enum",keyword:"enum",params:{allowedValues: schema64.properties.kind.enum},message:"must be equal to one of the allowed values"}];
return false;
}
var valid3 = _errs12 === errors;
}
else {
var valid3 = true;
}
if(valid3){
if(data5.detail !== undefined){
const _errs13 = errors;
if(typeof data5.detail !== "string"){
validate36.errors = [{instancePath:instancePath+"/flagged/" + i0+"/detail",schemaPath:"#/$defs/Risk/properties/detail/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
var valid3 = _errs13 === errors;
}
else {
var valid3 = true;
}
}
}
}
else {
validate36.errors = [{instancePath:instancePath+"/flagged/" + i0,schemaPath:"#/$defs/Risk/type",keyword:"type",params:{type: "object"},message:"must be object"}];
return false;
}
}
var valid1 = _errs9 === errors;
if(!valid1){
break;
}
}
}
else {
validate36.errors = [{instancePath:instancePath+"/flagged",schemaPath:"#/properties/flagged/type",keyword:"type",params:{type: "array"},message:"must be array"}];
return false;
}
}
var valid0 = _errs7 === errors;
}
else {
var valid0 = true;
}
}
}
}
}
}
}
else {
validate36.errors = [{instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"}];
return false;
}
}
validate36.errors = vErrors;
return errors === 0;
}
validate36.evaluated = {"props":{"mode":true,"asked":true,"answer":true,"reason":true,"flagged":true},"dynamicProps":false,"dynamicItems":false};


function validate35(data, {instancePath="", parentData, parentDataProperty, rootData=data, dynamicAnchors={}}={}){
let vErrors = null;
let errors = 0;
const evaluated0 = validate35.evaluated;
if(evaluated0.dynamicProps){
evaluated0.props = undefined;
}
if(evaluated0.dynamicItems){
evaluated0.items = undefined;
}
if(errors === 0){
if(data && typeof data == "object" && !Array.isArray(data)){
let missing0;
if(((data.run_id === undefined) && (missing0 = "run_id")) || ((data.role === undefined) && (missing0 = "role"))){
validate35.errors = [{instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: missing0},message:"must have required property '"+missing0+"'"}];
return false;
}
else {
if(data.run_id !== undefined){
let data0 = data.run_id;
const _errs1 = errors;
if(errors === _errs1){
if(typeof data0 === "string"){
if(func1(data0) < 1){
validate35.errors = [{instancePath:instancePath+"/run_id",schemaPath:"#/properties/run_id/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"}];
return false;
}
}
else {
validate35.errors = [{instancePath:instancePath+"/run_id",schemaPath:"#/properties/run_id/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
}
var valid0 = _errs1 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.role !== undefined){
let data1 = data.role;
const _errs3 = errors;
if(!(((((((data1 === "task") || (data1 === "setup")) || (data1 === "reasoning")) || (data1 === "step")) || (data1 === "question")) || (data1 === "answer")) || (data1 === "note"))){
validate35.errors = [{instancePath:instancePath+"/role",schemaPath:"#/$defs/CellRole/enum",keyword:"enum",params:{allowedValues: schema59.enum},message:"must be equal to one of the allowed values"}];
return false;
}
var valid0 = _errs3 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.key !== undefined){
const _errs5 = errors;
if(typeof data.key !== "string"){
validate35.errors = [{instancePath:instancePath+"/key",schemaPath:"#/properties/key/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
var valid0 = _errs5 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.index !== undefined){
let data3 = data.index;
const _errs7 = errors;
if(!(((typeof data3 == "number") && (!(data3 % 1) && !isNaN(data3))) && (isFinite(data3)))){
validate35.errors = [{instancePath:instancePath+"/index",schemaPath:"#/properties/index/type",keyword:"type",params:{type: "integer"},message:"must be integer"}];
return false;
}
if(errors === _errs7){
if((typeof data3 == "number") && (isFinite(data3))){
if(data3 < 0 || isNaN(data3)){
validate35.errors = [{instancePath:instancePath+"/index",schemaPath:"#/properties/index/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"}];
return false;
}
}
}
var valid0 = _errs7 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.step !== undefined){
let data4 = data.step;
const _errs9 = errors;
if(!(((typeof data4 == "number") && (!(data4 % 1) && !isNaN(data4))) && (isFinite(data4)))){
validate35.errors = [{instancePath:instancePath+"/step",schemaPath:"#/properties/step/type",keyword:"type",params:{type: "integer"},message:"must be integer"}];
return false;
}
if(errors === _errs9){
if((typeof data4 == "number") && (isFinite(data4))){
if(data4 < 1 || isNaN(data4)){
validate35.errors = [{instancePath:instancePath+"/step",schemaPath:"#/properties/step/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"}];
return false;
}
}
}
var valid0 = _errs9 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.turn !== undefined){
let data5 = data.turn;
const _errs11 = errors;
if(!(((typeof data5 == "number") && (!(data5 % 1) && !isNaN(data5))) && (isFinite(data5)))){
validate35.errors = [{instancePath:instancePath+"/turn",schemaPath:"#/properties/turn/type",keyword:"type",params:{type: "integer"},message:"must be integer"}];
return false;
}
if(errors === _errs11){
if((typeof data5 == "number") && (isFinite(data5))){
if(data5 < 0 || isNaN(data5)){
validate35.errors = [{instancePath:instancePath+"/turn",schemaPath:"#/properties/turn/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"}];
return false;
}
}
}
var valid0 = _errs11 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.source_cell_id !== undefined){
let data6 = data.source_cell_id;
const _errs13 = errors;
if((typeof data6 !== "string") && (data6 !== null)){
validate35.errors = [{instancePath:instancePath+"/source_cell_id",schemaPath:"#/properties/source_cell_id/type",keyword:"type",params:{type: schema58.properties.source_cell_id.type},message:"must be string,null"}];
return false;
}
var valid0 = _errs13 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.tool_use_id !== undefined){
const _errs15 = errors;
if(typeof data.tool_use_id !== "string"){
validate35.errors = [{instancePath:instancePath+"/tool_use_id",schemaPath:"#/properties/tool_use_id/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
var valid0 = _errs15 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.status !== undefined){
let data8 = data.status;
const _errs17 = errors;
const _errs18 = errors;
let valid2 = false;
const _errs19 = errors;
if(!((((((data8 === "ok") || (data8 === "error")) || (data8 === "timeout")) || (data8 === "interrupted")) || (data8 === "crashed")) || (data8 === "declined"))){
const err0 = {instancePath:instancePath+"/status",schemaPath:"#/$defs/StepStatus/enum",keyword:"enum",params:{allowedValues: schema60.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
var _valid0 = _errs19 === errors;
valid2 = valid2 || _valid0;
const _errs21 = errors;
if(!((((((((data8 === "running") || (data8 === "done")) || (data8 === "stopped")) || (data8 === "failed")) || (data8 === "step_limit")) || (data8 === "budget")) || (data8 === "crashed")) || (data8 === "diverged"))){
const err1 = {instancePath:instancePath+"/status",schemaPath:"#/$defs/RunStatus/enum",keyword:"enum",params:{allowedValues: schema37.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
var _valid0 = _errs21 === errors;
valid2 = valid2 || _valid0;
if(!valid2){
const err2 = {instancePath:instancePath+"/status",schemaPath:"#/properties/status/anyOf",keyword:"anyOf",params:{},message:"must match a schema in anyOf"};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
validate35.errors = vErrors;
return false;
}
else {
errors = _errs18;
if(vErrors !== null){
if(_errs18){
vErrors.length = _errs18;
}
else {
vErrors = null;
}
}
}
var valid0 = _errs17 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.duration_s !== undefined){
let data9 = data.duration_s;
const _errs23 = errors;
if(errors === _errs23){
if((typeof data9 == "number") && (isFinite(data9))){
if(data9 < 0 || isNaN(data9)){
validate35.errors = [{instancePath:instancePath+"/duration_s",schemaPath:"#/properties/duration_s/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"}];
return false;
}
}
else {
validate35.errors = [{instancePath:instancePath+"/duration_s",schemaPath:"#/properties/duration_s/type",keyword:"type",params:{type: "number"},message:"must be number"}];
return false;
}
}
var valid0 = _errs23 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.turn_usage !== undefined){
let data10 = data.turn_usage;
const _errs25 = errors;
const _errs27 = errors;
if(errors === _errs27){
if(data10 && typeof data10 == "object" && !Array.isArray(data10)){
let missing1;
if(((((data10.input_tokens === undefined) && (missing1 = "input_tokens")) || ((data10.output_tokens === undefined) && (missing1 = "output_tokens"))) || ((data10.cache_creation_input_tokens === undefined) && (missing1 = "cache_creation_input_tokens"))) || ((data10.cache_read_input_tokens === undefined) && (missing1 = "cache_read_input_tokens"))){
validate35.errors = [{instancePath:instancePath+"/turn_usage",schemaPath:"#/$defs/Usage/required",keyword:"required",params:{missingProperty: missing1},message:"must have required property '"+missing1+"'"}];
return false;
}
else {
if(data10.input_tokens !== undefined){
let data11 = data10.input_tokens;
const _errs29 = errors;
if(!(((typeof data11 == "number") && (!(data11 % 1) && !isNaN(data11))) && (isFinite(data11)))){
validate35.errors = [{instancePath:instancePath+"/turn_usage/input_tokens",schemaPath:"#/$defs/Usage/properties/input_tokens/type",keyword:"type",params:{type: "integer"},message:"must be integer"}];
return false;
}
if(errors === _errs29){
if((typeof data11 == "number") && (isFinite(data11))){
if(data11 < 0 || isNaN(data11)){
validate35.errors = [{instancePath:instancePath+"/turn_usage/input_tokens",schemaPath:"#/$defs/Usage/properties/input_tokens/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"}];
return false;
}
}
}
var valid7 = _errs29 === errors;
}
else {
var valid7 = true;
}
if(valid7){
if(data10.output_tokens !== undefined){
let data12 = data10.output_tokens;
const _errs31 = errors;
if(!(((typeof data12 == "number") && (!(data12 % 1) && !isNaN(data12))) && (isFinite(data12)))){
validate35.errors = [{instancePath:instancePath+"/turn_usage/output_tokens",schemaPath:"#/$defs/Usage/properties/output_tokens/type",keyword:"type",params:{type: "integer"},message:"must be integer"}];
return false;
}
if(errors === _errs31){
if((typeof data12 == "number") && (isFinite(data12))){
if(data12 < 0 || isNaN(data12)){
validate35.errors = [{instancePath:instancePath+"/turn_usage/output_tokens",schemaPath:"#/$defs/Usage/properties/output_tokens/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"}];
return false;
}
}
}
var valid7 = _errs31 === errors;
}
else {
var valid7 = true;
}
if(valid7){
if(data10.cache_creation_input_tokens !== undefined){
let data13 = data10.cache_creation_input_tokens;
const _errs33 = errors;
if(!(((typeof data13 == "number") && (!(data13 % 1) && !isNaN(data13))) && (isFinite(data13)))){
validate35.errors = [{instancePath:instancePath+"/turn_usage/cache_creation_input_tokens",schemaPath:"#/$defs/Usage/properties/cache_creation_input_tokens/type",keyword:"type",params:{type: "integer"},message:"must be integer"}];
return false;
}
if(errors === _errs33){
if((typeof data13 == "number") && (isFinite(data13))){
if(data13 < 0 || isNaN(data13)){
validate35.errors = [{instancePath:instancePath+"/turn_usage/cache_creation_input_tokens",schemaPath:"#/$defs/Usage/properties/cache_creation_input_tokens/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"}];
return false;
}
}
}
var valid7 = _errs33 === errors;
}
else {
var valid7 = true;
}
if(valid7){
if(data10.cache_read_input_tokens !== undefined){
let data14 = data10.cache_read_input_tokens;
const _errs35 = errors;
if(!(((typeof data14 == "number") && (!(data14 % 1) && !isNaN(data14))) && (isFinite(data14)))){
validate35.errors = [{instancePath:instancePath+"/turn_usage/cache_read_input_tokens",schemaPath:"#/$defs/Usage/properties/cache_read_input_tokens/type",keyword:"type",params:{type: "integer"},message:"must be integer"}];
return false;
}
if(errors === _errs35){
if((typeof data14 == "number") && (isFinite(data14))){
if(data14 < 0 || isNaN(data14)){
validate35.errors = [{instancePath:instancePath+"/turn_usage/cache_read_input_tokens",schemaPath:"#/$defs/Usage/properties/cache_read_input_tokens/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"}];
return false;
}
}
}
var valid7 = _errs35 === errors;
}
else {
var valid7 = true;
}
if(valid7){
if(data10.image_tokens !== undefined){
let data15 = data10.image_tokens;
const _errs37 = errors;
if(!(((typeof data15 == "number") && (!(data15 % 1) && !isNaN(data15))) && (isFinite(data15)))){
validate35.errors = [{instancePath:instancePath+"/turn_usage/image_tokens",schemaPath:"#/$defs/Usage/properties/image_tokens/type",keyword:"type",params:{type: "integer"},message:"must be integer"}];
return false;
}
if(errors === _errs37){
if((typeof data15 == "number") && (isFinite(data15))){
if(data15 < 0 || isNaN(data15)){
validate35.errors = [{instancePath:instancePath+"/turn_usage/image_tokens",schemaPath:"#/$defs/Usage/properties/image_tokens/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"}];
return false;
}
}
}
var valid7 = _errs37 === errors;
}
else {
var valid7 = true;
}
}
}
}
}
}
}
else {
validate35.errors = [{instancePath:instancePath+"/turn_usage",schemaPath:"#/$defs/Usage/type",keyword:"type",params:{type: "object"},message:"must be object"}];
return false;
}
}
var valid0 = _errs25 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.source_hash !== undefined){
const _errs39 = errors;
if(typeof data.source_hash !== "string"){
validate35.errors = [{instancePath:instancePath+"/source_hash",schemaPath:"#/properties/source_hash/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
var valid0 = _errs39 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.approval !== undefined){
const _errs41 = errors;
if(!(validate36(data.approval, {instancePath:instancePath+"/approval",parentData:data,parentDataProperty:"approval",rootData,dynamicAnchors}))){
vErrors = vErrors === null ? validate36.errors : vErrors.concat(validate36.errors);
errors = vErrors.length;
}
var valid0 = _errs41 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.files !== undefined){
const _errs43 = errors;
if(!(validate24(data.files, {instancePath:instancePath+"/files",parentData:data,parentDataProperty:"files",rootData,dynamicAnchors}))){
vErrors = vErrors === null ? validate24.errors : vErrors.concat(validate24.errors);
errors = vErrors.length;
}
var valid0 = _errs43 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.environment !== undefined){
let data19 = data.environment;
const _errs45 = errors;
const _errs47 = errors;
if(errors === _errs47){
if(data19 && typeof data19 == "object" && !Array.isArray(data19)){
let missing2;
if(((data19.recreated === undefined) && (missing2 = "recreated")) || ((data19.reason === undefined) && (missing2 = "reason"))){
validate35.errors = [{instancePath:instancePath+"/environment",schemaPath:"#/$defs/Environment/required",keyword:"required",params:{missingProperty: missing2},message:"must have required property '"+missing2+"'"}];
return false;
}
else {
if(data19.recreated !== undefined){
const _errs49 = errors;
if(typeof data19.recreated !== "boolean"){
validate35.errors = [{instancePath:instancePath+"/environment/recreated",schemaPath:"#/$defs/Environment/properties/recreated/type",keyword:"type",params:{type: "boolean"},message:"must be boolean"}];
return false;
}
var valid12 = _errs49 === errors;
}
else {
var valid12 = true;
}
if(valid12){
if(data19.reason !== undefined){
const _errs51 = errors;
if(typeof data19.reason !== "string"){
validate35.errors = [{instancePath:instancePath+"/environment/reason",schemaPath:"#/$defs/Environment/properties/reason/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
var valid12 = _errs51 === errors;
}
else {
var valid12 = true;
}
if(valid12){
if(data19.replayed !== undefined){
let data22 = data19.replayed;
const _errs53 = errors;
if(!(((typeof data22 == "number") && (!(data22 % 1) && !isNaN(data22))) && (isFinite(data22)))){
validate35.errors = [{instancePath:instancePath+"/environment/replayed",schemaPath:"#/$defs/Environment/properties/replayed/type",keyword:"type",params:{type: "integer"},message:"must be integer"}];
return false;
}
if(errors === _errs53){
if((typeof data22 == "number") && (isFinite(data22))){
if(data22 < 0 || isNaN(data22)){
validate35.errors = [{instancePath:instancePath+"/environment/replayed",schemaPath:"#/$defs/Environment/properties/replayed/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"}];
return false;
}
}
}
var valid12 = _errs53 === errors;
}
else {
var valid12 = true;
}
if(valid12){
if(data19.failed_replays !== undefined){
let data23 = data19.failed_replays;
const _errs55 = errors;
if(errors === _errs55){
if(Array.isArray(data23)){
var valid13 = true;
const len0 = data23.length;
for(let i0=0; i0<len0; i0++){
let data24 = data23[i0];
const _errs57 = errors;
if(!(((typeof data24 == "number") && (!(data24 % 1) && !isNaN(data24))) && (isFinite(data24)))){
validate35.errors = [{instancePath:instancePath+"/environment/failed_replays/" + i0,schemaPath:"#/$defs/Environment/properties/failed_replays/items/type",keyword:"type",params:{type: "integer"},message:"must be integer"}];
return false;
}
var valid13 = _errs57 === errors;
if(!valid13){
break;
}
}
}
else {
validate35.errors = [{instancePath:instancePath+"/environment/failed_replays",schemaPath:"#/$defs/Environment/properties/failed_replays/type",keyword:"type",params:{type: "array"},message:"must be array"}];
return false;
}
}
var valid12 = _errs55 === errors;
}
else {
var valid12 = true;
}
if(valid12){
if(data19.unloaded !== undefined){
let data25 = data19.unloaded;
const _errs59 = errors;
if(errors === _errs59){
if(Array.isArray(data25)){
var valid14 = true;
const len1 = data25.length;
for(let i1=0; i1<len1; i1++){
const _errs61 = errors;
if(typeof data25[i1] !== "string"){
validate35.errors = [{instancePath:instancePath+"/environment/unloaded/" + i1,schemaPath:"#/$defs/Environment/properties/unloaded/items/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
var valid14 = _errs61 === errors;
if(!valid14){
break;
}
}
}
else {
validate35.errors = [{instancePath:instancePath+"/environment/unloaded",schemaPath:"#/$defs/Environment/properties/unloaded/type",keyword:"type",params:{type: "array"},message:"must be array"}];
return false;
}
}
var valid12 = _errs59 === errors;
}
else {
var valid12 = true;
}
}
}
}
}
}
}
else {
validate35.errors = [{instancePath:instancePath+"/environment",schemaPath:"#/$defs/Environment/type",keyword:"type",params:{type: "object"},message:"must be object"}];
return false;
}
}
var valid0 = _errs45 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.answered !== undefined){
const _errs63 = errors;
if(typeof data.answered !== "boolean"){
validate35.errors = [{instancePath:instancePath+"/answered",schemaPath:"#/properties/answered/type",keyword:"type",params:{type: "boolean"},message:"must be boolean"}];
return false;
}
var valid0 = _errs63 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.undone !== undefined){
const _errs65 = errors;
if(typeof data.undone !== "string"){
validate35.errors = [{instancePath:instancePath+"/undone",schemaPath:"#/properties/undone/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
var valid0 = _errs65 === errors;
}
else {
var valid0 = true;
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
else {
validate35.errors = [{instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"}];
return false;
}
}
validate35.errors = vErrors;
return errors === 0;
}
validate35.evaluated = {"props":{"run_id":true,"role":true,"key":true,"index":true,"step":true,"turn":true,"source_cell_id":true,"tool_use_id":true,"status":true,"duration_s":true,"turn_usage":true,"source_hash":true,"approval":true,"files":true,"environment":true,"answered":true,"undone":true},"dynamicProps":false,"dynamicItems":false};


function validate34(data, {instancePath="", parentData, parentDataProperty, rootData=data, dynamicAnchors={}}={}){
let vErrors = null;
let errors = 0;
const evaluated0 = validate34.evaluated;
if(evaluated0.dynamicProps){
evaluated0.props = undefined;
}
if(evaluated0.dynamicItems){
evaluated0.items = undefined;
}
if(errors === 0){
if(data && typeof data == "object" && !Array.isArray(data)){
let missing0;
if((((data.cell_type === undefined) && (missing0 = "cell_type")) || ((data.source === undefined) && (missing0 = "source"))) || ((data.metadata === undefined) && (missing0 = "metadata"))){
validate34.errors = [{instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: missing0},message:"must have required property '"+missing0+"'"}];
return false;
}
else {
if(data.cell_type !== undefined){
let data0 = data.cell_type;
const _errs1 = errors;
if(!((data0 === "code") || (data0 === "markdown"))){
validate34.errors = [{instancePath:instancePath+"/cell_type",schemaPath:"#/properties/cell_type/enum",keyword:"enum",params:{allowedValues: schema57.properties.cell_type.enum},message:"must be equal to one of the allowed values"}];
return false;
}
var valid0 = _errs1 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.source !== undefined){
const _errs2 = errors;
if(typeof data.source !== "string"){
validate34.errors = [{instancePath:instancePath+"/source",schemaPath:"#/properties/source/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
var valid0 = _errs2 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.metadata !== undefined){
let data2 = data.metadata;
const _errs4 = errors;
if(errors === _errs4){
if(data2 && typeof data2 == "object" && !Array.isArray(data2)){
let missing1;
if((data2.codeact === undefined) && (missing1 = "codeact")){
validate34.errors = [{instancePath:instancePath+"/metadata",schemaPath:"#/properties/metadata/required",keyword:"required",params:{missingProperty: missing1},message:"must have required property '"+missing1+"'"}];
return false;
}
else {
if(data2.codeact !== undefined){
if(!(validate35(data2.codeact, {instancePath:instancePath+"/metadata/codeact",parentData:data2,parentDataProperty:"codeact",rootData,dynamicAnchors}))){
vErrors = vErrors === null ? validate35.errors : vErrors.concat(validate35.errors);
errors = vErrors.length;
}
}
}
}
else {
validate34.errors = [{instancePath:instancePath+"/metadata",schemaPath:"#/properties/metadata/type",keyword:"type",params:{type: "object"},message:"must be object"}];
return false;
}
}
var valid0 = _errs4 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.outputs !== undefined){
let data4 = data.outputs;
const _errs7 = errors;
if(errors === _errs7){
if(Array.isArray(data4)){
var valid2 = true;
const len0 = data4.length;
for(let i0=0; i0<len0; i0++){
let data5 = data4[i0];
const _errs9 = errors;
const _errs10 = errors;
if(errors === _errs10){
if(data5 && typeof data5 == "object" && !Array.isArray(data5)){
let missing2;
if((data5.output_type === undefined) && (missing2 = "output_type")){
validate34.errors = [{instancePath:instancePath+"/outputs/" + i0,schemaPath:"#/$defs/Output/required",keyword:"required",params:{missingProperty: missing2},message:"must have required property '"+missing2+"'"}];
return false;
}
}
else {
validate34.errors = [{instancePath:instancePath+"/outputs/" + i0,schemaPath:"#/$defs/Output/type",keyword:"type",params:{type: "object"},message:"must be object"}];
return false;
}
}
var valid2 = _errs9 === errors;
if(!valid2){
break;
}
}
}
else {
validate34.errors = [{instancePath:instancePath+"/outputs",schemaPath:"#/properties/outputs/type",keyword:"type",params:{type: "array"},message:"must be array"}];
return false;
}
}
var valid0 = _errs7 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.execution_count !== undefined){
let data6 = data.execution_count;
const _errs12 = errors;
if((!(((typeof data6 == "number") && (!(data6 % 1) && !isNaN(data6))) && (isFinite(data6)))) && (data6 !== null)){
validate34.errors = [{instancePath:instancePath+"/execution_count",schemaPath:"#/properties/execution_count/type",keyword:"type",params:{type: schema57.properties.execution_count.type},message:"must be integer,null"}];
return false;
}
var valid0 = _errs12 === errors;
}
else {
var valid0 = true;
}
}
}
}
}
}
}
else {
validate34.errors = [{instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"}];
return false;
}
}
validate34.errors = vErrors;
return errors === 0;
}
validate34.evaluated = {"props":{"cell_type":true,"source":true,"metadata":true,"outputs":true,"execution_count":true},"dynamicProps":false,"dynamicItems":false};


function validate64(data, {instancePath="", parentData, parentDataProperty, rootData=data, dynamicAnchors={}}={}){
let vErrors = null;
let errors = 0;
const evaluated0 = validate64.evaluated;
if(evaluated0.dynamicProps){
evaluated0.props = undefined;
}
if(evaluated0.dynamicItems){
evaluated0.items = undefined;
}
if(errors === 0){
if(data && typeof data == "object" && !Array.isArray(data)){
let missing0;
if((((((((((data.protocol === undefined) && (missing0 = "protocol")) || ((data.version === undefined) && (missing0 = "version"))) || ((data.type === undefined) && (missing0 = "type"))) || ((data.run_id === undefined) && (missing0 = "run_id"))) || ((data.key === undefined) && (missing0 = "key"))) || ((data.index === undefined) && (missing0 = "index"))) || ((data.cell_id === undefined) && (missing0 = "cell_id"))) || ((data.insert_mode === undefined) && (missing0 = "insert_mode"))) || ((data.cell === undefined) && (missing0 = "cell"))){
validate64.errors = [{instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: missing0},message:"must have required property '"+missing0+"'"}];
return false;
}
else {
if(data.protocol !== undefined){
const _errs1 = errors;
if("codeact" !== data.protocol){
validate64.errors = [{instancePath:instancePath+"/protocol",schemaPath:"#/properties/protocol/const",keyword:"const",params:{allowedValue: "codeact"},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs1 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.version !== undefined){
const _errs3 = errors;
if(1 !== data.version){
validate64.errors = [{instancePath:instancePath+"/version",schemaPath:"#/properties/version/const",keyword:"const",params:{allowedValue: 1},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs3 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.type !== undefined){
const _errs5 = errors;
if("cell" !== data.type){
validate64.errors = [{instancePath:instancePath+"/type",schemaPath:"#/properties/type/const",keyword:"const",params:{allowedValue: "cell"},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs5 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.run_id !== undefined){
const _errs6 = errors;
if(typeof data.run_id !== "string"){
validate64.errors = [{instancePath:instancePath+"/run_id",schemaPath:"#/properties/run_id/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
var valid0 = _errs6 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.key !== undefined){
const _errs8 = errors;
if(typeof data.key !== "string"){
validate64.errors = [{instancePath:instancePath+"/key",schemaPath:"#/properties/key/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
var valid0 = _errs8 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.index !== undefined){
let data5 = data.index;
const _errs10 = errors;
if(!(((typeof data5 == "number") && (!(data5 % 1) && !isNaN(data5))) && (isFinite(data5)))){
validate64.errors = [{instancePath:instancePath+"/index",schemaPath:"#/properties/index/type",keyword:"type",params:{type: "integer"},message:"must be integer"}];
return false;
}
if(errors === _errs10){
if((typeof data5 == "number") && (isFinite(data5))){
if(data5 < 0 || isNaN(data5)){
validate64.errors = [{instancePath:instancePath+"/index",schemaPath:"#/properties/index/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"}];
return false;
}
}
}
var valid0 = _errs10 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.cell_id !== undefined){
let data6 = data.cell_id;
const _errs12 = errors;
if((typeof data6 !== "string") && (data6 !== null)){
validate64.errors = [{instancePath:instancePath+"/cell_id",schemaPath:"#/properties/cell_id/type",keyword:"type",params:{type: schema53.properties.cell_id.type},message:"must be string,null"}];
return false;
}
var valid0 = _errs12 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.insert_mode !== undefined){
let data7 = data.insert_mode;
const _errs14 = errors;
if(!(((data7 === "replace") || (data7 === "append")) || (data7 === "none"))){
validate64.errors = [{instancePath:instancePath+"/insert_mode",schemaPath:"#/$defs/InsertMode/enum",keyword:"enum",params:{allowedValues: schema39.enum},message:"must be equal to one of the allowed values"}];
return false;
}
var valid0 = _errs14 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.cell !== undefined){
const _errs16 = errors;
if(!(validate34(data.cell, {instancePath:instancePath+"/cell",parentData:data,parentDataProperty:"cell",rootData,dynamicAnchors}))){
vErrors = vErrors === null ? validate34.errors : vErrors.concat(validate34.errors);
errors = vErrors.length;
}
var valid0 = _errs16 === errors;
}
else {
var valid0 = true;
}
}
}
}
}
}
}
}
}
}
}
else {
validate64.errors = [{instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"}];
return false;
}
}
validate64.errors = vErrors;
return errors === 0;
}
validate64.evaluated = {"props":{"protocol":true,"version":true,"type":true,"run_id":true,"key":true,"index":true,"cell_id":true,"insert_mode":true,"cell":true},"dynamicProps":false,"dynamicItems":false};

const validateOutputsMessage = validate66;
const schema67 = {"title":"OutputsMessage","description":"kernel -> frontend: the outputs of the run's cell at `index` changed after it was sent (a later step's update_display_data replaced an output with its display_id, as a notebook does): replace that inserted cell's outputs with these.","type":"object","required":["protocol","version","type","run_id","key","index","outputs"],"properties":{"protocol":{"$ref":"#/properties/protocol"},"version":{"$ref":"#/properties/version"},"type":{"const":"outputs"},"run_id":{"type":"string"},"key":{"type":"string","description":"cell.metadata.codeact.key of the cell."},"index":{"type":"integer","minimum":0},"outputs":{"type":"array","items":{"$ref":"#/$defs/Output"}}}};

function validate66(data, {instancePath="", parentData, parentDataProperty, rootData=data, dynamicAnchors={}}={}){
let vErrors = null;
let errors = 0;
const evaluated0 = validate66.evaluated;
if(evaluated0.dynamicProps){
evaluated0.props = undefined;
}
if(evaluated0.dynamicItems){
evaluated0.items = undefined;
}
if(errors === 0){
if(data && typeof data == "object" && !Array.isArray(data)){
let missing0;
if((((((((data.protocol === undefined) && (missing0 = "protocol")) || ((data.version === undefined) && (missing0 = "version"))) || ((data.type === undefined) && (missing0 = "type"))) || ((data.run_id === undefined) && (missing0 = "run_id"))) || ((data.key === undefined) && (missing0 = "key"))) || ((data.index === undefined) && (missing0 = "index"))) || ((data.outputs === undefined) && (missing0 = "outputs"))){
validate66.errors = [{instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: missing0},message:"must have required property '"+missing0+"'"}];
return false;
}
else {
if(data.protocol !== undefined){
const _errs1 = errors;
if("codeact" !== data.protocol){
validate66.errors = [{instancePath:instancePath+"/protocol",schemaPath:"#/properties/protocol/const",keyword:"const",params:{allowedValue: "codeact"},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs1 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.version !== undefined){
const _errs3 = errors;
if(1 !== data.version){
validate66.errors = [{instancePath:instancePath+"/version",schemaPath:"#/properties/version/const",keyword:"const",params:{allowedValue: 1},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs3 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.type !== undefined){
const _errs5 = errors;
if("outputs" !== data.type){
validate66.errors = [{instancePath:instancePath+"/type",schemaPath:"#/properties/type/const",keyword:"const",params:{allowedValue: "outputs"},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs5 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.run_id !== undefined){
const _errs6 = errors;
if(typeof data.run_id !== "string"){
validate66.errors = [{instancePath:instancePath+"/run_id",schemaPath:"#/properties/run_id/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
var valid0 = _errs6 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.key !== undefined){
const _errs8 = errors;
if(typeof data.key !== "string"){
validate66.errors = [{instancePath:instancePath+"/key",schemaPath:"#/properties/key/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
var valid0 = _errs8 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.index !== undefined){
let data5 = data.index;
const _errs10 = errors;
if(!(((typeof data5 == "number") && (!(data5 % 1) && !isNaN(data5))) && (isFinite(data5)))){
validate66.errors = [{instancePath:instancePath+"/index",schemaPath:"#/properties/index/type",keyword:"type",params:{type: "integer"},message:"must be integer"}];
return false;
}
if(errors === _errs10){
if((typeof data5 == "number") && (isFinite(data5))){
if(data5 < 0 || isNaN(data5)){
validate66.errors = [{instancePath:instancePath+"/index",schemaPath:"#/properties/index/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"}];
return false;
}
}
}
var valid0 = _errs10 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.outputs !== undefined){
let data6 = data.outputs;
const _errs12 = errors;
if(errors === _errs12){
if(Array.isArray(data6)){
var valid3 = true;
const len0 = data6.length;
for(let i0=0; i0<len0; i0++){
let data7 = data6[i0];
const _errs14 = errors;
const _errs15 = errors;
if(errors === _errs15){
if(data7 && typeof data7 == "object" && !Array.isArray(data7)){
let missing1;
if((data7.output_type === undefined) && (missing1 = "output_type")){
validate66.errors = [{instancePath:instancePath+"/outputs/" + i0,schemaPath:"#/$defs/Output/required",keyword:"required",params:{missingProperty: missing1},message:"must have required property '"+missing1+"'"}];
return false;
}
}
else {
validate66.errors = [{instancePath:instancePath+"/outputs/" + i0,schemaPath:"#/$defs/Output/type",keyword:"type",params:{type: "object"},message:"must be object"}];
return false;
}
}
var valid3 = _errs14 === errors;
if(!valid3){
break;
}
}
}
else {
validate66.errors = [{instancePath:instancePath+"/outputs",schemaPath:"#/properties/outputs/type",keyword:"type",params:{type: "array"},message:"must be array"}];
return false;
}
}
var valid0 = _errs12 === errors;
}
else {
var valid0 = true;
}
}
}
}
}
}
}
}
}
else {
validate66.errors = [{instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"}];
return false;
}
}
validate66.errors = vErrors;
return errors === 0;
}
validate66.evaluated = {"props":{"protocol":true,"version":true,"type":true,"run_id":true,"key":true,"index":true,"outputs":true},"dynamicProps":false,"dynamicItems":false};

const validateExportMessage = validate67;
const schema71 = {"description":"kernel -> frontend: reply to `export_request`: the run as an nbformat v4 notebook.","type":"object","required":["protocol","version","type","run_id","filename","notebook"],"properties":{"protocol":{"$ref":"#/properties/protocol"},"version":{"$ref":"#/properties/version"},"type":{"const":"export"},"run_id":{"type":"string"},"filename":{"type":"string"},"notebook":{"type":"object","required":["cells","metadata","nbformat","nbformat_minor"],"description":"The run as an nbformat v4 notebook; only its top-level keys are checked here.","properties":{"cells":{},"metadata":{},"nbformat":{},"nbformat_minor":{}}}}};

function validate67(data, {instancePath="", parentData, parentDataProperty, rootData=data, dynamicAnchors={}}={}){
let vErrors = null;
let errors = 0;
const evaluated0 = validate67.evaluated;
if(evaluated0.dynamicProps){
evaluated0.props = undefined;
}
if(evaluated0.dynamicItems){
evaluated0.items = undefined;
}
if(errors === 0){
if(data && typeof data == "object" && !Array.isArray(data)){
let missing0;
if(((((((data.protocol === undefined) && (missing0 = "protocol")) || ((data.version === undefined) && (missing0 = "version"))) || ((data.type === undefined) && (missing0 = "type"))) || ((data.run_id === undefined) && (missing0 = "run_id"))) || ((data.filename === undefined) && (missing0 = "filename"))) || ((data.notebook === undefined) && (missing0 = "notebook"))){
validate67.errors = [{instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: missing0},message:"must have required property '"+missing0+"'"}];
return false;
}
else {
if(data.protocol !== undefined){
const _errs1 = errors;
if("codeact" !== data.protocol){
validate67.errors = [{instancePath:instancePath+"/protocol",schemaPath:"#/properties/protocol/const",keyword:"const",params:{allowedValue: "codeact"},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs1 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.version !== undefined){
const _errs3 = errors;
if(1 !== data.version){
validate67.errors = [{instancePath:instancePath+"/version",schemaPath:"#/properties/version/const",keyword:"const",params:{allowedValue: 1},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs3 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.type !== undefined){
const _errs5 = errors;
if("export" !== data.type){
validate67.errors = [{instancePath:instancePath+"/type",schemaPath:"#/properties/type/const",keyword:"const",params:{allowedValue: "export"},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs5 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.run_id !== undefined){
const _errs6 = errors;
if(typeof data.run_id !== "string"){
validate67.errors = [{instancePath:instancePath+"/run_id",schemaPath:"#/properties/run_id/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
var valid0 = _errs6 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.filename !== undefined){
const _errs8 = errors;
if(typeof data.filename !== "string"){
validate67.errors = [{instancePath:instancePath+"/filename",schemaPath:"#/properties/filename/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
var valid0 = _errs8 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.notebook !== undefined){
let data5 = data.notebook;
const _errs10 = errors;
if(errors === _errs10){
if(data5 && typeof data5 == "object" && !Array.isArray(data5)){
let missing1;
if(((((data5.cells === undefined) && (missing1 = "cells")) || ((data5.metadata === undefined) && (missing1 = "metadata"))) || ((data5.nbformat === undefined) && (missing1 = "nbformat"))) || ((data5.nbformat_minor === undefined) && (missing1 = "nbformat_minor"))){
validate67.errors = [{instancePath:instancePath+"/notebook",schemaPath:"#/properties/notebook/required",keyword:"required",params:{missingProperty: missing1},message:"must have required property '"+missing1+"'"}];
return false;
}
}
else {
validate67.errors = [{instancePath:instancePath+"/notebook",schemaPath:"#/properties/notebook/type",keyword:"type",params:{type: "object"},message:"must be object"}];
return false;
}
}
var valid0 = _errs10 === errors;
}
else {
var valid0 = true;
}
}
}
}
}
}
}
}
else {
validate67.errors = [{instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"}];
return false;
}
}
validate67.errors = vErrors;
return errors === 0;
}
validate67.evaluated = {"props":{"protocol":true,"version":true,"type":true,"run_id":true,"filename":true,"notebook":true},"dynamicProps":false,"dynamicItems":false};

const validateErrorMessage = validate68;
const schema74 = {"description":"kernel -> frontend: a request could not be served.","type":"object","required":["protocol","version","type","message"],"properties":{"protocol":{"$ref":"#/properties/protocol"},"version":{"$ref":"#/properties/version"},"type":{"const":"error"},"message":{"type":"string"}}};

function validate68(data, {instancePath="", parentData, parentDataProperty, rootData=data, dynamicAnchors={}}={}){
let vErrors = null;
let errors = 0;
const evaluated0 = validate68.evaluated;
if(evaluated0.dynamicProps){
evaluated0.props = undefined;
}
if(evaluated0.dynamicItems){
evaluated0.items = undefined;
}
if(errors === 0){
if(data && typeof data == "object" && !Array.isArray(data)){
let missing0;
if(((((data.protocol === undefined) && (missing0 = "protocol")) || ((data.version === undefined) && (missing0 = "version"))) || ((data.type === undefined) && (missing0 = "type"))) || ((data.message === undefined) && (missing0 = "message"))){
validate68.errors = [{instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: missing0},message:"must have required property '"+missing0+"'"}];
return false;
}
else {
if(data.protocol !== undefined){
const _errs1 = errors;
if("codeact" !== data.protocol){
validate68.errors = [{instancePath:instancePath+"/protocol",schemaPath:"#/properties/protocol/const",keyword:"const",params:{allowedValue: "codeact"},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs1 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.version !== undefined){
const _errs3 = errors;
if(1 !== data.version){
validate68.errors = [{instancePath:instancePath+"/version",schemaPath:"#/properties/version/const",keyword:"const",params:{allowedValue: 1},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs3 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.type !== undefined){
const _errs5 = errors;
if("error" !== data.type){
validate68.errors = [{instancePath:instancePath+"/type",schemaPath:"#/properties/type/const",keyword:"const",params:{allowedValue: "error"},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs5 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.message !== undefined){
const _errs6 = errors;
if(typeof data.message !== "string"){
validate68.errors = [{instancePath:instancePath+"/message",schemaPath:"#/properties/message/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
var valid0 = _errs6 === errors;
}
else {
var valid0 = true;
}
}
}
}
}
}
else {
validate68.errors = [{instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"}];
return false;
}
}
validate68.errors = vErrors;
return errors === 0;
}
validate68.evaluated = {"props":{"protocol":true,"version":true,"type":true,"message":true},"dynamicProps":false,"dynamicItems":false};

const validateUndoMessage = validate69;
const schema77 = {"description":"kernel -> frontend: an undo was done or refused (the reply to `undo_request`, and sent on the kernel's comm after `%codeact undo`). A frontend marks the cells in `undone` (a badge, greyed) and keeps them.","type":"object","required":["protocol","version","type","run_ids","refused","changed","report","undone"],"properties":{"protocol":{"$ref":"#/properties/protocol"},"version":{"$ref":"#/properties/version"},"type":{"const":"undo"},"run_ids":{"type":"array","items":{"type":"string"},"description":"The runs undone (in part with --step), newest first; empty when refused."},"refused":{"type":"boolean","description":"Nothing was touched: the user changed names or files since the runs (the report lists them; force restores anyway), or nothing could be undone."},"changed":{"type":"array","items":{"type":"string"},"description":"What the user changed since the runs (names in backticks, relative paths), when that is why it was refused: `force` restores anyway. Empty otherwise."},"report":{"type":"string","description":"What was restored and what could not be, grouped: the text `%codeact undo` prints."},"undone":{"type":"array","items":{"$ref":"#/$defs/UndoneCells"}}}};
const schema80 = {"description":"The cells of one run an undo marks as undone: those whose `metadata.codeact.index` is at least `from_index`.","type":"object","required":["run_id","from_index","at"],"properties":{"run_id":{"type":"string","minLength":1},"from_index":{"type":"integer","minimum":0,"description":"0 for the whole run; for `--step N` the index of step N's cell."},"at":{"type":"string","description":"When it was undone: ISO 8601, UTC."}}};

function validate69(data, {instancePath="", parentData, parentDataProperty, rootData=data, dynamicAnchors={}}={}){
let vErrors = null;
let errors = 0;
const evaluated0 = validate69.evaluated;
if(evaluated0.dynamicProps){
evaluated0.props = undefined;
}
if(evaluated0.dynamicItems){
evaluated0.items = undefined;
}
if(errors === 0){
if(data && typeof data == "object" && !Array.isArray(data)){
let missing0;
if(((((((((data.protocol === undefined) && (missing0 = "protocol")) || ((data.version === undefined) && (missing0 = "version"))) || ((data.type === undefined) && (missing0 = "type"))) || ((data.run_ids === undefined) && (missing0 = "run_ids"))) || ((data.refused === undefined) && (missing0 = "refused"))) || ((data.changed === undefined) && (missing0 = "changed"))) || ((data.report === undefined) && (missing0 = "report"))) || ((data.undone === undefined) && (missing0 = "undone"))){
validate69.errors = [{instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: missing0},message:"must have required property '"+missing0+"'"}];
return false;
}
else {
if(data.protocol !== undefined){
const _errs1 = errors;
if("codeact" !== data.protocol){
validate69.errors = [{instancePath:instancePath+"/protocol",schemaPath:"#/properties/protocol/const",keyword:"const",params:{allowedValue: "codeact"},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs1 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.version !== undefined){
const _errs3 = errors;
if(1 !== data.version){
validate69.errors = [{instancePath:instancePath+"/version",schemaPath:"#/properties/version/const",keyword:"const",params:{allowedValue: 1},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs3 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.type !== undefined){
const _errs5 = errors;
if("undo" !== data.type){
validate69.errors = [{instancePath:instancePath+"/type",schemaPath:"#/properties/type/const",keyword:"const",params:{allowedValue: "undo"},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs5 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.run_ids !== undefined){
let data3 = data.run_ids;
const _errs6 = errors;
if(errors === _errs6){
if(Array.isArray(data3)){
var valid3 = true;
const len0 = data3.length;
for(let i0=0; i0<len0; i0++){
const _errs8 = errors;
if(typeof data3[i0] !== "string"){
validate69.errors = [{instancePath:instancePath+"/run_ids/" + i0,schemaPath:"#/properties/run_ids/items/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
var valid3 = _errs8 === errors;
if(!valid3){
break;
}
}
}
else {
validate69.errors = [{instancePath:instancePath+"/run_ids",schemaPath:"#/properties/run_ids/type",keyword:"type",params:{type: "array"},message:"must be array"}];
return false;
}
}
var valid0 = _errs6 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.refused !== undefined){
const _errs10 = errors;
if(typeof data.refused !== "boolean"){
validate69.errors = [{instancePath:instancePath+"/refused",schemaPath:"#/properties/refused/type",keyword:"type",params:{type: "boolean"},message:"must be boolean"}];
return false;
}
var valid0 = _errs10 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.changed !== undefined){
let data6 = data.changed;
const _errs12 = errors;
if(errors === _errs12){
if(Array.isArray(data6)){
var valid4 = true;
const len1 = data6.length;
for(let i1=0; i1<len1; i1++){
const _errs14 = errors;
if(typeof data6[i1] !== "string"){
validate69.errors = [{instancePath:instancePath+"/changed/" + i1,schemaPath:"#/properties/changed/items/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
var valid4 = _errs14 === errors;
if(!valid4){
break;
}
}
}
else {
validate69.errors = [{instancePath:instancePath+"/changed",schemaPath:"#/properties/changed/type",keyword:"type",params:{type: "array"},message:"must be array"}];
return false;
}
}
var valid0 = _errs12 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.report !== undefined){
const _errs16 = errors;
if(typeof data.report !== "string"){
validate69.errors = [{instancePath:instancePath+"/report",schemaPath:"#/properties/report/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
var valid0 = _errs16 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.undone !== undefined){
let data9 = data.undone;
const _errs18 = errors;
if(errors === _errs18){
if(Array.isArray(data9)){
var valid5 = true;
const len2 = data9.length;
for(let i2=0; i2<len2; i2++){
let data10 = data9[i2];
const _errs20 = errors;
const _errs21 = errors;
if(errors === _errs21){
if(data10 && typeof data10 == "object" && !Array.isArray(data10)){
let missing1;
if((((data10.run_id === undefined) && (missing1 = "run_id")) || ((data10.from_index === undefined) && (missing1 = "from_index"))) || ((data10.at === undefined) && (missing1 = "at"))){
validate69.errors = [{instancePath:instancePath+"/undone/" + i2,schemaPath:"#/$defs/UndoneCells/required",keyword:"required",params:{missingProperty: missing1},message:"must have required property '"+missing1+"'"}];
return false;
}
else {
if(data10.run_id !== undefined){
let data11 = data10.run_id;
const _errs23 = errors;
if(errors === _errs23){
if(typeof data11 === "string"){
if(func1(data11) < 1){
validate69.errors = [{instancePath:instancePath+"/undone/" + i2+"/run_id",schemaPath:"#/$defs/UndoneCells/properties/run_id/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"}];
return false;
}
}
else {
validate69.errors = [{instancePath:instancePath+"/undone/" + i2+"/run_id",schemaPath:"#/$defs/UndoneCells/properties/run_id/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
}
var valid7 = _errs23 === errors;
}
else {
var valid7 = true;
}
if(valid7){
if(data10.from_index !== undefined){
let data12 = data10.from_index;
const _errs25 = errors;
if(!(((typeof data12 == "number") && (!(data12 % 1) && !isNaN(data12))) && (isFinite(data12)))){
validate69.errors = [{instancePath:instancePath+"/undone/" + i2+"/from_index",schemaPath:"#/$defs/UndoneCells/properties/from_index/type",keyword:"type",params:{type: "integer"},message:"must be integer"}];
return false;
}
if(errors === _errs25){
if((typeof data12 == "number") && (isFinite(data12))){
if(data12 < 0 || isNaN(data12)){
validate69.errors = [{instancePath:instancePath+"/undone/" + i2+"/from_index",schemaPath:"#/$defs/UndoneCells/properties/from_index/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"}];
return false;
}
}
}
var valid7 = _errs25 === errors;
}
else {
var valid7 = true;
}
if(valid7){
if(data10.at !== undefined){
const _errs27 = errors;
if(typeof data10.at !== "string"){
validate69.errors = [{instancePath:instancePath+"/undone/" + i2+"/at",schemaPath:"#/$defs/UndoneCells/properties/at/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
var valid7 = _errs27 === errors;
}
else {
var valid7 = true;
}
}
}
}
}
else {
validate69.errors = [{instancePath:instancePath+"/undone/" + i2,schemaPath:"#/$defs/UndoneCells/type",keyword:"type",params:{type: "object"},message:"must be object"}];
return false;
}
}
var valid5 = _errs20 === errors;
if(!valid5){
break;
}
}
}
else {
validate69.errors = [{instancePath:instancePath+"/undone",schemaPath:"#/properties/undone/type",keyword:"type",params:{type: "array"},message:"must be array"}];
return false;
}
}
var valid0 = _errs18 === errors;
}
else {
var valid0 = true;
}
}
}
}
}
}
}
}
}
}
else {
validate69.errors = [{instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"}];
return false;
}
}
validate69.errors = vErrors;
return errors === 0;
}
validate69.evaluated = {"props":{"protocol":true,"version":true,"type":true,"run_ids":true,"refused":true,"changed":true,"report":true,"undone":true},"dynamicProps":false,"dynamicItems":false};

const validateSyncRequest = validate70;
const schema82 = {"description":"frontend -> kernel: send `runs`. Answered when the kernel is next idle.","type":"object","required":["protocol","version","type"],"properties":{"protocol":{"$ref":"#/properties/protocol"},"version":{"$ref":"#/properties/version"},"type":{"const":"sync"},"widgets":{"type":"boolean","description":"false: this frontend renders no ipywidgets (the `codeact run` command), so the kernel shows its status as static output. Absent means true."}}};

function validate70(data, {instancePath="", parentData, parentDataProperty, rootData=data, dynamicAnchors={}}={}){
let vErrors = null;
let errors = 0;
const evaluated0 = validate70.evaluated;
if(evaluated0.dynamicProps){
evaluated0.props = undefined;
}
if(evaluated0.dynamicItems){
evaluated0.items = undefined;
}
if(errors === 0){
if(data && typeof data == "object" && !Array.isArray(data)){
let missing0;
if((((data.protocol === undefined) && (missing0 = "protocol")) || ((data.version === undefined) && (missing0 = "version"))) || ((data.type === undefined) && (missing0 = "type"))){
validate70.errors = [{instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: missing0},message:"must have required property '"+missing0+"'"}];
return false;
}
else {
if(data.protocol !== undefined){
const _errs1 = errors;
if("codeact" !== data.protocol){
validate70.errors = [{instancePath:instancePath+"/protocol",schemaPath:"#/properties/protocol/const",keyword:"const",params:{allowedValue: "codeact"},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs1 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.version !== undefined){
const _errs3 = errors;
if(1 !== data.version){
validate70.errors = [{instancePath:instancePath+"/version",schemaPath:"#/properties/version/const",keyword:"const",params:{allowedValue: 1},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs3 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.type !== undefined){
const _errs5 = errors;
if("sync" !== data.type){
validate70.errors = [{instancePath:instancePath+"/type",schemaPath:"#/properties/type/const",keyword:"const",params:{allowedValue: "sync"},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs5 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.widgets !== undefined){
const _errs6 = errors;
if(typeof data.widgets !== "boolean"){
validate70.errors = [{instancePath:instancePath+"/widgets",schemaPath:"#/properties/widgets/type",keyword:"type",params:{type: "boolean"},message:"must be boolean"}];
return false;
}
var valid0 = _errs6 === errors;
}
else {
var valid0 = true;
}
}
}
}
}
}
else {
validate70.errors = [{instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"}];
return false;
}
}
validate70.errors = vErrors;
return errors === 0;
}
validate70.evaluated = {"props":{"protocol":true,"version":true,"type":true,"widgets":true},"dynamicProps":false,"dynamicItems":false};

const validateExportRequest = validate71;
const schema85 = {"description":"frontend -> kernel: send run `run_id` as an `export` message.","type":"object","required":["protocol","version","type","run_id"],"properties":{"protocol":{"$ref":"#/properties/protocol"},"version":{"$ref":"#/properties/version"},"type":{"const":"export_request"},"run_id":{"type":"string"}}};

function validate71(data, {instancePath="", parentData, parentDataProperty, rootData=data, dynamicAnchors={}}={}){
let vErrors = null;
let errors = 0;
const evaluated0 = validate71.evaluated;
if(evaluated0.dynamicProps){
evaluated0.props = undefined;
}
if(evaluated0.dynamicItems){
evaluated0.items = undefined;
}
if(errors === 0){
if(data && typeof data == "object" && !Array.isArray(data)){
let missing0;
if(((((data.protocol === undefined) && (missing0 = "protocol")) || ((data.version === undefined) && (missing0 = "version"))) || ((data.type === undefined) && (missing0 = "type"))) || ((data.run_id === undefined) && (missing0 = "run_id"))){
validate71.errors = [{instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: missing0},message:"must have required property '"+missing0+"'"}];
return false;
}
else {
if(data.protocol !== undefined){
const _errs1 = errors;
if("codeact" !== data.protocol){
validate71.errors = [{instancePath:instancePath+"/protocol",schemaPath:"#/properties/protocol/const",keyword:"const",params:{allowedValue: "codeact"},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs1 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.version !== undefined){
const _errs3 = errors;
if(1 !== data.version){
validate71.errors = [{instancePath:instancePath+"/version",schemaPath:"#/properties/version/const",keyword:"const",params:{allowedValue: 1},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs3 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.type !== undefined){
const _errs5 = errors;
if("export_request" !== data.type){
validate71.errors = [{instancePath:instancePath+"/type",schemaPath:"#/properties/type/const",keyword:"const",params:{allowedValue: "export_request"},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs5 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.run_id !== undefined){
const _errs6 = errors;
if(typeof data.run_id !== "string"){
validate71.errors = [{instancePath:instancePath+"/run_id",schemaPath:"#/properties/run_id/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
var valid0 = _errs6 === errors;
}
else {
var valid0 = true;
}
}
}
}
}
}
else {
validate71.errors = [{instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"}];
return false;
}
}
validate71.errors = vErrors;
return errors === 0;
}
validate71.evaluated = {"props":{"protocol":true,"version":true,"type":true,"run_id":true},"dynamicProps":false,"dynamicItems":false};

const validateUndoRequest = validate72;
const schema88 = {"description":"frontend -> kernel: undo run `run_id` and every later run of the kernel, newest first (as `%codeact undo --run ID`); answered with an `undo` message.","type":"object","required":["protocol","version","type","run_id","force"],"properties":{"protocol":{"$ref":"#/properties/protocol"},"version":{"$ref":"#/properties/version"},"type":{"const":"undo_request"},"run_id":{"type":"string","minLength":1},"force":{"type":"boolean","description":"Restore even the names and files the user changed since the runs (`--force`)."}}};

function validate72(data, {instancePath="", parentData, parentDataProperty, rootData=data, dynamicAnchors={}}={}){
let vErrors = null;
let errors = 0;
const evaluated0 = validate72.evaluated;
if(evaluated0.dynamicProps){
evaluated0.props = undefined;
}
if(evaluated0.dynamicItems){
evaluated0.items = undefined;
}
if(errors === 0){
if(data && typeof data == "object" && !Array.isArray(data)){
let missing0;
if((((((data.protocol === undefined) && (missing0 = "protocol")) || ((data.version === undefined) && (missing0 = "version"))) || ((data.type === undefined) && (missing0 = "type"))) || ((data.run_id === undefined) && (missing0 = "run_id"))) || ((data.force === undefined) && (missing0 = "force"))){
validate72.errors = [{instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: missing0},message:"must have required property '"+missing0+"'"}];
return false;
}
else {
if(data.protocol !== undefined){
const _errs1 = errors;
if("codeact" !== data.protocol){
validate72.errors = [{instancePath:instancePath+"/protocol",schemaPath:"#/properties/protocol/const",keyword:"const",params:{allowedValue: "codeact"},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs1 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.version !== undefined){
const _errs3 = errors;
if(1 !== data.version){
validate72.errors = [{instancePath:instancePath+"/version",schemaPath:"#/properties/version/const",keyword:"const",params:{allowedValue: 1},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs3 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.type !== undefined){
const _errs5 = errors;
if("undo_request" !== data.type){
validate72.errors = [{instancePath:instancePath+"/type",schemaPath:"#/properties/type/const",keyword:"const",params:{allowedValue: "undo_request"},message:"must be equal to constant"}];
return false;
}
var valid0 = _errs5 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.run_id !== undefined){
let data3 = data.run_id;
const _errs6 = errors;
if(errors === _errs6){
if(typeof data3 === "string"){
if(func1(data3) < 1){
validate72.errors = [{instancePath:instancePath+"/run_id",schemaPath:"#/properties/run_id/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"}];
return false;
}
}
else {
validate72.errors = [{instancePath:instancePath+"/run_id",schemaPath:"#/properties/run_id/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
}
var valid0 = _errs6 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.force !== undefined){
const _errs8 = errors;
if(typeof data.force !== "boolean"){
validate72.errors = [{instancePath:instancePath+"/force",schemaPath:"#/properties/force/type",keyword:"type",params:{type: "boolean"},message:"must be boolean"}];
return false;
}
var valid0 = _errs8 === errors;
}
else {
var valid0 = true;
}
}
}
}
}
}
}
else {
validate72.errors = [{instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"}];
return false;
}
}
validate72.errors = vErrors;
return errors === 0;
}
validate72.evaluated = {"props":{"protocol":true,"version":true,"type":true,"run_id":true,"force":true},"dynamicProps":false,"dynamicItems":false};

const validateStepsLink = validate73;
const schema127 = {"description":"The data of the application/vnd.codeact.steps+json output that closes a %%codeact cell's compact output: one line pointing at the run's cells below (the extension renders it with a 'Go to' button; other frontends show its text/plain).","type":"object","required":["run_id","steps","cells","text"],"properties":{"run_id":{"type":"string","minLength":1},"steps":{"type":"integer","minimum":0,"description":"Code steps the run ran."},"cells":{"type":"integer","minimum":0,"description":"Cells the run inserted (Markdown ones included)."},"text":{"type":"string","description":"The line itself, for example '5 steps below ↓'."}},"additionalProperties":false};

function validate73(data, {instancePath="", parentData, parentDataProperty, rootData=data, dynamicAnchors={}}={}){
let vErrors = null;
let errors = 0;
const evaluated0 = validate73.evaluated;
if(evaluated0.dynamicProps){
evaluated0.props = undefined;
}
if(evaluated0.dynamicItems){
evaluated0.items = undefined;
}
if(errors === 0){
if(data && typeof data == "object" && !Array.isArray(data)){
let missing0;
if(((((data.run_id === undefined) && (missing0 = "run_id")) || ((data.steps === undefined) && (missing0 = "steps"))) || ((data.cells === undefined) && (missing0 = "cells"))) || ((data.text === undefined) && (missing0 = "text"))){
validate73.errors = [{instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: missing0},message:"must have required property '"+missing0+"'"}];
return false;
}
else {
const _errs1 = errors;
for(const key0 in data){
if(!((((key0 === "run_id") || (key0 === "steps")) || (key0 === "cells")) || (key0 === "text"))){
validate73.errors = [{instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties"}];
return false;
break;
}
}
if(_errs1 === errors){
if(data.run_id !== undefined){
let data0 = data.run_id;
const _errs2 = errors;
if(errors === _errs2){
if(typeof data0 === "string"){
if(func1(data0) < 1){
validate73.errors = [{instancePath:instancePath+"/run_id",schemaPath:"#/properties/run_id/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"}];
return false;
}
}
else {
validate73.errors = [{instancePath:instancePath+"/run_id",schemaPath:"#/properties/run_id/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
}
var valid0 = _errs2 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.steps !== undefined){
let data1 = data.steps;
const _errs4 = errors;
if(!(((typeof data1 == "number") && (!(data1 % 1) && !isNaN(data1))) && (isFinite(data1)))){
validate73.errors = [{instancePath:instancePath+"/steps",schemaPath:"#/properties/steps/type",keyword:"type",params:{type: "integer"},message:"must be integer"}];
return false;
}
if(errors === _errs4){
if((typeof data1 == "number") && (isFinite(data1))){
if(data1 < 0 || isNaN(data1)){
validate73.errors = [{instancePath:instancePath+"/steps",schemaPath:"#/properties/steps/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"}];
return false;
}
}
}
var valid0 = _errs4 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.cells !== undefined){
let data2 = data.cells;
const _errs6 = errors;
if(!(((typeof data2 == "number") && (!(data2 % 1) && !isNaN(data2))) && (isFinite(data2)))){
validate73.errors = [{instancePath:instancePath+"/cells",schemaPath:"#/properties/cells/type",keyword:"type",params:{type: "integer"},message:"must be integer"}];
return false;
}
if(errors === _errs6){
if((typeof data2 == "number") && (isFinite(data2))){
if(data2 < 0 || isNaN(data2)){
validate73.errors = [{instancePath:instancePath+"/cells",schemaPath:"#/properties/cells/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"}];
return false;
}
}
}
var valid0 = _errs6 === errors;
}
else {
var valid0 = true;
}
if(valid0){
if(data.text !== undefined){
const _errs8 = errors;
if(typeof data.text !== "string"){
validate73.errors = [{instancePath:instancePath+"/text",schemaPath:"#/properties/text/type",keyword:"type",params:{type: "string"},message:"must be string"}];
return false;
}
var valid0 = _errs8 === errors;
}
else {
var valid0 = true;
}
}
}
}
}
}
}
else {
validate73.errors = [{instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"}];
return false;
}
}
validate73.errors = vErrors;
return errors === 0;
}
validate73.evaluated = {"props":true,"dynamicProps":false,"dynamicItems":false};

// -- the exports ----------------------------------------------------------------------------------------------------

/** One validator per message `type`, checking the whole message against its `$defs` entry. */
export const VALIDATORS: { readonly [K in Message['type']]: Validator<Extract<Message, { type: K }>> } = {
  runs: validateRunsMessage,
  run: validateRunMessage,
  text: validateTextMessage,
  cell: validateCellMessage,
  outputs: validateOutputsMessage,
  export: validateExportMessage,
  error: validateErrorMessage,
  undo: validateUndoMessage,
  sync: validateSyncRequest,
  export_request: validateExportRequest,
  undo_request: validateUndoRequest
};

/** One validator per data definition (no message refers to it), by its `$defs` name. */
export const DATA_VALIDATORS: {
  readonly StepsLink: Validator<StepsLink>;
} = {
  StepsLink: validateStepsLink
};
