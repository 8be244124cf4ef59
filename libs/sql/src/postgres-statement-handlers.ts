// One handler per PostgreSQL statement kind: the classes it carries and the relations it targets.
// Anything a handler does not take apart itself it hands back to the walker (`walkRest`), so nested
// queries, function calls and relations are still found. A statement kind missing from this table is
// `sql.unknown`, which policy denies unless a rule names it (DESIGN.md "Policy", fail closed).
// Grammar reference: https://github.com/postgres/postgres/blob/REL_18_STABLE/src/backend/parser/gram.y

import type { CmdType, Node, ObjectType, RangeVar, TransactionStmtKind } from 'libpg-query';

import { stringList } from './postgres-ast.js';
import type { AstObject, NodeBody, NodeTag } from './postgres-ast.js';
import type { StatementVisit } from './postgres-tree-walker.js';
import type { SqlClass, SqlObjectType } from './sql-class.js';

const STATEMENT_TAGS = [
  'SelectStmt',
  'InsertStmt',
  'UpdateStmt',
  'DeleteStmt',
  'MergeStmt',
  'CopyStmt',
  'ExplainStmt',
  'PrepareStmt',
  'ExecuteStmt',
  'DeallocateStmt',
  'DeclareCursorStmt',
  'FetchStmt',
  'ClosePortalStmt',
  'TransactionStmt',
  'VariableSetStmt',
  'VariableShowStmt',
  'ConstraintsSetStmt',
  'AlterSystemStmt',
  'DoStmt',
  'CallStmt',
  'ListenStmt',
  'UnlistenStmt',
  'NotifyStmt',
  'LoadStmt',
  'LockStmt',
  'DiscardStmt',
  'VacuumStmt',
  'ClusterStmt',
  'ReindexStmt',
  'RefreshMatViewStmt',
  'CheckPointStmt',
  'GrantStmt',
  'GrantRoleStmt',
  'AlterDefaultPrivilegesStmt',
  'CreateStmt',
  'CreateTableAsStmt',
  'CreateForeignTableStmt',
  'ViewStmt',
  'IndexStmt',
  'CreateTrigStmt',
  'RuleStmt',
  'CreatePolicyStmt',
  'AlterPolicyStmt',
  'CreateSeqStmt',
  'AlterSeqStmt',
  'AlterTableStmt',
  'ReplicaIdentityStmt',
  'RenameStmt',
  'AlterObjectSchemaStmt',
  'AlterOwnerStmt',
  'AlterObjectDependsStmt',
  'CommentStmt',
  'SecLabelStmt',
  'DropStmt',
  'TruncateStmt',
  'CreateSchemaStmt',
  'CreateFunctionStmt',
  'AlterFunctionStmt',
  'CreateDomainStmt',
  'AlterDomainStmt',
  'DefineStmt',
  'CompositeTypeStmt',
  'CreateEnumStmt',
  'CreateRangeStmt',
  'AlterEnumStmt',
  'AlterTypeStmt',
  'CreateExtensionStmt',
  'AlterExtensionStmt',
  'AlterExtensionContentsStmt',
  'CreateFdwStmt',
  'AlterFdwStmt',
  'CreateForeignServerStmt',
  'AlterForeignServerStmt',
  'CreateUserMappingStmt',
  'AlterUserMappingStmt',
  'DropUserMappingStmt',
  'ImportForeignSchemaStmt',
  'CreateAmStmt',
  'CreateEventTrigStmt',
  'AlterEventTrigStmt',
  'CreatePLangStmt',
  'CreateRoleStmt',
  'AlterRoleStmt',
  'AlterRoleSetStmt',
  'DropRoleStmt',
  'CreateOpClassStmt',
  'CreateOpFamilyStmt',
  'AlterOpFamilyStmt',
  'CreateStatsStmt',
  'AlterStatsStmt',
  'CreateTableSpaceStmt',
  'DropTableSpaceStmt',
  'AlterTableSpaceOptionsStmt',
  'AlterTableMoveAllStmt',
  'CreatedbStmt',
  'AlterDatabaseStmt',
  'AlterDatabaseSetStmt',
  'AlterDatabaseRefreshCollStmt',
  'DropdbStmt',
  'CreateConversionStmt',
  'CreateCastStmt',
  'CreateTransformStmt',
  'AlterTSDictionaryStmt',
  'AlterTSConfigurationStmt',
  'CreatePublicationStmt',
  'AlterPublicationStmt',
  'CreateSubscriptionStmt',
  'AlterSubscriptionStmt',
  'DropSubscriptionStmt',
  'AlterCollationStmt',
  'AlterOperatorStmt',
  'DropOwnedStmt',
  'ReassignOwnedStmt',
] as const satisfies readonly NodeTag[];

