import type { ColumnRef } from '@sluice/masking';
import { parseViewLineage, type ViewColumnSource } from './view-lineage.js';

/**
 * Where the values of a result column come from, as far as the catalog tells: the names a masking
 * rule may use for them. Rules name base-table columns (`customers.email`), but PostgreSQL reports a
 * column read through a view or from a partition as a column of that view or partition.
 */
export interface ColumnOrigin {
  /**
   * Names of the column's own values, nearest first: the column itself, the same column in every
   * ancestor and descendant table (partitions, inheritance), then what a view column reads (its
   * source column and any base column of the same name), recursively. The first one a rule names wins.
   */
  readonly candidates: readonly ColumnRef[];
  /**
   * Every base column a computed view column (`upper(email)`, a UNION) may be derived from. Consulted
   * only when no candidate is named: a rule on any of them masks the column (over-masking, not leaking).
   */
  readonly dependencies: readonly ColumnRef[];
  /**
   * True when part of the origin is a system catalog (`pg_stat_activity.query` quotes other
   * sessions' statements), computed, or could not be followed: with no rule, every detector applies.
   */
  readonly unknownProvenance: boolean;
}

/** A view's (or materialized view's) stored query, as far as the resolver read it. */
export interface ViewDefinition {
  /** Columns its query reads (pg_depend of its `_RETURN` rule); attnum 0 is a whole-row reference. */
  readonly dependencies: readonly { readonly relation: number; readonly attnum: number }[];
  /** Where each output column comes from, or `undefined` when the stored tree was not understood. */
  readonly lineage: ReadonlyMap<number, ViewColumnSource> | undefined;
}

/** What the catalog query returned about one relation. */
export interface CatalogRelation {
  readonly oid: number;
  readonly schema: string;
  readonly name: string;
  /** pg_class.relkind: r table, p partitioned table, v view, m materialized view, f foreign table… */
  readonly kind: string;
  /** Attribute names by number; empty for a descendant, whose columns are named like its parent's. */
  readonly columns: ReadonlyMap<number, string>;
  readonly parents: readonly number[];
  readonly children: readonly number[];
  readonly view: ViewDefinition | undefined;
}

/** Views on views are followed this deep; deeper, the column is of unknown provenance. */
export const MAX_VIEW_DEPTH = 16;

const UNKNOWN: ColumnOrigin = { candidates: [], dependencies: [], unknownProvenance: true };

/** Schemas whose relations expose server state (statement texts, settings) rather than user data. */
export function isSystemSchema(schema: string): boolean {
  return schema === 'pg_catalog' || schema === 'information_schema' || schema.startsWith('pg_toast');
}

/**
 * Builds the relations of one catalog answer. Rows are `[kind, relid, a, b, c]`:
 * `r` relation (relkind, schema, name), `a` attribute (attnum, name), `i` inheritance (parent oid),
 * `d` view dependency (relation oid, attnum), `q` view query tree (pg_node_tree text, or NULL when too
 * large to read). A malformed row throws: the caller then treats the whole result as unresolved.
 */
export function catalogFromRows(rows: readonly (readonly (string | null)[])[]): ReadonlyMap<number, CatalogRelation> {
  interface Draft {
    oid: number;
    schema: string;
    name: string;
    kind: string;
    columns: Map<number, string>;
    parents: number[];
    children: number[];
    dependencies: { relation: number; attnum: number }[];
    tree: string | null | undefined;
  }
  const drafts = new Map<number, Draft>();
  const later: (readonly (string | null)[])[] = [];
  for (const row of rows) {
    const [kind, relid, a, b] = row;
    if (kind !== 'r') {
      later.push(row);
      continue;
    }
    const oid = oidOf(relid);
    if (a == null || b == null || row[4] == null) throw malformed(row);
    drafts.set(oid, {
      oid,
      kind: a,
      schema: b,
      name: row[4],
      columns: new Map(),
      parents: [],
      children: [],
      dependencies: [],
      tree: undefined,
    });
  }
  for (const row of later) {
    const [kind, relid, a, b] = row;
    const draft = drafts.get(oidOf(relid));
    switch (kind) {
      case 'a':
        if (b == null) throw malformed(row);
        draft?.columns.set(oidOf(a), b);
        break;
      case 'i': {
        const parent = drafts.get(oidOf(a));
        if (draft && parent) {
          draft.parents.push(parent.oid);
          parent.children.push(draft.oid);
        }
        break;
      }
      case 'd':
        draft?.dependencies.push({ relation: oidOf(a), attnum: oidOf(b) });
        break;
      case 'q':
        if (draft) draft.tree = a;
        break;
      default:
        throw malformed(row);
    }
  }
  const relations = new Map<number, CatalogRelation>();
  for (const d of drafts.values()) {
    const view =
      d.tree === undefined ? undefined : { dependencies: d.dependencies, lineage: d.tree === null ? undefined : parseViewLineage(d.tree) };
    relations.set(d.oid, {
      oid: d.oid,
      schema: d.schema,
      name: d.name,
      kind: d.kind,
      columns: d.columns,
      parents: d.parents,
      children: d.children,
      view,
    });
  }
  return relations;
}

/** The origin of every column of `relation` (empty when the catalog did not return it). */
export function resolveColumnOrigins(relations: ReadonlyMap<number, CatalogRelation>, relation: number): ReadonlyMap<number, ColumnOrigin> {
  const resolver = new OriginResolver(relations);
  const origins = new Map<number, ColumnOrigin>();
  for (const attnum of relations.get(relation)?.columns.keys() ?? []) origins.set(attnum, resolver.origin(relation, attnum));
  return origins;
}

