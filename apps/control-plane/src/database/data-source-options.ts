import type { DataSourceOptions } from 'typeorm';
import { AgentKeyEntity } from '../agents/agent-key.entity.js';
import { AgentEntity } from '../agents/agent.entity.js';
import { ApprovalActionEntity } from '../approvals/approval-action.entity.js';
import { ApprovalRequestEntity } from '../approvals/approval-request.entity.js';
import { WebhookDeliveryEntity } from '../approvals/webhook-delivery.entity.js';
import { ConnectionEntity } from '../connections/connection.entity.js';
import { PrincipalEntity } from '../identity/principal.entity.js';
import { PolicyVersionEntity } from '../policies/policy-version.entity.js';
import { SessionEventEntity } from '../sessions/session-event.entity.js';
import { SessionEntity } from '../sessions/session.entity.js';
import { MIGRATIONS } from './migrations/index.js';

/** Every entity; each is owned by exactly one module, which alone reads and writes its table. */
export const ENTITIES = [
  AgentKeyEntity,
  AgentEntity,
  ConnectionEntity,
  PrincipalEntity,
  PolicyVersionEntity,
  SessionEntity,
  SessionEventEntity,
  ApprovalRequestEntity,
  ApprovalActionEntity,
  WebhookDeliveryEntity,
];

export function dataSourceOptions(url: string, poolSize: number): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    migrationsRun: false,
    // Never: the schema changes only through reviewed migrations.
    synchronize: false,
    logging: false,
    extra: { max: poolSize, application_name: 'sluice-control-plane' },
  };
}
