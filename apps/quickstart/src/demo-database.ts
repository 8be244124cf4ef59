import pg from 'pg';
import { demoCustomers } from './demo-data.js';

export const DEMO_DATABASE = 'demo';
export const DEMO_ROLE = 'demo_owner';
const CUSTOMER_COUNT = 300;

/**
 * Creates the demo target: role `demo_owner` (the credential only the agent holds) owning
 * `public.customers`, filled with fictitious rows. Idempotent: rerunning resets the password and
 * leaves existing rows alone.
 */
export async function seedDemoDatabase(adminUrl: string, demoUrl: string, demoPassword: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const role = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [DEMO_ROLE]);
    const verb = role.rowCount === 0 ? 'CREATE' : 'ALTER';
    await admin.query(`${verb} ROLE ${DEMO_ROLE} LOGIN PASSWORD ${admin.escapeLiteral(demoPassword)}`);
    await admin.query(`ALTER DATABASE ${DEMO_DATABASE} OWNER TO ${DEMO_ROLE}`);
  } finally {
    await admin.end();
  }

  const demo = new pg.Client({ connectionString: demoUrl });
  await demo.connect();
  try {
    await demo.query(`ALTER SCHEMA public OWNER TO ${DEMO_ROLE}`);
    await demo.query(`
      CREATE TABLE IF NOT EXISTS public.customers (
        id          integer PRIMARY KEY,
        full_name   text NOT NULL,
        email       text NOT NULL,
        card_number text NOT NULL,
        ssn         text NOT NULL,
        phone       text NOT NULL,
        created_at  timestamptz NOT NULL
      )`);
    await demo.query(`ALTER TABLE public.customers OWNER TO ${DEMO_ROLE}`);
    const existing = await demo.query<{ count: string }>('SELECT count(*) FROM public.customers');
    if (Number(existing.rows[0]?.count ?? 0) > 0) return;
    const rows = demoCustomers(CUSTOMER_COUNT);
    await demo.query(
      `INSERT INTO public.customers (id, full_name, email, card_number, ssn, phone, created_at)
       SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])`,
      [
        rows.map((r) => r.id),
        rows.map((r) => r.fullName),
        rows.map((r) => r.email),
        rows.map((r) => r.cardNumber),
        rows.map((r) => r.ssn),
        rows.map((r) => r.phone),
        rows.map((r) => r.createdAt.toISOString()),
      ],
    );
  } finally {
    await demo.end();
  }
}
