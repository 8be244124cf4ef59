import type { ColumnRef } from '@sluice/masking';
import { describe, expect, it } from 'vitest';
import { MAX_VIEW_DEPTH, catalogFromRows, resolveColumnOrigins, type ColumnOrigin } from './column-origin.js';

type Row = (string | null)[];

const relation = (oid: number, kind: string, name: string, schema = 'public'): Row => ['r', String(oid), kind, schema, name];
const columns = (oid: number, ...names: string[]): Row[] => names.map((name, i) => ['a', String(oid), String(i + 1), name, null]);
const inherits = (child: number, parent: number): Row => ['i', String(child), String(parent), null, null];
const dependsOn = (view: number, base: number, attnum: number): Row => ['d', String(view), String(base), String(attnum), null];
/** A `_RETURN` query tree whose output columns read `origins[i]` ([0, 0]: computed). */
const query = (view: number, ...origins: [number, number][]): Row => [
  'q',
  String(view),
  `({QUERY :commandType 1 :targetList (${origins
    .map(([tbl, col], i) => `{TARGETENTRY :expr <> :resno ${i + 1} :resname c${i} :resorigtbl ${tbl} :resorigcol ${col} :resjunk false}`)
    .join(' ')}) :stmt_len 1})`,
  null,
  null,
];

const CUSTOMERS = 10;
const ORDERS = 20;
const ORDERS_EU = 21;
const ORDERS_EU_1 = 22;
const CONTACTS = 30; // SELECT id, full_name, email FROM customers
const SWAPPED = 31; // SELECT email AS full_name, full_name AS email FROM customers
const DISPLAY = 32; // SELECT id, full_name || email AS full_name FROM customers
const ON_CONTACTS = 33; // SELECT email AS e FROM contacts
const WHOLE = 34; // SELECT c::text AS t FROM customers c
const ACTIVITY = 12222;

const rows: Row[] = [
  relation(CUSTOMERS, 'r', 'customers'),
  ...columns(CUSTOMERS, 'id', 'full_name', 'email', 'ssn'),
  relation(ORDERS, 'p', 'orders'),
  ...columns(ORDERS, 'id', 'region', 'customer_email'),
  relation(ORDERS_EU, 'p', 'orders_eu'),
  // A partition may number its columns differently (dropped columns): names are what match.
  ...columns(ORDERS_EU, 'customer_email', 'id', 'region'),
  inherits(ORDERS_EU, ORDERS),
  relation(ORDERS_EU_1, 'r', 'orders_eu_1', 'archive'),
  inherits(ORDERS_EU_1, ORDERS_EU),
  relation(CONTACTS, 'v', 'contacts'),
  ...columns(CONTACTS, 'id', 'full_name', 'email'),
  dependsOn(CONTACTS, CUSTOMERS, 1),
  dependsOn(CONTACTS, CUSTOMERS, 2),
  dependsOn(CONTACTS, CUSTOMERS, 3),
  query(CONTACTS, [CUSTOMERS, 1], [CUSTOMERS, 2], [CUSTOMERS, 3]),
  relation(SWAPPED, 'v', 'swapped'),
  ...columns(SWAPPED, 'full_name', 'email'),
  dependsOn(SWAPPED, CUSTOMERS, 2),
  dependsOn(SWAPPED, CUSTOMERS, 3),
  query(SWAPPED, [CUSTOMERS, 3], [CUSTOMERS, 2]),
  relation(DISPLAY, 'v', 'display'),
  ...columns(DISPLAY, 'id', 'full_name'),
  dependsOn(DISPLAY, CUSTOMERS, 1),
  dependsOn(DISPLAY, CUSTOMERS, 2),
  dependsOn(DISPLAY, CUSTOMERS, 3),
  query(DISPLAY, [CUSTOMERS, 1], [0, 0]),
  relation(ON_CONTACTS, 'v', 'on_contacts'),
  ...columns(ON_CONTACTS, 'e'),
  dependsOn(ON_CONTACTS, CONTACTS, 3),
  query(ON_CONTACTS, [CONTACTS, 3]),
  relation(WHOLE, 'v', 'whole'),
  ...columns(WHOLE, 't'),
  dependsOn(WHOLE, CUSTOMERS, 0),
  query(WHOLE, [0, 0]),
  relation(ACTIVITY, 'v', 'pg_stat_activity', 'pg_catalog'),
  ...columns(ACTIVITY, 'datid', 'query'),
];

const catalog = catalogFromRows(rows);
const originOf = (oid: number, attnum: number): ColumnOrigin | undefined => resolveColumnOrigins(catalog, oid).get(attnum);
const names = (refs: readonly ColumnRef[] | undefined): string[] =>
  (refs ?? []).map((r) => `${r.schema ?? ''}.${r.table ?? ''}.${r.column}`);

