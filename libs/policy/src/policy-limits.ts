// Size limits of a policy document. They bound load time, evaluation time and memory for a policy
// that an admin (or an attacker holding an admin's token) uploads; see README "Limits".

/** Characters of YAML/JSON text accepted by parsePolicy (1000 verbose rules are about 330 KiB). */
export const MAX_POLICY_TEXT_LENGTH = 512 * 1024;
export const MAX_RULES = 1000;
export const MAX_RULE_ID_LENGTH = 64;
export const MAX_TEXT_LENGTH = 1000;
/** Any pattern: command class, table, path, name, namespace, column. */
export const MAX_PATTERN_LENGTH = 256;
/** Entries in one list of a rule (`groups`, `commands`, `columns`, …). */
export const MAX_LIST_ENTRIES = 256;
export const MAX_YAML_ALIASES = 100;
/** YAML nesting; a policy needs about 8 levels. */
export const MAX_YAML_DEPTH = 64;

/** CEL `when` limits (README "CEL conditions"). */
export const MAX_CEL_SOURCE_LENGTH = 2048;
export const MAX_CEL_AST_NODES = 400;
export const MAX_CEL_AST_DEPTH = 48;
/** Nested macros (`exists`, `all`, `map`, …) multiply work: at most this many levels. */
export const MAX_CEL_COMPREHENSION_NESTING = 2;
export const MAX_CEL_REGEX_LENGTH = 256;
/** Statement text longer than this is not handed to CEL; conditions that read it fail closed. */
export const MAX_CEL_COMMAND_TEXT_LENGTH = 256 * 1024;
