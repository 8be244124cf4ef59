import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Principals seen (identity) and sessions opened through agents. */
export class PrincipalsAndSessions1764140000000 implements MigrationInterface {
  name = 'PrincipalsAndSessions1764140000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE principals (
        id             text PRIMARY KEY,
        issuer         text NOT NULL,
        tenant_id      text,
        subject        text NOT NULL,
        kind           text NOT NULL CHECK (kind IN ('workload', 'user')),
        display_name   text,
        app_id         text,
        groups         jsonb NOT NULL DEFAULT '[]',
        roles          jsonb NOT NULL DEFAULT '[]',
        scopes         jsonb NOT NULL DEFAULT '[]',
        group_overage  boolean NOT NULL DEFAULT false,
        last_claims    jsonb NOT NULL DEFAULT '{}',
        first_seen_at  timestamptz NOT NULL DEFAULT now(),
        last_seen_at   timestamptz NOT NULL DEFAULT now(),
        revoked_at     timestamptz,
        revoked_by     text,
        revoke_reason  text
      )`);
    await queryRunner.query(`
      CREATE TABLE sessions (
        id                 uuid PRIMARY KEY,
        principal_id       text NOT NULL REFERENCES principals (id),
        connection         text NOT NULL,
        agent_id           text NOT NULL,
        client_address     text NOT NULL,
        client_application text,
        client_user        text,
        token_expires_at   timestamptz NOT NULL,
        opened_at          timestamptz NOT NULL DEFAULT now(),
        closed_at          timestamptz,
        close_reason       text
      )`);
    await queryRunner.query(`CREATE INDEX sessions_principal_open_idx ON sessions (principal_id) WHERE closed_at IS NULL`);
    await queryRunner.query(`CREATE INDEX sessions_opened_at_idx ON sessions (opened_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE sessions`);
    await queryRunner.query(`DROP TABLE principals`);
  }
}
