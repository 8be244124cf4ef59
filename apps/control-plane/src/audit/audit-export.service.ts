import { Injectable } from '@nestjs/common';
import type { AuditCursor, AuditRange } from '../sessions/session-queries.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { CONTROL_PLANE_VERSION } from '../version.js';
import { toOcsfEvent } from './ocsf-event.mapper.js';

/** Events read per query: memory holds one page, whatever the range (docs/audit.md "Export"). */
export const EXPORT_PAGE_SIZE = 1_000;

/** The audit export: recorded events as OCSF JSON lines, read by keyset pagination. */
@Injectable()
export class AuditExportService {
  constructor(private readonly sessions: SessionsService) {}

  /**
   * JSON lines (one OCSF event each, newline-terminated) for events with from <= occurred_at < to,
   * oldest first. Pull-driven: the next page is read only when the consumer wants more.
   */
  async *lines(range: AuditRange): AsyncGenerator<string> {
    let after: AuditCursor | undefined;
    for (;;) {
      const rows = await this.sessions.auditEvents(range, after, EXPORT_PAGE_SIZE);
      // One chunk per page: fewer, larger writes; still one page in memory.
      if (rows.length > 0) yield rows.map((row) => `${JSON.stringify(toOcsfEvent(row, CONTROL_PLANE_VERSION))}\n`).join('');
      const last = rows.at(-1);
      if (rows.length < EXPORT_PAGE_SIZE || !last) return;
      after = last.cursor;
    }
  }
}
