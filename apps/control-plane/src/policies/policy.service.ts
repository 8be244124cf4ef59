import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DEFAULT_POLICY, evaluate, parsePolicy, type CompiledPolicy, type Decision, type PolicyInput } from '@sluice/policy';
import { validateMaskPlan } from '@sluice/masking';
import { CONTROL_PLANE_CONFIG } from '../config/config.module.js';
import type { ControlPlaneConfig } from '../config/config.js';
import { APP_LOGGER, type AppLogger } from '../logging/app-logger.js';

/**
 * The active policy and evaluation against it. Until an admin uploads one, the policy comes from
 * SLUICE_POLICY_FILE when set, else the built-in default (allow all but DROP/TRUNCATE).
 */
@Injectable()
export class PolicyService implements OnModuleInit {
  private active: CompiledPolicy = DEFAULT_POLICY;

  constructor(
    @Inject(CONTROL_PLANE_CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  onModuleInit(): void {
    const file = this.config.policyFile;
    if (!file) {
      this.logger.info('using the built-in default policy (allow everything but DROP and TRUNCATE)');
      return;
    }
    const text = readFileSync(file, 'utf8');
    const version = `file:${createHash('sha256').update(text).digest('hex').slice(0, 12)}`;
    const loaded = parsePolicy(text, /\.json$/i.test(file) ? 'json' : 'yaml', { version, checkMaskPlan });
    if (!loaded.ok)
      throw new Error(`SLUICE_POLICY_FILE ${file} is invalid:\n${loaded.errors.map((e) => `  - ${e.path}: ${e.message}`).join('\n')}`);
    this.active = loaded.policy;
    this.logger.info({ file, version }, 'policy loaded from file');
  }

  get current(): CompiledPolicy {
    return this.active;
  }

  evaluate(input: PolicyInput): Decision {
    return evaluate(this.active, input);
  }
}

/** Mask plans are checked by the agents' own validator, so an accepted policy never fails on an agent. */
export function checkMaskPlan(plan: unknown): string[] {
  const result = validateMaskPlan(plan);
  return result.ok ? [] : [...result.errors];
}
