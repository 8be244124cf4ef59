import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { validateMaskPlan } from '@sluice/masking';
import {
  DEFAULT_POLICY,
  compilePolicy,
  evaluate,
  parsePolicy,
  type CompiledPolicy,
  type Decision,
  type PolicyError,
  type PolicyFormat,
  type PolicyInput,
  type PolicyLoadResult,
} from '@sluice/policy';
import type { Logger } from 'pino';
import { AgentLinkServer } from '../agent-link/agent-link.server.js';
import { CONTROL_PLANE_CONFIG } from '../config/config.module.js';
import type { ControlPlaneConfig } from '../config/config.js';
import { APP_LOGGER, type AppLogger } from '../logging/app-logger.js';
import { PolicyChangeListener } from './policy-change.listener.js';
import { readPolicyFile } from './policy-file.js';
import type { PolicyUpload } from './policy-upload.js';
import { PolicyVersionsService, type NewPolicyVersion, type PolicyVersionWithDocument } from './policy-versions.service.js';

/** What this replica enforces now. */
export interface ActivePolicy {
  readonly compiled: CompiledPolicy;
  /** The stored version it came from; undefined while the built-in default is in force. */
  readonly stored: PolicyVersionWithDocument | undefined;
  /**
   * Set when the stored active version does not compile with this control plane's validator (e.g.
   * after an upgrade tightened it): everything is then denied until an admin activates a valid one.
   */
  readonly loadErrors?: readonly PolicyError[];
}

/** Who changes the policy, for the audit trail. */
export interface PolicyAuthor {
  readonly id: string;
  readonly name?: string;
}

export type PolicyChange =
  | { readonly ok: true; readonly stored: PolicyVersionWithDocument }
  | { readonly ok: false; readonly reason: 'invalid'; readonly errors: readonly PolicyError[] }
  | { readonly ok: false; readonly reason: 'not-found' };

/**
 * The active policy and evaluation against it (issue 5). At start: the SLUICE_POLICY_FILE bootstrap
 * (stored as a new version when newer), then the active stored version, else `DEFAULT_POLICY`.
 * Activations on any replica reach this one through PolicyChangeListener; each swap is followed by
 * an InvalidateDecisions push to the agents connected here — after the swap, so an agent that asks
 * again is answered by the new version.
 */
@Injectable()
export class PolicyService implements OnModuleInit {
  private state: ActivePolicy = { compiled: denyAllPolicy('not-loaded', 'the policy has not been loaded yet'), stored: undefined };
  private reloads: Promise<void> = Promise.resolve();
  private readonly logger: Logger;

