import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Policy versions (issue 5, "Storage and API"): every version kept, with who made it, when and why.
 * Every activation writes a new, higher version (a rollback copies an old one), so the history is
 * append-only; exactly one row is active at a time.
 */
export class PolicyVersions1764160000000 implements MigrationInterface {
  name = 'PolicyVersions1764160000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE policy_versions (
        version          integer PRIMARY KEY CHECK (version > 0),
        format           text NOT NULL CHECK (format IN ('yaml', 'json')),
        document         text NOT NULL,
        content_sha256   text NOT NULL,
        source           text NOT NULL CHECK (source IN ('api', 'rollback', 'file')),
        rolled_back_from integer REFERENCES policy_versions (version),
        created_by       text NOT NULL,
        created_by_name  text,
        comment          text,
        created_at       timestamptz NOT NULL DEFAULT now(),
        active           boolean NOT NULL DEFAULT false,
        activated_at     timestamptz,
        CHECK ((source = 'rollback') = (rolled_back_from IS NOT NULL))
      )`);
    // At most one active version, enforced by the database rather than by every writer.
    await queryRunner.query(`CREATE UNIQUE INDEX policy_versions_one_active ON policy_versions ((true)) WHERE active`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE policy_versions`);
  }
}
