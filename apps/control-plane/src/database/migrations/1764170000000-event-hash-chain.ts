import type { MigrationInterface, QueryRunner } from 'typeorm';
import { GENESIS_HASH, eventHash } from '../../sessions/event-hash-chain.js';

/**
 * The per-session hash chain over session events (docs/audit.md "Hash chain"): `prev_hash`/`hash`
 * on every event, the chain head per session (`session_event_chains`, written in the same
 * transaction as the events), an append-only guard, and indexes for the audit queries. Events
 * recorded before this migration are chained here, in seq order, up to their first gap.
 */
export class EventHashChain1764170000000 implements MigrationInterface {
  name = 'EventHashChain1764170000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE session_events
        ADD COLUMN prev_hash bytea CHECK (octet_length(prev_hash) = 32),
        ADD COLUMN hash      bytea CHECK (octet_length(hash) = 32)`);
    await queryRunner.query(`
      CREATE TABLE session_event_chains (
        session_id   uuid PRIMARY KEY REFERENCES sessions (id),
        chained_seq  bigint NOT NULL DEFAULT 0 CHECK (chained_seq >= 0),
        head_hash    bytea NOT NULL DEFAULT decode('${GENESIS_HASH}', 'hex'),
        stored_count bigint NOT NULL DEFAULT 0,
        max_seq      bigint NOT NULL DEFAULT 0,
        updated_at   timestamptz NOT NULL DEFAULT now()
      )`);
    await this.chainExistingEvents(queryRunner);

    // Keyset pagination of the export walks (occurred_at, session_id, seq); the effect filter of
    // GET /sessions looks decisions up by effect.
    await queryRunner.query(`DROP INDEX session_events_occurred_at_idx`);
    await queryRunner.query(`CREATE INDEX session_events_export_idx ON session_events (occurred_at, session_id, seq)`);
    await queryRunner.query(
      `CREATE INDEX session_events_decision_effect_idx ON session_events ((payload->>'effect'), session_id) WHERE kind = 'command.decided'`,
    );
    await queryRunner.query(`CREATE INDEX sessions_connection_opened_idx ON sessions (connection, opened_at)`);
    await queryRunner.query(`CREATE INDEX sessions_principal_opened_idx ON sessions (principal_id, opened_at)`);

    // Append-only: a recorded event never changes, except that a pending event (stored before its
    // predecessor arrived) receives its hash once. Deleting needs an explicit, documented switch
    // (retention, docs/audit.md). This stops mistakes and the application's own role; a database
    // superuser can still switch it off, which is what the hash chain is there to expose.
    await queryRunner.query(`
      CREATE FUNCTION session_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' THEN
          IF OLD.hash IS NULL AND NEW.session_id = OLD.session_id AND NEW.seq = OLD.seq AND NEW.kind = OLD.kind
             AND NEW.occurred_at = OLD.occurred_at AND NEW.received_at = OLD.received_at AND NEW.payload = OLD.payload THEN
            RETURN NEW;
          END IF;
          RAISE EXCEPTION 'session_events is append-only: recorded events cannot be changed' USING ERRCODE = '42501';
        END IF;
        IF current_setting('sluice.allow_event_deletion', true) = 'on' THEN
          IF TG_OP = 'DELETE' THEN
            RETURN OLD;
          END IF;
          RETURN NULL;
        END IF;
        RAISE EXCEPTION 'session_events is append-only: delete old sessions through the retention procedure' USING ERRCODE = '42501';
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER session_events_append_only BEFORE UPDATE OR DELETE ON session_events
        FOR EACH ROW EXECUTE FUNCTION session_events_append_only()`);
    await queryRunner.query(`
      CREATE TRIGGER session_events_no_truncate BEFORE TRUNCATE ON session_events
        FOR EACH STATEMENT EXECUTE FUNCTION session_events_append_only()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER session_events_no_truncate ON session_events`);
    await queryRunner.query(`DROP TRIGGER session_events_append_only ON session_events`);
    await queryRunner.query(`DROP FUNCTION session_events_append_only()`);
    await queryRunner.query(`DROP INDEX sessions_principal_opened_idx`);
    await queryRunner.query(`DROP INDEX sessions_connection_opened_idx`);
    await queryRunner.query(`DROP INDEX session_events_decision_effect_idx`);
    await queryRunner.query(`DROP INDEX session_events_export_idx`);
    await queryRunner.query(`CREATE INDEX session_events_occurred_at_idx ON session_events (occurred_at)`);
    await queryRunner.query(`DROP TABLE session_event_chains`);
    await queryRunner.query(`ALTER TABLE session_events DROP COLUMN hash, DROP COLUMN prev_hash`);
  }

  /** Chains the events stored before the chain existed, session by session, up to the first gap. */
  private async chainExistingEvents(queryRunner: QueryRunner): Promise<void> {
    const sessions = (await queryRunner.query(`SELECT DISTINCT session_id FROM session_events`)) as { session_id: string }[];
    for (const { session_id: sessionId } of sessions) {
      const rows = (await queryRunner.query(
        `SELECT seq, kind, occurred_at, payload FROM session_events WHERE session_id = $1 ORDER BY seq`,
        [sessionId],
      )) as { seq: string; kind: string; occurred_at: Date; payload: unknown }[];
      let prev = GENESIS_HASH;
      let chained = 0;
      const updates: { seq: number; prev: string; hash: string }[] = [];
      for (const row of rows) {
        const seq = Number(row.seq);
        if (seq !== chained + 1) break;
        const hash = eventHash({ sessionId, seq, kind: row.kind, occurredAt: row.occurred_at, payload: row.payload }, prev);
        updates.push({ seq, prev, hash });
        prev = hash;
        chained = seq;
      }
      await queryRunner.query(
        `UPDATE session_events e SET prev_hash = decode(u.prev, 'hex'), hash = decode(u.hash, 'hex')
           FROM unnest($2::bigint[], $3::text[], $4::text[]) AS u(seq, prev, hash)
          WHERE e.session_id = $1 AND e.seq = u.seq`,
        [sessionId, updates.map((u) => u.seq), updates.map((u) => u.prev), updates.map((u) => u.hash)],
      );
      await queryRunner.query(
        `INSERT INTO session_event_chains (session_id, chained_seq, head_hash, stored_count, max_seq)
         VALUES ($1, $2, decode($3, 'hex'), $4, $5)`,
        [sessionId, chained, prev, rows.length, rows.length === 0 ? 0 : Number(rows[rows.length - 1]?.seq)],
      );
    }
  }
}
