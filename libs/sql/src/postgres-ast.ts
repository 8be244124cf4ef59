// Reading libpg-query's JSON parse tree. A `Node`-typed field holds a wrapper `{ "DeleteStmt": {…} }`;
// a field typed as one concrete struct holds that struct bare (`DeleteStmt.relation` is a bare
// RangeVar). The walker needs both, so this file lists the bare-struct fields of the PostgreSQL 18
// tree (generated from @pgsql/types 18 `types.d.ts`: every field whose type is a struct, not `Node`).

import type { Node, RangeVar } from 'libpg-query';

/** Every node tag of the PostgreSQL 18 tree, e.g. `'SelectStmt'`. */
export type NodeTag = Node extends infer N ? (N extends unknown ? keyof N : never) : never;
/** The struct a tag wraps: `NodeBody<'DeleteStmt'>` is `DeleteStmt`. */
export type NodeBody<T extends NodeTag> = Extract<Node, Record<T, unknown>>[T];

/** struct → field → struct type of a bare (unwrapped) field; `X[]` fields hold bare arrays. */
export const BARE_FIELD_TYPES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  A_Const: { ival: 'Integer', fval: 'Float', boolval: 'Boolean', sval: 'String', bsval: 'BitString' },
  RangeVar: { alias: 'Alias' },
  IntoClause: { rel: 'RangeVar', viewQuery: 'Query' },
  JoinExpr: { join_using_alias: 'Alias', alias: 'Alias' },
  TypeCast: { typeName: 'TypeName' },
  FuncCall: { over: 'WindowDef' },
  RangeSubselect: { alias: 'Alias' },
  RangeFunction: { alias: 'Alias' },
  RangeTableFunc: { alias: 'Alias' },
  RangeTableFuncCol: { typeName: 'TypeName' },
  ColumnDef: { typeName: 'TypeName', identitySequence: 'RangeVar', collClause: 'CollateClause' },
  TableLikeClause: { relation: 'RangeVar' },
  XmlSerialize: { typeName: 'TypeName' },
  PartitionCmd: { name: 'RangeVar', bound: 'PartitionBoundSpec' },
  OnConflictClause: { infer: 'InferClause' },
  CommonTableExpr: { search_clause: 'CTESearchClause', cycle_clause: 'CTECycleClause' },
  JsonOutput: { typeName: 'TypeName', returning: 'JsonReturning' },
  JsonArgument: { val: 'JsonValueExpr' },
  JsonFuncExpr: { context_item: 'JsonValueExpr', output: 'JsonOutput', on_empty: 'JsonBehavior', on_error: 'JsonBehavior' },
  JsonTable: { context_item: 'JsonValueExpr', pathspec: 'JsonTablePathSpec', on_error: 'JsonBehavior', alias: 'Alias' },
  JsonTableColumn: {
    typeName: 'TypeName',
    pathspec: 'JsonTablePathSpec',
    format: 'JsonFormat',
    on_empty: 'JsonBehavior',
    on_error: 'JsonBehavior',
  },
  JsonKeyValue: { value: 'JsonValueExpr' },
  JsonParseExpr: { expr: 'JsonValueExpr', output: 'JsonOutput' },
  JsonScalarExpr: { output: 'JsonOutput' },
  JsonSerializeExpr: { expr: 'JsonValueExpr', output: 'JsonOutput' },
  JsonObjectConstructor: { output: 'JsonOutput' },
  JsonArrayConstructor: { output: 'JsonOutput' },
  JsonArrayQueryConstructor: { output: 'JsonOutput', format: 'JsonFormat' },
  JsonAggConstructor: { output: 'JsonOutput', over: 'WindowDef' },
  JsonObjectAgg: { constructor: 'JsonAggConstructor', arg: 'JsonKeyValue' },
  JsonArrayAgg: { constructor: 'JsonAggConstructor', arg: 'JsonValueExpr' },
  InsertStmt: { relation: 'RangeVar', onConflictClause: 'OnConflictClause', returningClause: 'ReturningClause', withClause: 'WithClause' },
  DeleteStmt: { relation: 'RangeVar', returningClause: 'ReturningClause', withClause: 'WithClause' },
  UpdateStmt: { relation: 'RangeVar', returningClause: 'ReturningClause', withClause: 'WithClause' },
  MergeStmt: { relation: 'RangeVar', returningClause: 'ReturningClause', withClause: 'WithClause' },
  SelectStmt: { intoClause: 'IntoClause', withClause: 'WithClause', larg: 'SelectStmt', rarg: 'SelectStmt' },
  PLAssignStmt: { val: 'SelectStmt' },
  CreateSchemaStmt: { authrole: 'RoleSpec' },
  AlterTableStmt: { relation: 'RangeVar' },
  AlterTableCmd: { newowner: 'RoleSpec' },
  GrantStmt: { grantor: 'RoleSpec' },
  GrantRoleStmt: { grantor: 'RoleSpec' },
  AlterDefaultPrivilegesStmt: { action: 'GrantStmt' },
  CopyStmt: { relation: 'RangeVar' },
  CreateStmt: { relation: 'RangeVar', partbound: 'PartitionBoundSpec', partspec: 'PartitionSpec', ofTypename: 'TypeName' },
  Constraint: { pktable: 'RangeVar' },
  CreateTableSpaceStmt: { owner: 'RoleSpec' },
  CreateForeignTableStmt: { base: 'CreateStmt' },
  CreateUserMappingStmt: { user: 'RoleSpec' },
  AlterUserMappingStmt: { user: 'RoleSpec' },
  DropUserMappingStmt: { user: 'RoleSpec' },
  CreatePolicyStmt: { table: 'RangeVar' },
  AlterPolicyStmt: { table: 'RangeVar' },
  CreateTrigStmt: { relation: 'RangeVar', constrrel: 'RangeVar' },
  AlterRoleStmt: { role: 'RoleSpec' },
  AlterRoleSetStmt: { role: 'RoleSpec', setstmt: 'VariableSetStmt' },
  CreateSeqStmt: { sequence: 'RangeVar' },
  AlterSeqStmt: { sequence: 'RangeVar' },
  CreateDomainStmt: { typeName: 'TypeName', collClause: 'CollateClause' },
  CreateOpClassStmt: { datatype: 'TypeName' },
  CreateOpClassItem: { name: 'ObjectWithArgs', storedtype: 'TypeName' },
  IndexStmt: { relation: 'RangeVar' },
  CreateFunctionStmt: { returnType: 'TypeName' },
  FunctionParameter: { argType: 'TypeName' },
  AlterFunctionStmt: { func: 'ObjectWithArgs' },
  CallStmt: { funccall: 'FuncCall', funcexpr: 'FuncExpr' },
  RenameStmt: { relation: 'RangeVar' },
  AlterObjectDependsStmt: { relation: 'RangeVar', extname: 'String' },
  AlterObjectSchemaStmt: { relation: 'RangeVar' },
  AlterOwnerStmt: { relation: 'RangeVar', newowner: 'RoleSpec' },
  AlterOperatorStmt: { opername: 'ObjectWithArgs' },
  RuleStmt: { relation: 'RangeVar' },
  CompositeTypeStmt: { typevar: 'RangeVar' },
  ViewStmt: { view: 'RangeVar' },
  AlterDatabaseSetStmt: { setstmt: 'VariableSetStmt' },
  AlterSystemStmt: { setstmt: 'VariableSetStmt' },
  ClusterStmt: { relation: 'RangeVar' },
  VacuumRelation: { relation: 'RangeVar' },
  CreateTableAsStmt: { into: 'IntoClause' },
  RefreshMatViewStmt: { relation: 'RangeVar' },
  ReindexStmt: { relation: 'RangeVar' },
  CreateCastStmt: { sourcetype: 'TypeName', targettype: 'TypeName', func: 'ObjectWithArgs' },
  CreateTransformStmt: { type_name: 'TypeName', fromsql: 'ObjectWithArgs', tosql: 'ObjectWithArgs' },
  ReassignOwnedStmt: { newrole: 'RoleSpec' },
  PublicationTable: { relation: 'RangeVar' },
  PublicationObjSpec: { pubtable: 'PublicationTable' },
};

