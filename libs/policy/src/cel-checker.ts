// A whitelist type checker for `when` conditions. @bufbuild/cel 0.6.1 can parse and evaluate CEL
// but its checker only understands constants and identifiers, so this one walks the parsed AST
// (macros already expanded into comprehensions) against the declared context (cel-context.ts).
//
// Anything it does not know is a load error: undeclared identifiers, unknown fields, unknown
// functions, message construction, optional syntax, two-variable comprehensions. Because only the
// functions listed here pass, the evaluation cost of an accepted expression is bounded by its size,
// by the nesting of its macros and by the sizes of the input lists (README "CEL conditions").

import type { parse } from '@bufbuild/cel';
import {
  BOOL,
  BYTES,
  DOUBLE,
  DURATION,
  DYN,
  INT,
  NULL,
  STRING,
  TIMESTAMP,
  UINT,
  celTypesCompatible,
  formatCelType,
  isNumeric,
  joinCelTypes,
  listOf,
  mapOf,
  type CelTypeDecl,
} from './cel-type.js';
import { MAX_CEL_AST_DEPTH, MAX_CEL_AST_NODES, MAX_CEL_COMPREHENSION_NESTING, MAX_CEL_REGEX_LENGTH } from './policy-limits.js';

type ParsedCel = ReturnType<typeof parse>;
type Expr = ParsedCel['expr'];
type ExprKind = Expr['exprKind'];
type CallExpr = Extract<ExprKind, { case: 'callExpr' }>['value'];
type SelectExpr = Extract<ExprKind, { case: 'selectExpr' }>['value'];
type ComprehensionExpr = Extract<ExprKind, { case: 'comprehensionExpr' }>['value'];
type StructExpr = Extract<ExprKind, { case: 'structExpr' }>['value'];
type ConstantKind = Extract<ExprKind, { case: 'constExpr' }>['value']['constantKind'];

/** A literal the checker could not judge on its own; cel-condition.ts runs it once at load. */
export type CelLiteralCheck =
  | { readonly kind: 'regex'; readonly value: string }
  | { readonly kind: 'timestamp'; readonly value: string }
  | { readonly kind: 'duration'; readonly value: string }
  | { readonly kind: 'timezone'; readonly value: string };

export interface CheckedCel {
  readonly resultType: CelTypeDecl;
  /** Dotted context paths the expression reads (`principal.groups`, `command`, `now`). */
  readonly paths: ReadonlySet<string>;
  readonly literals: readonly CelLiteralCheck[];
  readonly nodeCount: number;
}

export class CelCheckError extends Error {
  override readonly name = 'CelCheckError';
}

const TIMESTAMP_GETTERS = new Set([
  'getFullYear',
  'getMonth',
  'getDate',
  'getDayOfMonth',
  'getDayOfWeek',
  'getDayOfYear',
  'getHours',
  'getMinutes',
  'getSeconds',
  'getMilliseconds',
]);
const DURATION_GETTERS = new Set(['getHours', 'getMinutes', 'getSeconds', 'getMilliseconds']);
const STRING_PREDICATES = new Set(['contains', 'startsWith', 'endsWith']);
const ORDERED_KINDS = new Set(['string', 'bytes', 'bool', 'timestamp', 'duration']);
/** Which argument kinds the std conversion functions accept (std/cast.js of @bufbuild/cel). */
const CONVERSIONS: Readonly<Record<string, { readonly from: readonly string[]; readonly to: CelTypeDecl }>> = {
  int: { from: ['int', 'uint', 'double', 'string', 'timestamp', 'duration'], to: INT },
  uint: { from: ['uint', 'int', 'double', 'string'], to: UINT },
  double: { from: ['double', 'int', 'uint', 'string'], to: DOUBLE },
  string: { from: ['string', 'bool', 'int', 'uint', 'double', 'bytes', 'timestamp', 'duration'], to: STRING },
  bool: { from: ['bool', 'string'], to: BOOL },
};

