// The session as its client experienced it (issue 6 item 7; docs/audit.md "Replay"): recorded
// events folded into statements, each with its decision, approvals, result previews and completion.
// Pure: fed events in seq order, page by page.

export interface ReplayInputEvent {
  readonly seq: number;
  readonly kind: string;
  readonly occurredAt: Date;
  readonly payload: Record<string, unknown>;
}

export interface ReplayDecision {
  readonly seq: number;
  readonly at: string;
  readonly effect: string;
  readonly ruleIds: string[];
  readonly reason: string;
  readonly policyVersion: string;
  readonly cached: boolean;
}

export interface ReplayCompletion {
  readonly seq: number;
  readonly at: string;
  readonly durationMs: number | null;
  readonly tag: string | null;
  readonly rows: number | null;
  readonly error: string | null;
  readonly refused: boolean;
}

/** An event attached to a statement as the agent recorded it (approvals, result previews). */
export interface ReplayAttachment {
  readonly seq: number;
  readonly at: string;
  readonly kind: string;
  readonly payload: Record<string, unknown>;
}

export interface ReplayStatement {
  readonly seq: number;
  readonly at: string;
  readonly via: string | null;
  readonly text: string;
  readonly classes: string[];
  readonly tables: string[];
  decision: ReplayDecision | null;
  readonly approvals: ReplayAttachment[];
  readonly resultPreviews: ReplayAttachment[];
  completion: ReplayCompletion | null;
}

/** Events that belong to no statement: the session opening and closing, unknown kinds, orphans. */
export type ReplaySessionEvent = ReplayAttachment;

const BLOCKED_EFFECTS: ReadonlySet<string> = new Set(['deny', 'refused']);

export class ReplayBuilder {
  readonly statements: ReplayStatement[] = [];
  readonly events: ReplaySessionEvent[] = [];

  add(event: ReplayInputEvent): void {
    const at = event.occurredAt.toISOString();
    const p = event.payload;
    switch (event.kind) {
      case 'command.received':
        this.statements.push({
          seq: event.seq,
          at,
          via: str(p.via),
          text: str(p.text) ?? '',
          classes: strings(p.classes),
          tables: strings(p.tables),
          decision: null,
          approvals: [],
          resultPreviews: [],
          completion: null,
        });
        return;
      case 'command.decided': {
        const statement = this.findLast((s) => s.decision === null);
        if (!statement) return this.orphan(event, at);
        statement.decision = {
          seq: event.seq,
          at,
          effect: str(p.effect) ?? 'unknown',
          ruleIds: strings(p.ruleIds),
          reason: str(p.reason) ?? '',
          policyVersion: str(p.policyVersion) ?? '',
          cached: p.cached === true,
        };
        return;
      }
      case 'approval.requested': {
        const statement =
          this.findLast((s) => s.decision?.effect === 'review' && !s.approvals.some((a) => a.kind === 'approval.requested')) ??
          this.statements.at(-1);
        if (!statement) return this.orphan(event, at);
        statement.approvals.push({ seq: event.seq, at, kind: event.kind, payload: p });
        return;
      }
      case 'approval.resolved': {
        const approvalId = str(p.approvalId);
        const statement =
          (approvalId === null ? undefined : this.findLast((s) => s.approvals.some((a) => str(a.payload.approvalId) === approvalId))) ??
          this.findLast(
            (s) => s.approvals.some((a) => a.kind === 'approval.requested') && !s.approvals.some((a) => a.kind === 'approval.resolved'),
          );
        if (!statement) return this.orphan(event, at);
        statement.approvals.push({ seq: event.seq, at, kind: event.kind, payload: p });
        return;
      }
      // Recorded by earlier agents as an event of its own; now the `preview` of `command.completed`.
      case 'command.result-preview': {
        const statement = this.findFirst((s) => s.completion === null && !BLOCKED_EFFECTS.has(s.decision?.effect ?? ''));
        if (!statement) return this.orphan(event, at);
        statement.resultPreviews.push({ seq: event.seq, at, kind: event.kind, payload: p });
        return;
      }
      case 'command.completed': {
        const text = str(p.text);
        const statement =
          (text === null ? undefined : this.findFirst((s) => s.completion === null && s.text === text)) ??
          this.findFirst((s) => s.completion === null);
        if (!statement) return this.orphan(event, at);
        const preview = p.preview;
        if (typeof preview === 'object' && preview !== null && !Array.isArray(preview)) {
          statement.resultPreviews.push({
            seq: event.seq,
            at,
            kind: 'command.result-preview',
            payload: preview as Record<string, unknown>,
          });
        }
        statement.completion = {
          seq: event.seq,
          at,
          durationMs: num(p.durationMs),
          tag: str(p.tag),
          rows: num(p.rows),
          error: str(p.error),
          refused: p.refused === true,
        };
        return;
      }
      default:
        this.orphan(event, at);
    }
  }

  private orphan(event: ReplayInputEvent, at: string): void {
    this.events.push({ seq: event.seq, at, kind: event.kind, payload: event.payload });
  }

  private findLast(match: (s: ReplayStatement) => boolean): ReplayStatement | undefined {
    for (let i = this.statements.length - 1; i >= 0; i--) {
      const statement = this.statements[i];
      if (statement && match(statement)) return statement;
    }
    return undefined;
  }

  private findFirst(match: (s: ReplayStatement) => boolean): ReplayStatement | undefined {
    return this.statements.find(match);
  }
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
