import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Session recordings, and the principal as it was when each session opened. */
export class SessionEvents1764150000000 implements MigrationInterface {
  name = 'SessionEvents1764150000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE sessions ADD COLUMN principal jsonb NOT NULL DEFAULT '{}'`);
    await queryRunner.query(`
      CREATE TABLE session_events (
        session_id  uuid NOT NULL REFERENCES sessions (id),
        seq         bigint NOT NULL CHECK (seq > 0),
        kind        text NOT NULL,
        occurred_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        payload     jsonb NOT NULL,
        PRIMARY KEY (session_id, seq)
      )`);
    await queryRunner.query(`CREATE INDEX session_events_occurred_at_idx ON session_events (occurred_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE session_events`);
    await queryRunner.query(`ALTER TABLE sessions DROP COLUMN principal`);
  }
}
