// Applies the control plane's pending database migrations and exits: for a Kubernetes init
// container or Job, or before an upgrade. Copied into the control-plane image as /app/migrate.mjs
// (the staged bundle's root), so it imports the bundle's own compiled code. It takes the same
// PostgreSQL advisory lock as the control plane's own start-up migration, so replicas, init
// containers and this script never migrate at the same time.
//   SLUICE_DATABASE_URL=postgres://… node migrate.mjs
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './dist/database/data-source-options.js';
import { runMigrations } from './dist/database/migrate.js';

const url = process.env.SLUICE_DATABASE_URL;
if (!url) {
  process.stderr.write('sluice migrate: SLUICE_DATABASE_URL is required\n');
  process.exit(2);
}

function log(level, msg, fields = {}) {
  process.stdout.write(`${JSON.stringify({ level, time: new Date().toISOString(), service: 'sluice-migrate', ...fields, msg })}\n`);
}

// Two connections: one holds the advisory lock while the other runs the migrations.
const dataSource = new DataSource(dataSourceOptions(url, 2));
try {
  await dataSource.initialize();
  const applied = await runMigrations(dataSource);
  log(30, applied.length > 0 ? 'database migrations applied' : 'database schema up to date', { applied });
} catch (error) {
  // The message only: a driver error can quote the connection string.
  log(60, 'database migration failed', { error: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
} finally {
  if (dataSource.isInitialized) await dataSource.destroy();
}