class OriginResolver {
  private readonly memo = new Map<string, ColumnOrigin>();
  /** Views being expanded, to stop on a cycle (which PostgreSQL refuses to run anyway). */
  private readonly path = new Set<number>();

  constructor(private readonly relations: ReadonlyMap<number, CatalogRelation>) {}

  origin(relation: number, attnum: number): ColumnOrigin {
    const key = `${relation}:${attnum}`;
    let origin = this.memo.get(key);
    if (origin === undefined) {
      origin = this.compute(relation, attnum);
      this.memo.set(key, origin);
    }
    return origin;
  }

  private compute(relation: number, attnum: number): ColumnOrigin {
    const rel = this.relations.get(relation);
    const name = rel?.columns.get(attnum);
    if (rel === undefined || name === undefined) return UNKNOWN;
    const origin = new OriginBuilder();
    origin.candidate(refOf(rel, name));
    if (isSystemSchema(rel.schema)) return origin.unknown().build();
    // A partition's rows are the parent's rows: a rule on the parent (or on a child whose rows a
    // read of the parent returns) names them too. Partitions and inheritance children keep the
    // parent's column names; attribute numbers may differ.
    for (const ancestor of this.closure(rel, 'parents')) {
      if (ancestor === undefined) origin.unknown();
      else if (hasColumn(ancestor, name)) origin.candidate(refOf(ancestor, name));
    }
    for (const descendant of this.closure(rel, 'children')) {
      if (descendant === undefined) origin.unknown();
      else origin.candidate(refOf(descendant, name));
    }
    if (rel.kind === 'v' || rel.kind === 'm') this.expandView(rel, attnum, name, origin);
    return origin.build();
  }

  private expandView(view: CatalogRelation, attnum: number, name: string, origin: OriginBuilder): void {
    const definition = view.view;
    if (definition === undefined || this.path.has(view.oid) || this.path.size >= MAX_VIEW_DEPTH) {
      origin.unknown();
      return;
    }
    this.path.add(view.oid);
    try {
      const source = definition.lineage?.get(attnum);
      if (source?.kind === 'column') origin.merge(this.origin(source.relation, source.attnum));
      // Also every base column of the same name: over-masks a view that swaps names, never under-masks.
      for (const dep of definition.dependencies) {
        if (dep.attnum > 0 && this.relations.get(dep.relation)?.columns.get(dep.attnum) === name) {
          origin.merge(this.origin(dep.relation, dep.attnum));
        }
      }
      if (source?.kind === 'column') return;
      // Computed (or unreadable): it may be derived from anything the view reads.
      origin.unknown();
      for (const dep of definition.dependencies) {
        const base = this.relations.get(dep.relation);
        if (base === undefined) continue;
        for (const baseAttnum of dep.attnum > 0 ? [dep.attnum] : base.columns.keys())
          origin.dependOn(this.origin(dep.relation, baseAttnum));
      }
    } finally {
      this.path.delete(view.oid);
    }
  }

  /** Ancestors or descendants, nearest first; `undefined` for one the catalog did not return. */
  private *closure(rel: CatalogRelation, direction: 'parents' | 'children'): Generator<CatalogRelation | undefined> {
    const seen = new Set<number>([rel.oid]);
    const queue = [...rel[direction]];
    for (let oid = queue.shift(); oid !== undefined; oid = queue.shift()) {
      if (seen.has(oid)) continue;
      seen.add(oid);
      const next = this.relations.get(oid);
      yield next;
      if (next) queue.push(...next[direction]);
    }
  }
}

class OriginBuilder {
  private readonly candidates = new Map<string, ColumnRef>();
  private readonly dependencies = new Map<string, ColumnRef>();
  private unknownProvenance = false;

  candidate(ref: ColumnRef): this {
    this.candidates.set(keyOf(ref), ref);
    return this;
  }

  unknown(): this {
    this.unknownProvenance = true;
    return this;
  }

  merge(origin: ColumnOrigin): void {
    for (const ref of origin.candidates) this.candidate(ref);
    for (const ref of origin.dependencies) this.dependencies.set(keyOf(ref), ref);
    this.unknownProvenance ||= origin.unknownProvenance;
  }

  /** Everything `origin` may carry becomes a dependency: a rule on it masks this column. */
  dependOn(origin: ColumnOrigin): void {
    for (const ref of [...origin.candidates, ...origin.dependencies]) this.dependencies.set(keyOf(ref), ref);
  }

  build(): ColumnOrigin {
    return {
      candidates: [...this.candidates.values()],
      dependencies: [...this.dependencies.values()],
      unknownProvenance: this.unknownProvenance,
    };
  }
}

function refOf(rel: CatalogRelation, column: string): ColumnRef {
  return { schema: rel.schema, table: rel.name, column };
}

function keyOf(ref: ColumnRef): string {
  return JSON.stringify([ref.schema, ref.table, ref.column]);
}

function hasColumn(rel: CatalogRelation, name: string): boolean {
  for (const column of rel.columns.values()) if (column === name) return true;
  return false;
}

function oidOf(value: string | null | undefined): number {
  if (value == null || !/^\d{1,10}$/.test(value)) throw new Error('unexpected catalog row: not an OID or attribute number');
  return Number(value);
}

function malformed(row: readonly (string | null)[]): Error {
  return new Error(`unexpected catalog row of kind ${JSON.stringify(row[0])}`);
}