export type StatementTag = (typeof STATEMENT_TAGS)[number];

type StatementHandler<T extends StatementTag> = (node: NodeBody<T>, visit: StatementVisit) => void;
type StatementHandlers = { readonly [T in StatementTag]: StatementHandler<T> };

const STATEMENT_TAG_SET: ReadonlySet<string> = new Set(STATEMENT_TAGS);

export function isStatementTag(tag: string): tag is StatementTag {
  return STATEMENT_TAG_SET.has(tag);
}

/** Runs the handler for `tag` on `body`, the struct that tag wraps in the parser's output. */
export function runStatementHandler(tag: StatementTag, body: AstObject, visit: StatementVisit): void {
  const handler = STATEMENT_HANDLERS[tag] as (node: AstObject, visit: StatementVisit) => void;
  handler(body, visit);
}

const OBJECT_TYPES: Readonly<Record<ObjectType, SqlObjectType>> = {
  OBJECT_ACCESS_METHOD: 'access-method',
  OBJECT_AGGREGATE: 'aggregate',
  OBJECT_AMOP: 'amop',
  OBJECT_AMPROC: 'amproc',
  OBJECT_ATTRIBUTE: 'attribute',
  OBJECT_CAST: 'cast',
  OBJECT_COLUMN: 'column',
  OBJECT_COLLATION: 'collation',
  OBJECT_CONVERSION: 'conversion',
  OBJECT_DATABASE: 'database',
  OBJECT_DEFAULT: 'default',
  OBJECT_DEFACL: 'defacl',
  OBJECT_DOMAIN: 'domain',
  OBJECT_DOMCONSTRAINT: 'domconstraint',
  OBJECT_EVENT_TRIGGER: 'event-trigger',
  OBJECT_EXTENSION: 'extension',
  OBJECT_FDW: 'fdw',
  OBJECT_FOREIGN_SERVER: 'foreign-server',
  OBJECT_FOREIGN_TABLE: 'foreign-table',
  OBJECT_FUNCTION: 'function',
  OBJECT_INDEX: 'index',
  OBJECT_LANGUAGE: 'language',
  OBJECT_LARGEOBJECT: 'largeobject',
  OBJECT_MATVIEW: 'matview',
  OBJECT_OPCLASS: 'opclass',
  OBJECT_OPERATOR: 'operator',
  OBJECT_OPFAMILY: 'opfamily',
  OBJECT_PARAMETER_ACL: 'parameter-acl',
  OBJECT_POLICY: 'policy',
  OBJECT_PROCEDURE: 'procedure',
  OBJECT_PUBLICATION: 'publication',
  OBJECT_PUBLICATION_NAMESPACE: 'publication-namespace',
  OBJECT_PUBLICATION_REL: 'publication-rel',
  OBJECT_ROLE: 'role',
  OBJECT_ROUTINE: 'routine',
  OBJECT_RULE: 'rule',
  OBJECT_SCHEMA: 'schema',
  OBJECT_SEQUENCE: 'sequence',
  OBJECT_SUBSCRIPTION: 'subscription',
  OBJECT_STATISTIC_EXT: 'statistic-ext',
  OBJECT_TABCONSTRAINT: 'tabconstraint',
  OBJECT_TABLE: 'table',
  OBJECT_TABLESPACE: 'tablespace',
  OBJECT_TRANSFORM: 'transform',
  OBJECT_TRIGGER: 'trigger',
  OBJECT_TSCONFIGURATION: 'tsconfiguration',
  OBJECT_TSDICTIONARY: 'tsdictionary',
  OBJECT_TSPARSER: 'tsparser',
  OBJECT_TSTEMPLATE: 'tstemplate',
  OBJECT_TYPE: 'type',
  OBJECT_USER_MAPPING: 'user-mapping',
  OBJECT_VIEW: 'view',
};