export function checkCel(parsed: ParsedCel, context: Readonly<Record<string, CelTypeDecl>>): CheckedCel {
  const checker = new Checker(parsed, context);
  const resultType = checker.check(parsed.expr, 0);
  return { resultType, paths: checker.paths, literals: checker.literals, nodeCount: checker.nodeCount };
}

class Checker {
  readonly paths = new Set<string>();
  readonly literals: CelLiteralCheck[] = [];
  nodeCount = 0;
  private readonly scopes: Map<string, CelTypeDecl>[] = [];
  private comprehensionDepth = 0;

  constructor(
    private readonly parsed: ParsedCel,
    private readonly context: Readonly<Record<string, CelTypeDecl>>,
  ) {}

  check(expr: Expr | undefined, depth: number): CelTypeDecl {
    if (expr === undefined) throw new CelCheckError('incomplete expression');
    this.nodeCount++;
    if (this.nodeCount > MAX_CEL_AST_NODES) throw new CelCheckError(`expression has more than ${MAX_CEL_AST_NODES} nodes`);
    if (depth > MAX_CEL_AST_DEPTH) throw new CelCheckError(`expression is nested deeper than ${MAX_CEL_AST_DEPTH} levels`);
    const kind = expr.exprKind;
    switch (kind.case) {
      case 'constExpr':
        return this.constant(expr, kind.value.constantKind);
      case 'identExpr':
        return this.identifier(expr, kind.value.name);
      case 'selectExpr':
        return this.select(expr, kind.value, depth);
      case 'callExpr':
        return this.call(expr, kind.value, depth);
      case 'listExpr': {
        if (kind.value.optionalIndices.length > 0) throw this.error(expr, 'optional list elements are not supported');
        let elem: CelTypeDecl = DYN;
        for (const element of kind.value.elements) elem = joinCelTypes(elem, this.check(element, depth + 1));
        return listOf(elem);
      }
      case 'structExpr':
        return this.mapLiteral(expr, kind.value, depth);
      case 'comprehensionExpr':
        return this.comprehension(expr, kind.value, depth);
      case undefined:
        throw this.error(expr, 'empty expression');
    }
  }

  private constant(expr: Expr, constant: ConstantKind): CelTypeDecl {
    switch (constant.case) {
      case 'boolValue':
        return BOOL;
      case 'int64Value':
        return INT;
      case 'uint64Value':
        return UINT;
      case 'doubleValue':
        return DOUBLE;
      case 'stringValue':
        return STRING;
      case 'bytesValue':
        return BYTES;
      case 'nullValue':
        return NULL;
      case 'durationValue':
      case 'timestampValue':
      case undefined:
        throw this.error(expr, 'unsupported literal');
    }
  }

