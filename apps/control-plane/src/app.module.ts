import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import { AgentLinkModule } from './agent-link/agent-link.module.js';
import { AgentsModule } from './agents/agents.module.js';
import { AuditModule } from './audit/audit.module.js';
import { ConfigModule } from './config/config.module.js';
import type { ControlPlaneConfig } from './config/config.js';
import { ConnectionsModule } from './connections/connections.module.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { IdentityModule } from './identity/identity.module.js';
import { SessionsModule } from './sessions/sessions.module.js';
import { DecisionsModule } from './decisions/decisions.module.js';
import { ApprovalsModule } from './approvals/approvals.module.js';
import { LoggingModule } from './logging/logging.module.js';

@Module({})
export class AppModule {
  static register(config: ControlPlaneConfig, logger: Logger, databaseUrl: string): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forConfig(config),
        LoggingModule.forLogger(logger),
        DatabaseModule.forUrl(databaseUrl, config.database.poolSize, logger),
        ConnectionsModule,
        AgentsModule,
        AgentLinkModule,
        IdentityModule.register({ devIssuer: config.devIssuer.enabled }),
        SessionsModule,
        AuditModule,
        ApprovalsModule,
        DecisionsModule,
        HealthModule,
        MetricsModule,
      ],
    };
  }
}