function objectTypeOf(objectType: ObjectType | undefined): SqlObjectType | null {
  return objectType === undefined ? null : OBJECT_TYPES[objectType];
}

/** Objects whose name is a relation name: DROP/COMMENT/GRANT on them report it in tablesWritten. */
const RELATION_OBJECTS: ReadonlySet<ObjectType | undefined> = new Set<ObjectType>([
  'OBJECT_TABLE',
  'OBJECT_VIEW',
  'OBJECT_MATVIEW',
  'OBJECT_FOREIGN_TABLE',
  'OBJECT_SEQUENCE',
  'OBJECT_INDEX',
]);
/** Objects named `relation.member` (`DROP TRIGGER tr ON t` → [t, tr]): the relation is all but the last part. */
const RELATION_MEMBER_OBJECTS: ReadonlySet<ObjectType | undefined> = new Set<ObjectType>([
  'OBJECT_COLUMN',
  'OBJECT_TRIGGER',
  'OBJECT_RULE',
  'OBJECT_POLICY',
  'OBJECT_TABCONSTRAINT',
]);

/** The relation an object name (a List of Strings) refers to, if the object is a relation or part of one. */
function relationOfObject(objectType: ObjectType | undefined, object: Node | undefined): string[] | null {
  if (object === undefined) return null;
  const parts = 'List' in object ? stringList(object.List.items) : 'String' in object ? stringList([object]) : null;
  if (parts === null) return null;
  if (RELATION_OBJECTS.has(objectType)) return parts;
  if (RELATION_MEMBER_OBJECTS.has(objectType) && parts.length > 1) return parts.slice(0, -1);
  return null;
}

function qualifySchemaElement(element: Node, schemaname: string): void {
  const target =
    'CreateStmt' in element
      ? element.CreateStmt.relation
      : 'ViewStmt' in element
        ? element.ViewStmt.view
        : 'IndexStmt' in element
          ? element.IndexStmt.relation
          : 'CreateSeqStmt' in element
            ? element.CreateSeqStmt.sequence
            : 'CreateTrigStmt' in element
              ? element.CreateTrigStmt.relation
              : undefined;
  if (target !== undefined && (target.schemaname ?? '') === '') target.schemaname = schemaname;
}

const MERGE_ACTION_CLASSES: Readonly<Partial<Record<CmdType, SqlClass>>> = {
  CMD_INSERT: 'sql.dml.insert',
  CMD_UPDATE: 'sql.dml.update',
  CMD_DELETE: 'sql.dml.delete',
};

/** Two-phase commit (PREPARE TRANSACTION, COMMIT/ROLLBACK PREPARED) acts on transactions of any session. */
const TRANSACTION_CLASSES: Readonly<Record<TransactionStmtKind, readonly SqlClass[]>> = {
  TRANS_STMT_BEGIN: ['sql.tcl.begin'],
  TRANS_STMT_START: ['sql.tcl.begin'],
  TRANS_STMT_COMMIT: ['sql.tcl.commit'],
  TRANS_STMT_ROLLBACK: ['sql.tcl.rollback'],
  TRANS_STMT_SAVEPOINT: ['sql.tcl.savepoint'],
  TRANS_STMT_RELEASE: ['sql.tcl.release'],
  TRANS_STMT_ROLLBACK_TO: ['sql.tcl.rollback'],
  TRANS_STMT_PREPARE: ['sql.tcl.prepare-transaction'],
  TRANS_STMT_COMMIT_PREPARED: ['sql.tcl.prepare-transaction', 'sql.tcl.commit'],
  TRANS_STMT_ROLLBACK_PREPARED: ['sql.tcl.prepare-transaction', 'sql.tcl.rollback'],
};

/**
 * Parameters that change who the session acts as. GUC names are case-insensitive in PostgreSQL, so
 * `SET "ROLE" = 'admin'` is `SET ROLE admin`.
 */
const IDENTITY_SETTINGS: ReadonlySet<string> = new Set(['role', 'session_authorization']);
/**
 * Parameters that change how the server reads SQL text. This parser assumes UTF-8 and
 * `standard_conforming_strings = on`; with `off` (or a client encoding such as SJIS, whose multibyte
 * characters can end in a backslash), `SELECT 'a\', $$'; DROP TABLE t; --$$` is one harmless SELECT
 * here but a DROP on the server. Their own class, whatever the value: values are stripped from the
 * decision-cache key, so the classification must not depend on them. (`SET NAMES` is client_encoding.)
 */
