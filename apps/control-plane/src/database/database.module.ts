import { Global, Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { dataSourceOptions } from './data-source-options.js';
import { runMigrations } from './migrate.js';

/** Injection token of the control plane's database URL (for the few clients TypeORM does not pool, e.g. LISTEN). */
export const DATABASE_URL = Symbol('DatabaseUrl');

@Global()
@Module({})
export class DatabaseModule {
  /** Connects, then applies pending migrations before any other module can touch a table. */
  static forUrl(url: string, poolSize: number, logger: Logger): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [{ provide: DATABASE_URL, useValue: url }],
      exports: [DATABASE_URL],
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => dataSourceOptions(url, poolSize),
          dataSourceFactory: async (options) => {
            if (!options) throw new Error('no data source options');
            const dataSource = await new DataSource(options).initialize();
            const applied = await runMigrations(dataSource);
            logger.info({ applied }, applied.length > 0 ? 'database migrations applied' : 'database schema up to date');
            return dataSource;
          },
        }),
      ],
    };
  }
}
