// A minimal agent speaking the real gRPC contract: it says hello, opens sessions with a client's
// token, asks for decisions and streams recording events. For system tests that drive the control
// plane's side of the link directly (identity, policy, audit, CLI).
import { Metadata, credentials, type ClientDuplexStream } from '@grpc/grpc-js';
import {
  AGENT_KEY_METADATA,
  loadAgentLinkPackage,
  type AgentMessage,
  type ControlMessage__Output,
  type ControlResponse__Output,
  type Decision__Output,
  type SessionEvent,
} from '@sluice/contract';
import { waitFor } from '@sluice/testing';

export interface RecordedEvent {
  readonly seq: number;
  readonly kind: string;
  readonly payload: Record<string, unknown> | string;
  readonly at?: number;
}

export class FakeAgent {
  readonly received: ControlMessage__Output[] = [];
  private readonly client;
  private readonly call: ClientDuplexStream<AgentMessage, ControlMessage__Output>;
  private nextId = 0;

  constructor(grpcPort: number, key: string, agentId: string, connections: string[]) {
    const contract = loadAgentLinkPackage();
    this.client = new contract.AgentLink(`127.0.0.1:${grpcPort}`, credentials.createInsecure());
    const metadata = new Metadata();
    metadata.set(AGENT_KEY_METADATA, `Bearer ${key}`);
    this.call = this.client.connect(metadata);
    this.call.on('data', (m: ControlMessage__Output) => this.received.push(m));
    this.call.on('error', () => undefined);
    this.call.write({
      hello: {
        agentId,
        version: 'test',
        segment: 'test',
        connections: connections.map((name) => ({ name, protocol: 'postgres', listenAddress: '127.0.0.1:1', tags: { env: 'test' } })),
      },
    });
  }

  async ready(): Promise<void> {
    await waitFor(() => (this.received.some((m) => m.body === 'helloAccepted') ? true : undefined));
  }

  async request(payload: Omit<AgentMessage['request'] & object, 'correlationId' | 'deadlineUnixMs'>): Promise<ControlResponse__Output> {
    const correlationId = `r-${++this.nextId}`;
    this.call.write({ request: { ...payload, correlationId, deadlineUnixMs: Date.now() + 10_000 } });
    const answer = await waitFor(() => this.received.find((m) => m.response?.correlationId === correlationId), 10_000);
    return answer.response!;
  }

  /** The control plane's answer to opening a session, whatever it is. */
  openSessionResponse(connection: string, token: string): Promise<ControlResponse__Output> {
    return this.request({
      openSession: { connection, token, clientAddress: '127.0.0.1:5555', clientApplication: 'vitest', clientUser: 'anyone' },
    });
  }

  /** Opens a session (throws when refused). */
  async openSession(connection: string, token: string): Promise<{ sessionId: string; principalId: string }> {
    const response = await this.openSessionResponse(connection, token);
    const opened = response.sessionOpened;
    if (!opened?.principal) throw new Error(`session refused: ${JSON.stringify(response.sessionRefused)}`);
    return { sessionId: opened.sessionId, principalId: opened.principal.id };
  }

  async closeSession(sessionId: string, reason = 'client_closed'): Promise<void> {
    await this.request({ closeSession: { sessionId, reason } });
  }

  /** Sends one batch (payloads given as objects are JSON-encoded). */
  send(sessionId: string, events: readonly RecordedEvent[]): void {
    const batch: SessionEvent[] = events.map((e) => ({
      sessionId,
      seq: e.seq,
      kind: e.kind,
      occurredAtUnixMs: e.at ?? Date.now(),
      payloadJson: typeof e.payload === 'string' ? e.payload : JSON.stringify(e.payload),
    }));
    this.call.write({ events: { events: batch } });
  }

  /** Whether the control plane has acknowledged (session, seq). */
  acked(sessionId: string, seq: number): boolean {
    return this.received.some((m) => m.eventAck?.events.some((ref) => ref.sessionId === sessionId && ref.seq === seq) === true);
  }

  /** Sends a batch and waits until every event of it is acknowledged. */
  async record(sessionId: string, events: readonly RecordedEvent[]): Promise<void> {
    this.send(sessionId, events);
    await waitFor(() => (events.every((e) => this.acked(sessionId, e.seq)) ? true : undefined), 10_000, 'event acknowledgements');
  }

  /** Asks for a decision on a SQL command, as an agent would after classifying it. */
  async decide(sessionId: string, command: { classes: string[]; tables: string[]; text: string }): Promise<Decision__Output> {
    const response = await this.request({
      decide: {
        sessionId,
        command: { ...command, tablesWritten: [], functions: [], hasWhere: '', fingerprint: `exact:${command.text}` },
      },
    });
    if (!response.decision) throw new Error(`no decision: ${JSON.stringify(response)}`);
    return response.decision;
  }

  /** InvalidateDecisions pushes received for a policy version. */
  invalidations(policyVersion: string): ControlMessage__Output[] {
    return this.received.filter((m) => m.push?.invalidateDecisions?.policyVersion === policyVersion);
  }

  close(): void {
    this.call.end();
    this.client.close();
  }
}

/** A typical recorded session: opened, statements with decisions and completions, closed. */
export function typicalSession(
  principalId: string,
  connection: string,
  statements: readonly { text: string; classes: string[]; effect: string; tag?: string; error?: string }[],
  startAt: number,
): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  let seq = 0;
  const push = (kind: string, payload: Record<string, unknown>) => {
    seq += 1;
    events.push({ seq, kind, payload, at: startAt + seq * 10 });
  };
  push('session.opened', {
    protocol: 'postgres',
    connection,
    clientAddress: '127.0.0.1:5555',
    clientApplication: 'vitest',
    clientUser: 'anyone',
    principal: { id: principalId, kind: 'workload', displayName: 'Demo AI agent', groups: ['ai-agents'], roles: [], appId: '' },
  });
  for (const s of statements) {
    push('command.received', {
      via: 'query',
      text: s.text,
      classes: s.classes,
      tables: [],
      tablesWritten: [],
      functions: [],
      hasWhere: false,
    });
    push('command.decided', {
      effect: s.effect,
      ruleIds: s.effect === 'allow' ? [] : ['rule-1'],
      reason: `${s.effect} by test`,
      policyVersion: 'v1',
      cached: false,
    });
    push('command.completed', {
      text: s.text,
      durationMs: 3,
      ...(s.error ? { error: s.error, refused: s.effect === 'deny' } : { tag: s.tag ?? 'SELECT 1', rows: 1 }),
    });
  }
  push('session.closed', { reason: 'client_closed' });
  return events;
}
