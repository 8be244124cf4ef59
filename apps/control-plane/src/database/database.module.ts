import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { dataSourceOptions } from './data-source-options.js';
import { runMigrations } from './migrate.js';

@Module({})
export class DatabaseModule {
  /** Connects, then applies pending migrations before any other module can touch a table. */
  static forUrl(url: string, poolSize: number, logger: Logger): DynamicModule {
    return {
      module: DatabaseModule,
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
