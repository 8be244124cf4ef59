// Entry point for the TypeORM CLI only (e.g. `typeorm migration:show -d dist/database/data-source.js`).
// The application builds its DataSource in database.module.ts.
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options.js';

const url = process.env.SLUICE_DATABASE_URL;
if (!url) throw new Error('SLUICE_DATABASE_URL must be set for the TypeORM CLI');

export default new DataSource(dataSourceOptions(url, 2));
