import type { ColumnRef, MaskPlan } from '@sluice/masking';
import { BackendMessageCode, decodeBackendMessage, encodeBackendMessage, type ColumnDescription } from '@sluice/postgres-wire';
import { describe, expect, it } from 'vitest';
import type { ColumnOrigin } from './column-origin.js';
import { ResultMasker, compileMask, namedMaskFor, tableRef } from './result-masker.js';

const TEXT = 25;
const INT4 = 23;

const PLAN: MaskPlan = {
  columns: [
    { pattern: 'customers.email', strategy: { kind: 'redact' } },
    { pattern: 'orders.customer_email', strategy: { kind: 'partial', keepLast: 4 } },
    { pattern: 'public.customer_contacts.email', strategy: { kind: 'hash' } },
  ],
  detectors: [],
};
const mask = compileMask(PLAN, Buffer.alloc(32, 7));

const ref = (table: string, column: string): ColumnRef => ({ schema: 'public', table, column });
const origin = (candidates: ColumnRef[], more: Partial<ColumnOrigin> = {}): ColumnOrigin => ({
  candidates,
  dependencies: [],
  unknownProvenance: false,
  ...more,
});
const column = (typeOid = TEXT): ColumnDescription => ({
  name: 'c',
  tableOid: 16384,
  columnAttr: 1,
  typeOid,
  typeSize: -1,
  typeModifier: -1,
  format: 0,
});

/** The value one DataRow cell becomes. */
function masked(value: string, columnOrigin: ColumnOrigin | undefined, description = column(), tables: string[] = []): string | null {
  const masker = ResultMasker.forColumns([description], [columnOrigin], mask, tables);
  const raw = encodeBackendMessage({ kind: 'DataRow', values: [Buffer.from(value, 'utf8')] });
  const message = decodeBackendMessage({
    type: BackendMessageCode.DataRow,
    raw: masker.rewrite({ type: BackendMessageCode.DataRow, raw }),
  });
  if (message.kind !== 'DataRow') throw new Error('not a DataRow');
  return message.values[0]?.toString('utf8') ?? null;
}

const EMAIL = 'alice.archer@example.com';

describe('namedMaskFor', () => {
  it('asks every candidate, and the strictest rule that names one wins (fail closed)', () => {
    // A partition column: the parent's rule applies.
    expect(namedMaskFor(origin([ref('orders_eu', 'customer_email'), ref('orders', 'customer_email')]), mask.matcher)?.(EMAIL)).toBe(
      '*****.******@*******.com',
    );
    // A view column named by its own (hash) rule still gets the base column's stricter redact.
    expect(namedMaskFor(origin([ref('customer_contacts', 'email'), ref('customers', 'email')]), mask.matcher)?.(EMAIL)).toBe('[redacted]');
    expect(namedMaskFor(origin([ref('customer_contacts', 'email')]), mask.matcher)?.(EMAIL)).toMatch(/^h:/);
    expect(namedMaskFor(origin([ref('contacts', 'email'), ref('customers', 'email')]), mask.matcher)?.(EMAIL)).toBe('[redacted]');
  });

  it('matches candidates case-insensitively, as rules do', () => {
    expect(namedMaskFor(origin([{ schema: 'Public', table: 'Customers', column: 'EMAIL' }]), mask.matcher)?.(EMAIL)).toBe('[redacted]');
  });

  it('falls back to the dependencies of a computed view column only when no candidate is named', () => {
    const computed = origin([ref('display', 'full_name'), ref('customers', 'full_name')], {
      dependencies: [ref('customers', 'id'), ref('customers', 'email')],
      unknownProvenance: true,
    });
    expect(namedMaskFor(computed, mask.matcher)?.('Alice <a@b.co>')).toBe('[redacted]');
    expect(namedMaskFor(origin([ref('customers', 'id')], { dependencies: [ref('x', 'y')] }), mask.matcher)).toBeUndefined();
  });
});

describe('ResultMasker.forColumns', () => {
  it('masks a column named through any candidate with the rule, and nulls a non-string type', () => {
    expect(masked(EMAIL, origin([ref('customer_contacts', 'email')]))).toMatch(/^h:[0-9a-f]{16}$/);
    expect(masked(EMAIL, origin([ref('customer_contacts', 'email'), ref('customers', 'email')]))).toBe('[redacted]');
    expect(masked(EMAIL, origin([ref('v', 'email'), ref('customers', 'email')]))).toBe('[redacted]');
    expect(masked('42', origin([ref('v', 'n')], { dependencies: [ref('customers', 'email')] }), column(INT4))).toBeNull();
  });

  it('leaves a known user column no rule names to the plan’s detectors (none here)', () => {
    expect(masked(EMAIL, origin([ref('customers', 'full_name')]))).toBe(EMAIL);
  });

  it('scans a system catalog column and a computed view column with every detector; sends an unresolved table column as NULL', () => {
    const activity = origin([{ schema: 'pg_catalog', table: 'pg_stat_activity', column: 'query' }], { unknownProvenance: true });
    expect(masked(`SELECT pg_sleep(3) WHERE '${EMAIL}' <> ''`, activity)).toBe("SELECT pg_sleep(3) WHERE '[redacted]' <> ''");
    const computed = origin([ref('display', 'label')], { dependencies: [ref('customers', 'id')], unknownProvenance: true });
    expect(masked(`Alice <${EMAIL}>`, computed)).toBe('Alice <[redacted]>');
    expect(masked(EMAIL, undefined)).toBeNull();
    expect(masked(EMAIL, origin([], { unknownProvenance: true }))).toBe('[redacted]');
  });
});

describe('computed columns of a masked statement', () => {
  const computed = (typeOid = TEXT): ColumnDescription => ({ ...column(typeOid), tableOid: 0, columnAttr: 0 });

  it('get the strictest column rule of the tables the statement reads, unless they are scalar (numbers, times…)', () => {
    // `SELECT email FROM customers UNION …`, `SELECT (SELECT email …)`, `SELECT c FROM customers c`: no origin.
    expect(masked('no detector finds this', undefined, computed(), ['customers'])).toBe('[redacted]');
    expect(masked('no detector finds this', undefined, computed(), ['public.orders'])).toBe('** ******** ***** this');
    expect(masked('(1,secret)', undefined, computed(2249), ['customers'])).toBeNull();
    expect(masked('42', undefined, computed(INT4), ['customers'])).toBe('42');
    // Tables without column rules: every detector, as before.
    expect(masked(`hi ${EMAIL}`, undefined, computed(), ['products'])).toBe('hi [redacted]');
    expect(masked('plain', undefined, computed(), ['products'])).toBe('plain');
  });

  it('writes a masked json value as a JSON string, so drivers can still parse it', () => {
    const json = { ...column(114) };
    expect(JSON.parse(masked(`{"a":"${EMAIL}"}`, origin([ref('customers', 'email')]), json) ?? '')).toBe('[redacted]');
    expect(JSON.parse(masked('{"a":1}', undefined, { ...computed(3802) }, ['customers']) ?? '')).toBe('[redacted]');
  });

  it('reads table names as the classifier renders them', () => {
    expect(tableRef('vault')).toEqual({ table: 'vault', column: '' });
    expect(tableRef('app.vault')).toEqual({ schema: 'app', table: 'vault', column: '' });
    expect(tableRef('db.app.vault')).toEqual({ schema: 'app', table: 'vault', column: '' });
    expect(tableRef('"My.Schema"."Va""ult"')).toEqual({ schema: 'My.Schema', table: 'Va"ult', column: '' });
  });
});
