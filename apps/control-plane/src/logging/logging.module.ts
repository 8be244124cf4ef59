import { Global, Module, type DynamicModule } from '@nestjs/common';
import { APP_LOGGER, type AppLogger } from './app-logger.js';

@Global()
@Module({})
export class LoggingModule {
  static forLogger(logger: AppLogger): DynamicModule {
    return { module: LoggingModule, providers: [{ provide: APP_LOGGER, useValue: logger }], exports: [APP_LOGGER] };
  }
}
