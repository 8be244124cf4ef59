import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The control plane's Prometheus metrics (docs/operations.md lists them). */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly decisions = new Counter({
    name: 'sluice_control_plane_decisions_total',
    help: 'Policy decisions made for agents, by effect',
    labelNames: ['effect'] as const,
    registers: [this.registry],
  });
  readonly decisionSeconds = new Histogram({
    name: 'sluice_control_plane_decision_seconds',
    help: 'Time to decide a command (session lookup, policy, approvals)',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly agentsConnected = new Gauge({
    name: 'sluice_control_plane_agents_connected',
    help: 'Agent streams open on this replica',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'sluice_control_plane_' });
  }
}
