import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { ControlPlaneConfig } from './config.js';

/** Injection token for the validated, frozen ControlPlaneConfig. */
export const CONTROL_PLANE_CONFIG = Symbol('ControlPlaneConfig');

@Global()
@Module({})
export class ConfigModule {
  static forConfig(config: ControlPlaneConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: CONTROL_PLANE_CONFIG, useValue: config }],
      exports: [CONTROL_PLANE_CONFIG],
    };
  }
}