describe('resolveColumnOrigins', () => {
  it('names a plain table column by itself', () => {
    expect(originOf(CUSTOMERS, 3)).toEqual({
      candidates: [{ schema: 'public', table: 'customers', column: 'email' }],
      dependencies: [],
      unknownProvenance: false,
    });
  });

  it('names a partition column by the same-named column of every ancestor, then of every descendant', () => {
    expect(names(originOf(ORDERS_EU, 1)?.candidates)).toEqual([
      'public.orders_eu.customer_email',
      'public.orders.customer_email',
      'archive.orders_eu_1.customer_email',
    ]);
    expect(names(originOf(ORDERS_EU_1, 1)?.candidates)).toEqual([]); // a descendant's own columns were not asked for
    expect(names(originOf(ORDERS, 3)?.candidates)).toEqual([
      'public.orders.customer_email',
      'public.orders_eu.customer_email',
      'archive.orders_eu_1.customer_email',
    ]);
    expect(originOf(ORDERS_EU, 1)?.unknownProvenance).toBe(false);
  });

  it('names a view column by the base column it reads and by base columns of its name', () => {
    expect(names(originOf(CONTACTS, 3)?.candidates)).toEqual(['public.contacts.email', 'public.customers.email']);
    expect(originOf(CONTACTS, 3)?.unknownProvenance).toBe(false);
    // Swapped names: each column carries both base columns (over-masking, never leaking).
    expect(names(originOf(SWAPPED, 1)?.candidates)).toEqual([
      'public.swapped.full_name',
      'public.customers.email',
      'public.customers.full_name',
    ]);
  });

  it('follows views on views', () => {
    expect(names(originOf(ON_CONTACTS, 1)?.candidates)).toEqual([
      'public.on_contacts.e',
      'public.contacts.email',
      'public.customers.email',
    ]);
  });

  it('gives a computed view column every column the view reads as a dependency, and unknown provenance', () => {
    const display = originOf(DISPLAY, 2);
    expect(names(display?.candidates)).toEqual(['public.display.full_name', 'public.customers.full_name']);
    expect(names(display?.dependencies)).toEqual(['public.customers.id', 'public.customers.full_name', 'public.customers.email']);
    expect(display?.unknownProvenance).toBe(true);
    // A whole-row reference (attnum 0) depends on every column of the relation.
    expect(names(originOf(WHOLE, 1)?.dependencies)).toEqual([
      'public.customers.id',
      'public.customers.full_name',
      'public.customers.email',
      'public.customers.ssn',
    ]);
  });

  it('treats a view whose query tree was not read (too large, not understood) as computed', () => {
    const unread = catalogFromRows([
      relation(CUSTOMERS, 'r', 'customers'),
      ...columns(CUSTOMERS, 'id', 'email'),
      relation(CONTACTS, 'v', 'contacts'),
      ...columns(CONTACTS, 'id', 'email'),
      dependsOn(CONTACTS, CUSTOMERS, 1),
      dependsOn(CONTACTS, CUSTOMERS, 2),
      ['q', String(CONTACTS), null, null, null],
    ]);
    const id = resolveColumnOrigins(unread, CONTACTS).get(1);
    expect(names(id?.candidates)).toEqual(['public.contacts.id', 'public.customers.id']);
    expect(names(id?.dependencies)).toEqual(['public.customers.id', 'public.customers.email']);
    expect(id?.unknownProvenance).toBe(true);
  });

  it('treats system catalog columns, unknown relations, views without a query and view cycles as unknown provenance', () => {
    expect(originOf(ACTIVITY, 2)).toEqual({
      candidates: [{ schema: 'pg_catalog', table: 'pg_stat_activity', column: 'query' }],
      dependencies: [],
      unknownProvenance: true,
    });
    for (const schema of ['information_schema', 'pg_toast', 'pg_toast_temp_3']) {
      const system = catalogFromRows([relation(1, 'r', 't', schema), ...columns(1, 'c')]);
      expect(resolveColumnOrigins(system, 1).get(1)?.unknownProvenance).toBe(true);
    }
    expect(resolveColumnOrigins(catalog, 999).size).toBe(0);
    const noQuery = catalogFromRows([relation(1, 'v', 'v'), ...columns(1, 'c')]);
    expect(resolveColumnOrigins(noQuery, 1).get(1)?.unknownProvenance).toBe(true);
    const cycle = catalogFromRows([
      relation(1, 'v', 'a'),
      ...columns(1, 'x'),
      query(1, [2, 1]),
      relation(2, 'v', 'b'),
      ...columns(2, 'x'),
      query(2, [1, 1]),
    ]);
    expect(resolveColumnOrigins(cycle, 1).get(1)?.unknownProvenance).toBe(true);
  });

  it('stops following views on views past MAX_VIEW_DEPTH', () => {
    const chain = (length: number): Row[] => [
      relation(1, 'r', 'base'),
      ...columns(1, 'email'),
      ...Array.from({ length }, (_, i) => [
        relation(100 + i, 'v', `v${i}`),
        ...columns(100 + i, 'email'),
        query(100 + i, [i === 0 ? 1 : 99 + i, 1]),
      ]).flat(),
    ];
    const shallow = resolveColumnOrigins(catalogFromRows(chain(MAX_VIEW_DEPTH)), 100 + MAX_VIEW_DEPTH - 1).get(1);
    expect(shallow?.unknownProvenance).toBe(false);
    expect(names(shallow?.candidates)).toContain('public.base.email');
    const deep = resolveColumnOrigins(catalogFromRows(chain(MAX_VIEW_DEPTH + 1)), 100 + MAX_VIEW_DEPTH).get(1);
    expect(deep?.unknownProvenance).toBe(true);
  });
});

describe('catalogFromRows', () => {
  it.each([
    ['an unknown kind', [['x', '1', null, null, null]]],
    ['a relation without a name', [['r', '1', 'r', 'public', null]]],
    ['an OID that is not a number', [['r', '1; DROP', 'r', 'public', 't']]],
    ['an attribute without a name', [relation(1, 'r', 't'), ['a', '1', '1', null, null]]],
  ])('refuses %s (the caller then treats the columns as unresolved)', (_name, bad) => {
    expect(() => catalogFromRows(bad as Row[])).toThrow(/unexpected catalog row/);
  });
});