  constructor(
    @Inject(CONTROL_PLANE_CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(APP_LOGGER) logger: AppLogger,
    private readonly versions: PolicyVersionsService,
    private readonly listener: PolicyChangeListener,
    private readonly agentLink: AgentLinkServer,
  ) {
    this.logger = logger.child({ component: 'policy' });
  }

  async onModuleInit(): Promise<void> {
    // Listen before loading: an activation between the two is then reloaded, not missed.
    await this.listener.start(() => void this.reload());
    if (this.config.policyFile !== undefined) await this.bootstrapFromFile(this.config.policyFile);
    await this.loadActive();
    if (!this.state.stored)
      this.logger.info('no policy stored: using the built-in default policy (allow everything but DROP and TRUNCATE)');
  }

  get current(): CompiledPolicy {
    return this.state.compiled;
  }

  get active(): ActivePolicy {
    return this.state;
  }

  evaluate(input: PolicyInput): Decision {
    return evaluate(this.state.compiled, input);
  }

  /** Validates an upload; only a valid one is stored (as the next version) and activated. */
  async upload(upload: PolicyUpload, author: PolicyAuthor): Promise<PolicyChange> {
    const checked = compileText(upload.text, upload.format, undefined);
    if (!checked.ok) return { ok: false, reason: 'invalid', errors: checked.errors };
    const stored = await this.versions.activate({
      format: upload.format,
      document: upload.text,
      source: 'api',
      ...authorFields(author),
      ...(upload.comment !== undefined ? { comment: upload.comment } : {}),
    });
    this.logger.info({ version: stored.version, by: author.id }, 'policy version uploaded and activated');
    this.adopt(stored);
    return { ok: true, stored };
  }

  /** Activates an old version's document again, as a new version that records where it came from. */
  async rollback(version: number, author: PolicyAuthor, comment: string | undefined): Promise<PolicyChange> {
    const old = await this.versions.get(version);
    if (!old) return { ok: false, reason: 'not-found' };
    // Re-validated: the validator may have tightened since that version was stored.
    const checked = compileText(old.document, old.format, undefined);
    if (!checked.ok) return { ok: false, reason: 'invalid', errors: checked.errors };
    const draft: NewPolicyVersion = {
      format: old.format,
      document: old.document,
      source: 'rollback',
      rolledBackFrom: version,
      ...authorFields(author),
      ...(comment !== undefined ? { comment } : {}),
    };
    const stored = await this.versions.activate(draft);
    this.logger.info({ version: stored.version, rolledBackFrom: version, by: author.id }, 'policy rolled back');
    this.adopt(stored);
    return { ok: true, stored };
  }

  /** Reloads the active version (serialized: notifications may arrive in bursts). Never rejects. */
  reload(): Promise<void> {
    this.reloads = this.reloads
      .then(() => this.loadActive())
      .catch((error: unknown) => this.logger.error({ err: error }, 'could not reload the active policy; keeping the current one'));
    return this.reloads;
  }

  private async loadActive(): Promise<void> {
    const stored = await this.versions.active();
    if (!stored) {
      if (!this.state.stored) this.state = { compiled: DEFAULT_POLICY, stored: undefined };
      return;
    }
    this.adopt(stored);
  }

  /**
   * Makes `stored` this replica's policy unless a newer one already is (activations always write a
   * higher number, so "newer" is "higher"), then tells the agents connected here to drop cached
   * decisions.
   */
  private adopt(stored: PolicyVersionWithDocument): void {
    if (stored.version <= (this.state.stored?.version ?? 0)) return;
    this.state = this.compile(stored);
    const policyVersion = String(stored.version);
    for (const agentId of this.agentLink.connectedAgentIds())
      this.agentLink.push(agentId, { invalidateDecisions: { policyVersion, principalId: '' } });
    this.logger.info({ version: stored.version, source: stored.source }, 'policy version in force');
  }

  private compile(stored: PolicyVersionWithDocument): ActivePolicy {
    const version = String(stored.version);
    const result = compileText(stored.document, stored.format, version);
    if (result.ok) return { compiled: result.policy, stored };
    this.logger.error(
      { version: stored.version, errors: result.errors.slice(0, 20) },
      'the active policy version does not compile: denying everything until an admin activates a valid one',
    );
    const message = `policy version ${version} could not be loaded by this control plane; an admin must activate a valid policy`;
    return { compiled: denyAllPolicy(version, message), stored, loadErrors: result.errors };
  }

  private async bootstrapFromFile(path: string): Promise<void> {
    const file = await readPolicyFile(path);
    const checked = compileText(file.text, file.format, undefined);
    if (!checked.ok) {
      // Fail visibly: a GitOps pipeline that shipped a broken policy must not go unnoticed.
      throw new Error(`SLUICE_POLICY_FILE ${path} is invalid:\n${checked.errors.map((e) => `  - ${e.path}: ${e.message}`).join('\n')}`);
    }
    const stored = await this.versions.activateFileIfNewer({
      format: file.format,
      document: file.text,
      source: 'file',
      createdBy: `file:${path}`,
      comment: 'applied from SLUICE_POLICY_FILE at start',
    });
    if (stored) this.logger.info({ file: path, version: stored.version }, 'policy file applied as a new version');
    else this.logger.info({ file: path }, 'policy file already applied; the active version is kept');
  }
}

function compileText(text: string, format: PolicyFormat, version: string | undefined): PolicyLoadResult {
  return parsePolicy(text, format, { ...(version !== undefined ? { version } : {}), checkMaskPlan });
}

function authorFields(author: PolicyAuthor): Pick<NewPolicyVersion, 'createdBy' | 'createdByName'> {
  return { createdBy: author.id, ...(author.name !== undefined ? { createdByName: author.name } : {}) };
}

/** A policy that refuses everything, saying why: the fail-closed stand-in when none can be loaded. */
function denyAllPolicy(version: string, message: string): CompiledPolicy {
  const result = compilePolicy(
    { rules: [{ id: 'policy-unavailable', description: 'No valid policy is loaded', effect: { deny: { message } } }] },
    { version },
  );
  if (!result.ok) throw new Error('the deny-all policy does not compile');
  return result.policy;
}

/** Mask plans are checked by the agents' own validator, so an accepted policy never fails on an agent. */
export function checkMaskPlan(plan: unknown): string[] {
  const result = validateMaskPlan(plan);
  return result.ok ? [] : [...result.errors];
}
