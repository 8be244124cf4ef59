import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Approval requests (per-command reviews and access requests), who acted on them, webhook deliveries. */
export class Approvals1764180000000 implements MigrationInterface {
  name = 'Approvals1764180000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE approval_requests (
        id                 uuid PRIMARY KEY,
        kind               text NOT NULL CHECK (kind IN ('command', 'access')),
        status             text NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'expired', 'consumed', 'revoked')),
        principal_id       text NOT NULL REFERENCES principals (id),
        principal_name     text,
        connection         text NOT NULL,
        session_id         uuid,
        agent_id           text,
        command_text       text,
        command_digest     text,
        command_classes    jsonb NOT NULL DEFAULT '[]',
        rule_ids           jsonb NOT NULL DEFAULT '[]',
        reason             text NOT NULL,
        approver_groups    jsonb NOT NULL DEFAULT '[]',
        min_approvals      integer NOT NULL DEFAULT 1 CHECK (min_approvals >= 1),
        requested_at       timestamptz NOT NULL DEFAULT now(),
        expires_at         timestamptz NOT NULL,
        resolved_at        timestamptz,
        resolved_by        text,
        resolution_comment text,
        use_until          timestamptz,
        consumed_at        timestamptz,
        grant_name         text,
        grant_seconds      integer,
        grant_expires_at   timestamptz
      )`);
    await queryRunner.query(
      `CREATE INDEX approval_requests_lookup_idx ON approval_requests (principal_id, connection, command_digest) WHERE kind = 'command'`,
    );
    await queryRunner.query(`CREATE INDEX approval_requests_status_idx ON approval_requests (status, requested_at)`);
    await queryRunner.query(`
      CREATE TABLE approval_actions (
        id          bigserial PRIMARY KEY,
        approval_id uuid NOT NULL REFERENCES approval_requests (id),
        actor_id    text NOT NULL,
        actor_name  text,
        action      text NOT NULL CHECK (action IN ('approve', 'deny', 'revoke')),
        comment     text NOT NULL,
        at          timestamptz NOT NULL DEFAULT now(),
        UNIQUE (approval_id, actor_id, action)
      )`);
    await queryRunner.query(`
      CREATE TABLE webhook_deliveries (
        id           bigserial PRIMARY KEY,
        approval_id  uuid NOT NULL,
        event        text NOT NULL,
        url          text NOT NULL,
        status       text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts     integer NOT NULL DEFAULT 0,
        last_error   text,
        created_at   timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE webhook_deliveries`);
    await queryRunner.query(`DROP TABLE approval_actions`);
    await queryRunner.query(`DROP TABLE approval_requests`);
  }
}