const SYNTAX_SETTINGS: ReadonlySet<string> = new Set(['client_encoding', 'standard_conforming_strings']);

/** A DDL statement with no relation target of its own: class, object type, and visit everything. */
function ddl(sqlClass: SqlClass, objectType: SqlObjectType | null) {
  return (node: object, visit: StatementVisit): void => {
    recordDdl(visit, sqlClass, objectType);
    visit.walkRest(node);
  };
}

function recordDdl(visit: StatementVisit, sqlClass: SqlClass, objectType: SqlObjectType | null): void {
  visit.addClass(sqlClass);
  visit.setObjectType(objectType);
  visit.markModifies();
}

/** A statement on the one relation held in `node[field]` (a bare RangeVar): that relation is written. */
function onRelation(visit: StatementVisit, node: object, sqlClass: SqlClass, objectType: SqlObjectType | null, field: string): void {
  recordDdl(visit, sqlClass, objectType);
  visit.write((node as Readonly<Record<string, RangeVar | undefined>>)[field]);
  visit.walkRest(node, [field]);
}

function relationDdl(sqlClass: SqlClass, objectType: SqlObjectType, field: string) {
  return (node: object, visit: StatementVisit): void => onRelation(visit, node, sqlClass, objectType, field);
}

/** Utility statements that change nothing stored (the session only). */
function sessionUtility(sqlClass: SqlClass) {
  return (node: object, visit: StatementVisit): void => {
    visit.addClass(sqlClass);
    visit.walkRest(node);
  };
}

/** Utility statements with effects beyond the session. */
function effectfulUtility(sqlClass: SqlClass) {
  return (node: object, visit: StatementVisit): void => {
    visit.addClass(sqlClass);
    visit.markModifies();
    visit.walkRest(node);
  };
}