  private lookupLocal(name: string): CelTypeDecl | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const type = this.scopes[i]?.get(name);
      if (type !== undefined) return type;
    }
    return undefined;
  }

  private lookupGlobal(name: string): CelTypeDecl | undefined {
    return Object.hasOwn(this.context, name) ? this.context[name] : undefined;
  }

  private identifier(expr: Expr, name: string): CelTypeDecl {
    const local = this.lookupLocal(name);
    if (local !== undefined) return local;
    const global = this.lookupGlobal(name);
    if (global === undefined) {
      const known = Object.keys(this.context).join(', ');
      throw this.error(expr, `undeclared reference to '${name}' (the context declares ${known})`);
    }
    this.paths.add(name);
    return global;
  }

  /** `a.b.c` rooted at a context variable (not shadowed by a macro variable), as field names. */
  private globalChain(expr: Expr): string[] | undefined {
    const kind = expr.exprKind;
    if (kind.case === 'identExpr') {
      const name = kind.value.name;
      return this.lookupLocal(name) === undefined && this.lookupGlobal(name) !== undefined ? [name] : undefined;
    }
    if (kind.case === 'selectExpr' && !kind.value.testOnly && kind.value.operand !== undefined) {
      const chain = this.globalChain(kind.value.operand);
      return chain === undefined ? undefined : [...chain, kind.value.field];
    }
    return undefined;
  }

  private select(expr: Expr, select: SelectExpr, depth: number): CelTypeDecl {
    const operand = select.operand;
    if (operand === undefined) throw this.error(expr, 'incomplete field selection');
    const chain = this.globalChain(operand);
    let operandType: CelTypeDecl;
    let operandName: string;
    if (chain !== undefined) {
      // Resolve the whole chain against the declarations so that the path recorded is the longest
      // one read (`command.http.query`, not `command`): cacheability depends on it.
      const [root, ...fields] = chain;
      operandType = this.lookupGlobal(root ?? '') ?? DYN;
      operandName = root ?? '';
      for (const field of fields) {
        this.nodeCount++;
        operandType = this.fieldType(expr, operandType, operandName, field);
        operandName = `${operandName}.${field}`;
      }
      this.nodeCount++;
      this.paths.add(`${operandName}.${select.field}`);
    } else {
      operandType = this.check(operand, depth + 1);
      operandName = formatCelType(operandType);
    }
    const fieldType = this.fieldType(expr, operandType, operandName, select.field);
    return select.testOnly ? BOOL : fieldType;
  }

  private fieldType(expr: Expr, operand: CelTypeDecl, operandName: string, field: string): CelTypeDecl {
    switch (operand.kind) {
      case 'record': {
        const decl = Object.hasOwn(operand.fields, field) ? operand.fields[field] : undefined;
        if (decl === undefined) {
          throw this.error(expr, `unknown field '${operandName}.${field}' (${operand.name} has ${Object.keys(operand.fields).join(', ')})`);
        }
        return decl.type;
      }
      case 'map':
        if (!celTypesCompatible(operand.key, STRING)) throw this.error(expr, `cannot select a field of ${formatCelType(operand)}`);
        return operand.value;
      case 'dyn':
        return DYN;
      case 'list':
      case 'bool':
      case 'int':
      case 'uint':
      case 'double':
      case 'string':
      case 'bytes':
      case 'null':
      case 'timestamp':
      case 'duration':
        throw this.error(expr, `cannot select field '${field}' of ${operandName} (type ${formatCelType(operand)})`);
    }
  }

  private mapLiteral(expr: Expr, struct: StructExpr, depth: number): CelTypeDecl {
    if (struct.messageName !== '') throw this.error(expr, `message construction (${struct.messageName}{…}) is not supported`);
    let key: CelTypeDecl = DYN;
    let value: CelTypeDecl = DYN;
    for (const entry of struct.entries) {
      if (entry.optionalEntry || entry.keyKind.case !== 'mapKey') throw this.error(expr, 'only plain map literals are supported');
      const keyType = this.check(entry.keyKind.value, depth + 1);
      if (!['string', 'int', 'uint', 'bool', 'dyn'].includes(keyType.kind)) {
        throw this.error(expr, `map keys must be string, int, uint or bool, not ${formatCelType(keyType)}`);
      }
      key = joinCelTypes(key, keyType);
      value = joinCelTypes(value, this.check(entry.value, depth + 1));
    }
    return mapOf(key, value);
  }

  private comprehension(expr: Expr, comp: ComprehensionExpr, depth: number): CelTypeDecl {
    if (comp.iterVar2 !== '') throw this.error(expr, 'two-variable comprehensions are not supported');
    if (this.comprehensionDepth >= MAX_CEL_COMPREHENSION_NESTING) {
      throw this.error(expr, `macros (exists, all, map, filter, …) are nested deeper than ${MAX_CEL_COMPREHENSION_NESTING} levels`);
    }
    const range = this.check(comp.iterRange, depth + 1);
    let iterType: CelTypeDecl;
    switch (range.kind) {
      case 'list':
        iterType = range.elem;
        break;
      case 'map':
        iterType = range.key;
        break;
      case 'dyn':
        iterType = DYN;
        break;
      case 'record':
      case 'bool':
      case 'int':
      case 'uint':
      case 'double':
      case 'string':
      case 'bytes':
      case 'null':
      case 'timestamp':
      case 'duration':
        throw this.error(expr, `cannot iterate over ${formatCelType(range)}`);
    }
    const init = this.check(comp.accuInit, depth + 1);
    this.comprehensionDepth++;
    this.scopes.push(
      new Map([
        [comp.accuVar, init],
        [comp.iterVar, iterType],
      ]),
    );
    const condition = this.check(comp.loopCondition, depth + 1);
    this.expectBool(expr, condition, 'a macro condition');
    const step = this.check(comp.loopStep, depth + 1);
    this.scopes.pop();
    this.comprehensionDepth--;
    if (!celTypesCompatible(init, step)) {
      throw this.error(expr, `macro step has type ${formatCelType(step)}, expected ${formatCelType(init)}`);
    }
    this.scopes.push(new Map([[comp.accuVar, joinCelTypes(init, step)]]));
    const result = this.check(comp.result, depth + 1);
    this.scopes.pop();
    return result;
  }

  private expectBool(expr: Expr, type: CelTypeDecl, what: string): void {
    if (type.kind !== 'bool' && type.kind !== 'dyn') throw this.error(expr, `${what} must be a bool, not ${formatCelType(type)}`);
  }

  private call(expr: Expr, call: CallExpr, depth: number): CelTypeDecl {
    const target = call.target === undefined ? undefined : this.check(call.target, depth + 1);
    const args = call.args.map((arg) => this.check(arg, depth + 1));
    const fn = call.function;
    const arity = (n: number, withTarget: boolean): void => {
      if (args.length !== n || (target !== undefined) !== withTarget) {
        throw this.error(expr, `wrong number of arguments to '${fn}'`);
      }
    };
    const [a = DYN, b = DYN, c = DYN] = args;
    switch (fn) {
      case '_&&_':
      case '_||_':
        arity(2, false);
        this.expectBool(expr, a, `the operands of ${fn === '_&&_' ? '&&' : '||'}`);
        this.expectBool(expr, b, `the operands of ${fn === '_&&_' ? '&&' : '||'}`);
        return BOOL;
      case '!_':
      case '@not_strictly_false':
        arity(1, false);
        this.expectBool(expr, a, 'the operand of !');
        return BOOL;
      case '-_':
        arity(1, false);
        if (a.kind !== 'int' && a.kind !== 'double' && a.kind !== 'dyn') throw this.error(expr, `cannot negate ${formatCelType(a)}`);
        return a;
      case '_==_':
      case '_!=_':
        arity(2, false);
        if (!celTypesCompatible(a, b) && !(isNumeric(a) && isNumeric(b))) {
          throw this.error(expr, `cannot compare ${formatCelType(a)} with ${formatCelType(b)}`);
        }
        return BOOL;
      case '_<_':
      case '_<=_':
      case '_>_':
      case '_>=_':
        arity(2, false);
        if (!this.ordered(a, b)) throw this.error(expr, `cannot order ${formatCelType(a)} against ${formatCelType(b)}`);
        return BOOL;
      case '_+_':
      case '_-_':
      case '_*_':
      case '_/_':
      case '_%_':
        arity(2, false);
        return this.arithmetic(expr, fn, a, b);
      case '_?_:_':
        arity(3, false);
        this.expectBool(expr, a, 'the condition of ?:');
        if (!celTypesCompatible(b, c))
          throw this.error(expr, `the branches of ?: have different types (${formatCelType(b)}, ${formatCelType(c)})`);
        return joinCelTypes(b, c);
      case '_[_]':
        arity(2, false);
        return this.index(expr, a, b);
      case '@in':
        arity(2, false);
        return this.membership(expr, a, b);
      case 'size': {
        const subject = target ?? a;
        arity(target === undefined ? 1 : 0, target !== undefined);
        if (!['string', 'bytes', 'list', 'map', 'dyn'].includes(subject.kind))
          throw this.error(expr, `size() of ${formatCelType(subject)}`);
        return INT;
      }
      case 'matches':
        return this.matches(expr, call, target, args);
      case 'timestamp':
      case 'duration':
        return this.timeLiteral(expr, call, fn, target, args);
      default:
        break;
    }
    if (STRING_PREDICATES.has(fn)) {
      arity(1, true);
      if (!celTypesCompatible(target ?? DYN, STRING) || !celTypesCompatible(a, STRING)) throw this.error(expr, `${fn}() works on strings`);
      return BOOL;
    }
    const conversion = Object.hasOwn(CONVERSIONS, fn) ? CONVERSIONS[fn] : undefined;
    if (conversion !== undefined) {
      arity(1, false);
      if (a.kind !== 'dyn' && !conversion.from.includes(a.kind)) throw this.error(expr, `${fn}() cannot convert ${formatCelType(a)}`);
      return conversion.to;
    }
    if (target !== undefined && (TIMESTAMP_GETTERS.has(fn) || DURATION_GETTERS.has(fn))) {
      return this.timeGetter(expr, call, fn, target, args);
    }
    throw this.error(expr, `unknown function '${fn}'${target === undefined ? '' : ' (as a method)'}`);
  }

  private ordered(a: CelTypeDecl, b: CelTypeDecl): boolean {
    if (a.kind === 'dyn' || b.kind === 'dyn') return true;
    if (isNumeric(a) && isNumeric(b)) return true;
    return a.kind === b.kind && ORDERED_KINDS.has(a.kind);
  }

  private arithmetic(expr: Expr, fn: string, a: CelTypeDecl, b: CelTypeDecl): CelTypeDecl {
    const op = fn.slice(1, 2);
    if (a.kind === 'dyn' || b.kind === 'dyn') return a.kind === 'dyn' ? b : a;
    if (isNumeric(a) && a.kind === b.kind && (op !== '%' || a.kind !== 'double')) return a;
    if (op === '+') {
      if ((a.kind === 'string' || a.kind === 'bytes') && a.kind === b.kind) return a;
      if (a.kind === 'list' && b.kind === 'list' && celTypesCompatible(a, b)) return joinCelTypes(a, b);
      if (a.kind === 'timestamp' && b.kind === 'duration') return TIMESTAMP;
      if (a.kind === 'duration' && b.kind === 'timestamp') return TIMESTAMP;
      if (a.kind === 'duration' && b.kind === 'duration') return DURATION;
    }
    if (op === '-') {
      if (a.kind === 'timestamp' && b.kind === 'timestamp') return DURATION;
      if (a.kind === 'timestamp' && b.kind === 'duration') return TIMESTAMP;
      if (a.kind === 'duration' && b.kind === 'duration') return DURATION;
    }
    throw this.error(expr, `no operator ${op} for ${formatCelType(a)} and ${formatCelType(b)}`);
  }

  private index(expr: Expr, container: CelTypeDecl, key: CelTypeDecl): CelTypeDecl {
    switch (container.kind) {
      case 'list':
        if (key.kind !== 'int' && key.kind !== 'uint' && key.kind !== 'dyn')
          throw this.error(expr, `list index must be an int, not ${formatCelType(key)}`);
        return container.elem;
      case 'map':
        if (!celTypesCompatible(container.key, key))
          throw this.error(expr, `map key must be ${formatCelType(container.key)}, not ${formatCelType(key)}`);
        return container.value;
      case 'dyn':
        return DYN;
      case 'record':
        throw this.error(expr, `use field selection (${container.name}.field) rather than an index on ${container.name}`);
      case 'bool':
      case 'int':
      case 'uint':
      case 'double':
      case 'string':
      case 'bytes':
      case 'null':
      case 'timestamp':
      case 'duration':
        throw this.error(expr, `cannot index ${formatCelType(container)}`);
    }
  }

  private membership(expr: Expr, element: CelTypeDecl, container: CelTypeDecl): CelTypeDecl {
    if (container.kind === 'list' && (celTypesCompatible(element, container.elem) || (isNumeric(element) && isNumeric(container.elem))))
      return BOOL;
    if (container.kind === 'map' && celTypesCompatible(element, container.key)) return BOOL;
    if (container.kind === 'dyn') return BOOL;
    throw this.error(expr, `cannot test ${formatCelType(element)} 'in' ${formatCelType(container)}`);
  }

  private stringLiteral(expr: Expr | undefined): string | undefined {
    const kind = expr?.exprKind;
    return kind?.case === 'constExpr' && kind.value.constantKind.case === 'stringValue' ? kind.value.constantKind.value : undefined;
  }

  private matches(expr: Expr, call: CallExpr, target: CelTypeDecl | undefined, args: readonly CelTypeDecl[]): CelTypeDecl {
    if (target === undefined) throw this.error(expr, "write matches() as a method: text.matches('re')");
    if (args.length !== 1 || !celTypesCompatible(target, STRING)) throw this.error(expr, 'matches() takes one regex and works on strings');
    // The pattern must be a literal: it is validated (RE2 syntax, size) when the policy loads, and
    // a pattern can never come from attacker-controlled input.
    const pattern = this.stringLiteral(call.args[0]);
    if (pattern === undefined) throw this.error(expr, 'the regex given to matches() must be a string literal');
    if (pattern.length > MAX_CEL_REGEX_LENGTH) throw this.error(expr, `regex is longer than ${MAX_CEL_REGEX_LENGTH} characters`);
    this.literals.push({ kind: 'regex', value: pattern });
    return BOOL;
  }

  private timeLiteral(
    expr: Expr,
    call: CallExpr,
    fn: 'timestamp' | 'duration',
    target: CelTypeDecl | undefined,
    args: readonly CelTypeDecl[],
  ): CelTypeDecl {
    const [arg] = args;
    if (target !== undefined || args.length !== 1 || arg === undefined) throw this.error(expr, `${fn}() takes one argument`);
    const result = fn === 'timestamp' ? TIMESTAMP : DURATION;
    if (!['string', 'int', 'dyn', fn].includes(arg.kind)) throw this.error(expr, `${fn}() cannot convert ${formatCelType(arg)}`);
    const literal = this.stringLiteral(call.args[0]);
    if (literal !== undefined) this.literals.push({ kind: fn, value: literal });
    return result;
  }

  private timeGetter(expr: Expr, call: CallExpr, fn: string, target: CelTypeDecl, args: readonly CelTypeDecl[]): CelTypeDecl {
    if (target.kind === 'timestamp' || (target.kind === 'dyn' && TIMESTAMP_GETTERS.has(fn))) {
      const [zone] = args;
      if (args.length > 1 || (zone !== undefined && !celTypesCompatible(zone, STRING))) {
        throw this.error(expr, `${fn}() takes an optional time zone string`);
      }
      const literal = this.stringLiteral(call.args[0]);
      if (literal !== undefined) this.literals.push({ kind: 'timezone', value: literal });
      return INT;
    }
    if (target.kind === 'duration' && DURATION_GETTERS.has(fn)) {
      if (args.length !== 0) throw this.error(expr, `${fn}() on a duration takes no arguments`);
      return INT;
    }
    throw this.error(expr, `unknown method '${fn}' on ${formatCelType(target)}`);
  }

  private error(expr: Expr, message: string): CelCheckError {
    const offset = this.parsed.sourceInfo?.positions[expr.id.toString()];
    return new CelCheckError(offset === undefined ? message : `${message} (at offset ${offset})`);
  }
}
