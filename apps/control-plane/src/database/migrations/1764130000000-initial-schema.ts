import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Agents, their keys and the connections they serve (walking skeleton). */
export class InitialSchema1764130000000 implements MigrationInterface {
  name = 'InitialSchema1764130000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE agent_keys (
        id            text PRIMARY KEY,
        name          text NOT NULL,
        secret_sha256 text NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now(),
        disabled_at   timestamptz,
        last_used_at  timestamptz
      )`);
    await queryRunner.query(`
      CREATE TABLE agents (
        id                text PRIMARY KEY,
        segment           text NOT NULL,
        version           text NOT NULL,
        key_id            text NOT NULL REFERENCES agent_keys (id),
        link_id           text,
        first_seen_at     timestamptz NOT NULL DEFAULT now(),
        connected_at      timestamptz,
        disconnected_at   timestamptz,
        last_heartbeat_at timestamptz
      )`);
    await queryRunner.query(`
      CREATE TABLE connections (
        name           text PRIMARY KEY,
        protocol       text NOT NULL,
        listen_address text NOT NULL,
        tags           jsonb NOT NULL,
        agent_id       text NOT NULL REFERENCES agents (id),
        updated_at     timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX connections_agent_id_idx ON connections (agent_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE connections`);
    await queryRunner.query(`DROP TABLE agents`);
    await queryRunner.query(`DROP TABLE agent_keys`);
  }
}