const STATEMENT_HANDLERS: StatementHandlers = {
  SelectStmt: (node, visit) => {
    const into = node.intoClause?.rel;
    // SELECT … INTO creates a table: it is DDL first (brief: "SELECT … INTO newtable (ddl.create)").
    if (into !== undefined) {
      visit.addClass('sql.ddl.create');
      visit.setObjectType('table');
      visit.write(into);
      visit.markModifies();
    }
    // A nested SELECT (subquery, set-operation arm) adds nothing: its relations are in tablesRead.
    if (visit.primary) visit.addClass('sql.dml.select');
    if ((node.lockingClause ?? []).length > 0) visit.addClass('sql.select.locking');
    const scope = visit.enterWith(node.withClause);
    visit.walkRest(node, ['withClause', 'intoClause'], scope);
  },
  InsertStmt: (node, visit) => {
    visit.addModifyingClass('sql.dml.insert');
    // ON CONFLICT DO UPDATE updates existing rows: a rule on updates must see it.
    if (node.onConflictClause?.action === 'ONCONFLICT_UPDATE') visit.addClass('sql.dml.update');
    visit.write(node.relation);
    if (node.returningClause !== undefined || node.onConflictClause !== undefined) visit.readTarget(node.relation);
    const scope = visit.enterWith(node.withClause);
    visit.walkRest(node, ['relation', 'withClause'], scope);
  },
  UpdateStmt: (node, visit) => {
    visit.addModifyingClass('sql.dml.update');
    visit.recordWhere(node.whereClause !== undefined);
    visit.write(node.relation);
    visit.readTarget(node.relation);
    const scope = visit.enterWith(node.withClause);
    visit.walkRest(node, ['relation', 'withClause'], scope);
  },
  DeleteStmt: (node, visit) => {
    visit.addModifyingClass('sql.dml.delete');
    visit.recordWhere(node.whereClause !== undefined);
    visit.write(node.relation);
    visit.readTarget(node.relation);
    const scope = visit.enterWith(node.withClause);
    visit.walkRest(node, ['relation', 'withClause'], scope);
  },
  MergeStmt: (node, visit) => {
    visit.addModifyingClass('sql.dml.merge');
    for (const clause of node.mergeWhenClauses ?? []) {
      const action = 'MergeWhenClause' in clause ? clause.MergeWhenClause.commandType : undefined;
      const actionClass = action === undefined ? undefined : MERGE_ACTION_CLASSES[action];
      if (actionClass !== undefined) visit.addClass(actionClass);
    }
    visit.write(node.relation);
    visit.readTarget(node.relation);
    const scope = visit.enterWith(node.withClause);
    visit.walkRest(node, ['relation', 'withClause'], scope);
  },
  CopyStmt: (node, visit) => {
    // PROGRAM runs a shell command on the database server; a file name reads or writes its files.
    if (node.is_program === true) visit.addClass('sql.copy.program');
    else if (node.filename !== undefined) visit.addClass('sql.copy.file');
    visit.addClass(node.is_from === true ? 'sql.copy.in' : 'sql.copy.out');
    if (node.is_from === true || node.is_program === true || node.filename !== undefined) visit.markModifies();
    if (node.is_from === true) visit.write(node.relation);
    else visit.readTarget(node.relation);
    if (node.query !== undefined) visit.walkExecuted(node.query);
    visit.walkRest(node, ['relation', 'query']);
  },
  ExplainStmt: (node, visit) => {
    visit.addClass('sql.utility.explain');
    // Any ANALYZE option counts, whatever its value: `(ANALYZE off)` is then over-classified, never under.
    const executes = (node.options ?? []).some((option) => 'DefElem' in option && /^analy[sz]e$/i.test(option.DefElem.defname ?? ''));
    if (node.query !== undefined) visit.walkExecuted(node.query, visit.facts.explain(executes));
    visit.walkRest(node, ['query']);
  },
  PrepareStmt: (node, visit) => {
    // The facts are those of the prepared statement, so the proxy can apply them to each EXECUTE.
    visit.addClass('sql.utility.prepare');
    visit.setPreparedName(node.name);
    if (node.query !== undefined) visit.walkExecuted(node.query);
    visit.walkRest(node, ['query']);
  },
  ExecuteStmt: (node, visit) => {
    // What runs is unknown here; the proxy maps the name to its PREPARE.
    visit.addClass('sql.utility.execute');
    visit.setPreparedName(node.name);
    visit.markModifies();
    visit.walkRest(node);
  },
  DeallocateStmt: (node, visit) => {
    visit.addClass('sql.utility.deallocate');
    if (node.isall !== true) visit.setPreparedName(node.name);
  },
  DeclareCursorStmt: (node, visit) => {
    visit.addClass('sql.utility.cursor');
    visit.setCursorName(node.portalname);
    if (node.query !== undefined) visit.walkExecuted(node.query);
    visit.walkRest(node, ['query']);
  },
  FetchStmt: (node, visit) => {
    visit.setCursorName(node.portalname);
    sessionUtility('sql.utility.cursor')(node, visit);
  },
  ClosePortalStmt: (node, visit) => {
    visit.setCursorName(node.portalname);
    sessionUtility('sql.utility.cursor')(node, visit);
  },
  TransactionStmt: (node, visit) => {
    const classes = node.kind === undefined ? (['sql.unknown'] as const) : TRANSACTION_CLASSES[node.kind];
    for (const sqlClass of classes) visit.addClass(sqlClass);
    if (classes[0] === 'sql.tcl.prepare-transaction' || classes[0] === 'sql.unknown') visit.markModifies();
  },
  VariableSetStmt: (node, visit) => {
    const name = node.name?.toLowerCase();
    if (name !== undefined && IDENTITY_SETTINGS.has(name)) visit.addClass('sql.utility.set-role');
    else if (name !== undefined && SYNTAX_SETTINGS.has(name)) visit.addClass('sql.utility.set-syntax');
    else visit.addClass(node.kind === 'VAR_RESET' || node.kind === 'VAR_RESET_ALL' ? 'sql.utility.reset' : 'sql.utility.set');
    visit.setSetting(name);
    visit.walkRest(node);
  },
  VariableShowStmt: (node, visit) => {
    visit.addClass('sql.utility.show');
    if (node.name !== 'all') visit.setSetting(node.name);
  },
  ConstraintsSetStmt: sessionUtility('sql.utility.other'),
  AlterSystemStmt: (node, visit) => {
    visit.addClass('sql.utility.alter-system');
    visit.setSetting(node.setstmt?.name);
    visit.markModifies();
    visit.walkRest(node);
  },
  DoStmt: (_node, visit) => {
    // The code block is opaque text (PL/pgSQL or any installed language): the class says it all.
    visit.addClass('sql.utility.do');
    visit.markModifies();
  },
  CallStmt: effectfulUtility('sql.utility.call'),
  ListenStmt: sessionUtility('sql.utility.listen'),
  UnlistenStmt: sessionUtility('sql.utility.unlisten'),
  NotifyStmt: sessionUtility('sql.utility.notify'),
  LoadStmt: effectfulUtility('sql.utility.load'),
  LockStmt: (node, visit) => {
    visit.addClass('sql.utility.lock');
    for (const relation of node.relations ?? []) if ('RangeVar' in relation) visit.readTarget(relation.RangeVar);
  },
  DiscardStmt: sessionUtility('sql.utility.discard'),
  VacuumStmt: (node, visit) => {
    visit.addClass('sql.utility.maintenance');
    visit.markModifies();
    for (const relation of node.rels ?? []) if ('VacuumRelation' in relation) visit.write(relation.VacuumRelation.relation);
    visit.walkRest(node, ['rels']);
  },
  ClusterStmt: relationDdl('sql.utility.maintenance', 'table', 'relation'),
  ReindexStmt: relationDdl('sql.utility.maintenance', 'index', 'relation'),
  RefreshMatViewStmt: relationDdl('sql.utility.maintenance', 'matview', 'relation'),
  CheckPointStmt: effectfulUtility('sql.utility.maintenance'),
  GrantStmt: (node, visit) => {
    visit.addClass(node.is_grant === true ? 'sql.dcl.grant' : 'sql.dcl.revoke');
    visit.setObjectType(objectTypeOf(node.objtype));
    visit.markModifies();
    for (const object of node.objects ?? []) if ('RangeVar' in object) visit.write(object.RangeVar);
    visit.walkRest(node, ['objects']);
  },
  GrantRoleStmt: (node, visit) => {
    visit.addClass(node.is_grant === true ? 'sql.dcl.grant' : 'sql.dcl.revoke');
    visit.setObjectType('role');
    visit.markModifies();
  },
  AlterDefaultPrivilegesStmt: (node, visit) => {
    visit.addClass(node.action?.is_grant === true ? 'sql.dcl.grant' : 'sql.dcl.revoke');
    visit.setObjectType(objectTypeOf(node.action?.objtype));
    visit.markModifies();
  },
  CreateStmt: relationDdl('sql.ddl.create', 'table', 'relation'),
  CreateTableAsStmt: (node, visit) => {
    recordDdl(visit, 'sql.ddl.create', objectTypeOf(node.objtype));
    visit.write(node.into?.rel);
    if (node.query !== undefined) visit.walkExecuted(node.query);
    visit.walkRest(node, ['into', 'query']);
  },
  CreateForeignTableStmt: (node, visit) => {
    recordDdl(visit, 'sql.ddl.create', 'foreign-table');
    if (node.base !== undefined) {
      visit.write(node.base.relation);
      visit.walkFieldsOf(node.base, 'CreateStmt', ['relation']);
    }
    visit.walkRest(node, ['base']);
  },
  ViewStmt: relationDdl('sql.ddl.create', 'view', 'view'),
  IndexStmt: relationDdl('sql.ddl.create', 'index', 'relation'),
  CreateTrigStmt: (node, visit) => {
    recordDdl(visit, 'sql.ddl.create', 'trigger');
    visit.write(node.relation);
    // The trigger will call this function on every matching row: report it like a call.
    visit.callFunction(node.funcname);
    visit.walkRest(node, ['relation', 'funcname']);
  },
  RuleStmt: relationDdl('sql.ddl.create', 'rule', 'relation'),
  CreatePolicyStmt: relationDdl('sql.ddl.create', 'policy', 'table'),
  AlterPolicyStmt: relationDdl('sql.ddl.alter', 'policy', 'table'),
  CreateSeqStmt: relationDdl('sql.ddl.create', 'sequence', 'sequence'),
  AlterSeqStmt: relationDdl('sql.ddl.alter', 'sequence', 'sequence'),
  AlterTableStmt: (node, visit) => onRelation(visit, node, 'sql.ddl.alter', objectTypeOf(node.objtype), 'relation'),
  ReplicaIdentityStmt: ddl('sql.ddl.alter', 'table'),
  RenameStmt: (node, visit) => {
    recordDdl(visit, 'sql.ddl.rename', objectTypeOf(node.renameType));
    visit.write(node.relation);
    // Renaming a relation also claims the new name, in the same schema.
    if (node.relation !== undefined && node.newname !== undefined && RELATION_OBJECTS.has(node.renameType)) {
      const schema = [node.relation.catalogname, node.relation.schemaname].filter(
        (part): part is string => part !== undefined && part !== '',
      );
      visit.writeName([...schema, node.newname]);
    }
    const objectRelation = relationOfObject(node.renameType, node.object);
    if (objectRelation !== null) visit.writeName(objectRelation);
    visit.walkRest(node, ['relation', 'object']);
  },
  AlterObjectSchemaStmt: (node, visit) => onRelation(visit, node, 'sql.ddl.alter', objectTypeOf(node.objectType), 'relation'),
  AlterOwnerStmt: (node, visit) => onRelation(visit, node, 'sql.ddl.alter', objectTypeOf(node.objectType), 'relation'),
  AlterObjectDependsStmt: (node, visit) => onRelation(visit, node, 'sql.ddl.alter', objectTypeOf(node.objectType), 'relation'),
  CommentStmt: (node, visit) => {
    recordDdl(visit, 'sql.ddl.comment', objectTypeOf(node.objtype));
    const relation = relationOfObject(node.objtype, node.object);
    if (relation !== null) visit.writeName(relation);
  },
  SecLabelStmt: (node, visit) => {
    recordDdl(visit, 'sql.ddl.alter', objectTypeOf(node.objtype));
    const relation = relationOfObject(node.objtype, node.object);
    if (relation !== null) visit.writeName(relation);
  },
  DropStmt: (node, visit) => {
    recordDdl(visit, 'sql.ddl.drop', objectTypeOf(node.removeType));
    for (const object of node.objects ?? []) {
      const relation = relationOfObject(node.removeType, object);
      if (relation !== null) visit.writeName(relation);
    }
  },
  TruncateStmt: (node, visit) => {
    recordDdl(visit, 'sql.ddl.truncate', 'table');
    for (const relation of node.relations ?? []) if ('RangeVar' in relation) visit.write(relation.RangeVar);
    visit.walkRest(node, ['relations']);
  },
  CreateSchemaStmt: (node, visit) => {
    // Objects created inside CREATE SCHEMA land in that schema (parse_utilcmd.c transformCreateSchemaStmt).
    if (node.schemaname !== undefined) for (const element of node.schemaElts ?? []) qualifySchemaElement(element, node.schemaname);
    recordDdl(visit, 'sql.ddl.create', 'schema');
    visit.walkRest(node);
  },
  // A body given as a string ($$ … $$) is opaque; a SQL-standard body (BEGIN ATOMIC) is parsed, and the
  // statements in it add their classes — stored for later, but counted now, conservatively.
  CreateFunctionStmt: (node, visit) => {
    recordDdl(visit, 'sql.ddl.create', node.is_procedure === true ? 'procedure' : 'function');
    visit.walkRest(node);
  },
  AlterFunctionStmt: (node, visit) => {
    recordDdl(visit, 'sql.ddl.alter', objectTypeOf(node.objtype));
    visit.walkRest(node);
  },
  CreateDomainStmt: ddl('sql.ddl.create', 'domain'),
  AlterDomainStmt: ddl('sql.ddl.alter', 'domain'),
  DefineStmt: (node, visit) => {
    recordDdl(visit, 'sql.ddl.create', objectTypeOf(node.kind));
    visit.walkRest(node);
  },
  CompositeTypeStmt: (node, visit) => {
    // `typevar` names the new type (a RangeVar by grammar), not a table.
    recordDdl(visit, 'sql.ddl.create', 'type');
    visit.walkRest(node, ['typevar']);
  },
  CreateEnumStmt: ddl('sql.ddl.create', 'type'),
  CreateRangeStmt: ddl('sql.ddl.create', 'type'),
  AlterEnumStmt: ddl('sql.ddl.alter', 'type'),
  AlterTypeStmt: ddl('sql.ddl.alter', 'type'),
  CreateExtensionStmt: ddl('sql.ddl.create', 'extension'),
  AlterExtensionStmt: ddl('sql.ddl.alter', 'extension'),
  AlterExtensionContentsStmt: ddl('sql.ddl.alter', 'extension'),
  CreateFdwStmt: ddl('sql.ddl.create', 'fdw'),
  AlterFdwStmt: ddl('sql.ddl.alter', 'fdw'),
  CreateForeignServerStmt: ddl('sql.ddl.create', 'foreign-server'),
  AlterForeignServerStmt: ddl('sql.ddl.alter', 'foreign-server'),
  CreateUserMappingStmt: ddl('sql.ddl.create', 'user-mapping'),
  AlterUserMappingStmt: ddl('sql.ddl.alter', 'user-mapping'),
  DropUserMappingStmt: ddl('sql.ddl.drop', 'user-mapping'),
  ImportForeignSchemaStmt: ddl('sql.ddl.create', 'foreign-table'),
  CreateAmStmt: ddl('sql.ddl.create', 'access-method'),
  CreateEventTrigStmt: (node, visit) => {
    recordDdl(visit, 'sql.ddl.create', 'event-trigger');
    visit.callFunction(node.funcname);
    visit.walkRest(node, ['funcname']);
  },
  AlterEventTrigStmt: ddl('sql.ddl.alter', 'event-trigger'),
  CreatePLangStmt: ddl('sql.ddl.create', 'language'),
  CreateRoleStmt: ddl('sql.ddl.create', 'role'),
  AlterRoleStmt: ddl('sql.ddl.alter', 'role'),
  AlterRoleSetStmt: ddl('sql.ddl.alter', 'role'),
  DropRoleStmt: ddl('sql.ddl.drop', 'role'),
  CreateOpClassStmt: ddl('sql.ddl.create', 'opclass'),
  CreateOpFamilyStmt: ddl('sql.ddl.create', 'opfamily'),
  AlterOpFamilyStmt: ddl('sql.ddl.alter', 'opfamily'),
  CreateStatsStmt: ddl('sql.ddl.create', 'statistic-ext'),
  AlterStatsStmt: ddl('sql.ddl.alter', 'statistic-ext'),
  CreateTableSpaceStmt: ddl('sql.ddl.create', 'tablespace'),
  DropTableSpaceStmt: ddl('sql.ddl.drop', 'tablespace'),
  AlterTableSpaceOptionsStmt: ddl('sql.ddl.alter', 'tablespace'),
  AlterTableMoveAllStmt: (node, visit) => {
    recordDdl(visit, 'sql.ddl.alter', objectTypeOf(node.objtype));
    visit.walkRest(node);
  },
  CreatedbStmt: ddl('sql.ddl.create', 'database'),
  AlterDatabaseStmt: ddl('sql.ddl.alter', 'database'),
  AlterDatabaseSetStmt: ddl('sql.ddl.alter', 'database'),
  AlterDatabaseRefreshCollStmt: ddl('sql.ddl.alter', 'database'),
  DropdbStmt: ddl('sql.ddl.drop', 'database'),
  CreateConversionStmt: ddl('sql.ddl.create', 'conversion'),
  CreateCastStmt: ddl('sql.ddl.create', 'cast'),
  CreateTransformStmt: ddl('sql.ddl.create', 'transform'),
  AlterTSDictionaryStmt: ddl('sql.ddl.alter', 'tsdictionary'),
  AlterTSConfigurationStmt: ddl('sql.ddl.alter', 'tsconfiguration'),
  CreatePublicationStmt: ddl('sql.ddl.create', 'publication'),
  AlterPublicationStmt: ddl('sql.ddl.alter', 'publication'),
  CreateSubscriptionStmt: ddl('sql.ddl.create', 'subscription'),
  AlterSubscriptionStmt: ddl('sql.ddl.alter', 'subscription'),
  DropSubscriptionStmt: ddl('sql.ddl.drop', 'subscription'),
  AlterCollationStmt: ddl('sql.ddl.alter', 'collation'),
  AlterOperatorStmt: ddl('sql.ddl.alter', 'operator'),
  DropOwnedStmt: ddl('sql.ddl.drop', null),
  ReassignOwnedStmt: ddl('sql.ddl.alter', null),
};
