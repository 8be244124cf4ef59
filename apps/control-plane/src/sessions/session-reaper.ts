import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { CONTROL_PLANE_CONFIG } from '../config/config.module.js';
import type { ControlPlaneConfig } from '../config/config.js';
import { APP_LOGGER, type AppLogger } from '../logging/app-logger.js';
import { SessionsService } from './sessions.service.js';

/** Runs `SessionsService.reapUnreported` every `SLUICE_SESSION_REAP_INTERVAL_MS` (idempotent on every replica). */
@Injectable()
export class SessionReaper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sessions: SessionsService,
    @Inject(CONTROL_PLANE_CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.sessions.reapUnreported().catch((error: unknown) => {
        this.logger.warn({ err: (error as Error).message }, 'could not close unreported sessions; will retry');
      });
    }, this.config.sessions.reapIntervalMs);
    this.timer.unref();
  }

  beforeApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}
