export { SQL_CLASSES, SQL_OBJECT_TYPES } from './sql-class.js';
export type { SqlClass, SqlObjectType } from './sql-class.js';
export { SQL_FAILURE_REASONS } from './sql-classification.js';
export type { SqlClassification, SqlFailure, SqlFailureReason, SqlStatementFacts } from './sql-classification.js';
export { MAX_SQL_TEXT_BYTES, classifyPostgres, fingerprintPostgres, loadSqlParser, normalizePostgres } from './postgres-classifier.js';
export { isReadOnlyBuiltinFunction } from './read-only-functions.js';
