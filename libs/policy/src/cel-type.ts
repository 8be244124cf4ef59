// The types our CEL checker reasons about. @bufbuild/cel 0.6.1 evaluates CEL but its checker only
// handles constants and identifiers, so Sluice type-checks `when` expressions itself (cel-checker.ts)
// against these declarations before planning them.

export type CelScalarKind = 'bool' | 'int' | 'uint' | 'double' | 'string' | 'bytes' | 'null' | 'timestamp' | 'duration' | 'dyn';

export type CelTypeDecl =
  | { readonly kind: CelScalarKind }
  | { readonly kind: 'list'; readonly elem: CelTypeDecl }
  | { readonly kind: 'map'; readonly key: CelTypeDecl; readonly value: CelTypeDecl }
  /** A fixed set of named fields; at run time a string-keyed map. Optional fields may be absent. */
  | { readonly kind: 'record'; readonly name: string; readonly fields: Readonly<Record<string, CelFieldDecl>> };

export interface CelFieldDecl {
  readonly type: CelTypeDecl;
  readonly optional?: boolean;
}

export const BOOL: CelTypeDecl = { kind: 'bool' };
export const INT: CelTypeDecl = { kind: 'int' };
export const UINT: CelTypeDecl = { kind: 'uint' };
export const DOUBLE: CelTypeDecl = { kind: 'double' };
export const STRING: CelTypeDecl = { kind: 'string' };
export const BYTES: CelTypeDecl = { kind: 'bytes' };
export const NULL: CelTypeDecl = { kind: 'null' };
export const TIMESTAMP: CelTypeDecl = { kind: 'timestamp' };
export const DURATION: CelTypeDecl = { kind: 'duration' };
export const DYN: CelTypeDecl = { kind: 'dyn' };

export function listOf(elem: CelTypeDecl): CelTypeDecl {
  return { kind: 'list', elem };
}

export function mapOf(key: CelTypeDecl, value: CelTypeDecl): CelTypeDecl {
  return { kind: 'map', key, value };
}

export function formatCelType(type: CelTypeDecl): string {
  switch (type.kind) {
    case 'list':
      return `list(${formatCelType(type.elem)})`;
    case 'map':
      return `map(${formatCelType(type.key)}, ${formatCelType(type.value)})`;
    case 'record':
      return type.name;
    case 'bool':
    case 'int':
    case 'uint':
    case 'double':
    case 'string':
    case 'bytes':
    case 'null':
    case 'timestamp':
    case 'duration':
    case 'dyn':
      return type.kind;
  }
}

/** Structural equality; `dyn` on either side is compatible with anything. */
export function celTypesCompatible(a: CelTypeDecl, b: CelTypeDecl): boolean {
  if (a.kind === 'dyn' || b.kind === 'dyn') return true;
  if (a.kind === 'list' && b.kind === 'list') return celTypesCompatible(a.elem, b.elem);
  if (a.kind === 'map' && b.kind === 'map') return celTypesCompatible(a.key, b.key) && celTypesCompatible(a.value, b.value);
  if (a.kind === 'record' && b.kind === 'record') return a.name === b.name;
  return a.kind === b.kind;
}

/** The common type of two branches (`?:`, list elements, accumulators): the concrete one if they agree. */
export function joinCelTypes(a: CelTypeDecl, b: CelTypeDecl): CelTypeDecl {
  if (a.kind === 'dyn') return b;
  if (b.kind === 'dyn') return a;
  if (a.kind === 'list' && b.kind === 'list') return listOf(joinCelTypes(a.elem, b.elem));
  if (a.kind === 'map' && b.kind === 'map') return mapOf(joinCelTypes(a.key, b.key), joinCelTypes(a.value, b.value));
  return celTypesCompatible(a, b) ? a : DYN;
}

export function isNumeric(type: CelTypeDecl): boolean {
  return type.kind === 'int' || type.kind === 'uint' || type.kind === 'double';
}