export type AstObject = Readonly<Record<string, unknown>>;

export function isAstObject(value: unknown): value is AstObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The tag of a wrapper object `{ "Tag": {…} }`, or null for anything else. */
export function wrapperTag(value: AstObject): string | null {
  let tag: string | null = null;
  for (const key in value) {
    if (tag !== null) return null;
    tag = key;
  }
  if (tag === null || !/^[A-Z]/.test(tag) || !isAstObject(value[tag])) return null;
  return tag;
}

/** `[{String:{sval:'s'}}, {String:{sval:'f'}}]` → `['s', 'f']`; null if any item is not a String node. */
export function stringList(items: readonly Node[] | undefined): string[] | null {
  if (items === undefined || items.length === 0) return null;
  const parts: string[] = [];
  for (const item of items) {
    if (!('String' in item)) return null;
    parts.push(item.String.sval ?? '');
  }
  return parts;
}

/**
 * Joins name parts with `.`. The parser has already folded unquoted identifiers to lower case and kept
 * quoted ones, so the parts are the names the server resolves. A part holding `.` or `"` (possible only
 * when quoted) is re-quoted so `"a.b"` and `a.b` stay distinct.
 */
export function renderQualifiedName(parts: readonly string[]): string {
  return parts.map((part) => (part.length > 0 && !/[."]/.test(part) ? part : `"${part.replaceAll('"', '""')}"`)).join('.');
}

export function rangeVarName(relation: RangeVar): string {
  const parts: string[] = [];
  if (relation.catalogname !== undefined && relation.catalogname !== '') parts.push(relation.catalogname);
  if (relation.schemaname !== undefined && relation.schemaname !== '') parts.push(relation.schemaname);
  parts.push(relation.relname ?? '');
  return renderQualifiedName(parts);
}

/** A bare object that is shaped like a RangeVar (fallback for bare fields this file does not list). */
export function looksLikeRangeVar(value: AstObject): boolean {
  return typeof value['relname'] === 'string';
}
