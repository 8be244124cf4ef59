import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The agent's Prometheus metrics (docs/operations.md lists them). */
export class AgentMetrics {
  readonly registry = new Registry();
  readonly sessionsOpen: Gauge;
  readonly statements: Counter<'effect'>;
  readonly decisionSeconds: Histogram<'source'>;
  readonly spoolBytes: Gauge;
  readonly recordingQueue: Gauge;
  readonly linkUp: Gauge;

  constructor(collect: { sessions: () => number; spoolBytes: () => number; recordingQueue: () => number; linkUp: () => boolean }) {
    collectDefaultMetrics({ register: this.registry, prefix: 'sluice_agent_' });
    this.sessionsOpen = new Gauge({
      name: 'sluice_agent_sessions_open',
      help: 'Client sessions open on this agent',
      registers: [this.registry],
      collect: gaugeOf(collect.sessions),
    });
    this.statements = new Counter({
      name: 'sluice_agent_statements_total',
      help: 'Commands decided, by effect (allow, mask, deny, review, refused)',
      labelNames: ['effect'],
      registers: [this.registry],
    });
    this.decisionSeconds = new Histogram({
      name: 'sluice_agent_decision_seconds',
      help: 'Time to a decision, by source (cache or control plane)',
      labelNames: ['source'],
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers: [this.registry],
    });
    this.spoolBytes = new Gauge({
      name: 'sluice_agent_spool_bytes',
      help: 'Recording events waiting on disk',
      registers: [this.registry],
      collect: gaugeOf(collect.spoolBytes),
    });
    this.recordingQueue = new Gauge({
      name: 'sluice_agent_recording_queue',
      help: 'Recording events in memory not yet acknowledged by the control plane',
      registers: [this.registry],
      collect: gaugeOf(collect.recordingQueue),
    });
    this.linkUp = new Gauge({
      name: 'sluice_agent_link_up',
      help: '1 while the link to the control plane is ready',
      registers: [this.registry],
      collect: gaugeOf(() => (collect.linkUp() ? 1 : 0)),
    });
  }
}

function gaugeOf(read: () => number) {
  return function (this: Gauge): void {
    this.set(read());
  };
}
