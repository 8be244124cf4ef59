import { Injectable } from '@nestjs/common';
import {
  explain,
  type CompiledPolicy,
  type Decision,
  type DecisionEffect,
  type PolicyCommand,
  type PolicyConnection,
  type PolicyPrincipal,
  type RuleExplanation,
} from '@sluice/policy';
import { classifyPostgres, loadSqlParser, type SqlClassification } from '@sluice/sql';
import { ConnectionsService } from '../connections/connections.service.js';
import { PrincipalsService } from '../identity/principals.service.js';
import type { ExplainBody } from './policy-explain.schema.js';
import { policyCommandOfStatement, policyConnection, policyPrincipal } from './policy-input.mapper.js';
import { PolicyService } from './policy.service.js';

/** One statement (or the one inline command) and what policy makes of it. */
export interface StatementExplanation {
  readonly command: PolicyCommand;
  readonly decision: Decision;
  readonly rules: readonly RuleExplanation[];
}

/** The classification without its per-statement parts (those are in `statements[].command`). */
export type ClassificationSummary = Omit<SqlClassification, 'statements'>;

export interface PolicyExplanation {
  /** The version every statement was explained against, as decisions carry it. */
  readonly policyVersion: string;
  readonly principal: PolicyPrincipal;
  readonly connection: PolicyConnection;
  /** PostgreSQL text only: the classifier's view of the whole text; null for inline command facts. */
  readonly classification: ClassificationSummary | null;
  /** The deciding statement's decision: the most restrictive one (deny > review > mask > allow). */
  readonly decision: Decision;
  /** Every rule of the policy, in order, for the deciding statement: whether it matched and why. */
  readonly rules: readonly RuleExplanation[];
  readonly statements: readonly StatementExplanation[];
  /** Things explain cannot show in the decision but that change what would happen. */
  readonly notes: readonly string[];
}

export type ExplainResult =
  | { readonly ok: true; readonly explanation: PolicyExplanation }
  | { readonly ok: false; readonly status: 400 | 404; readonly message: string };

const EFFECT_RANK: Readonly<Record<DecisionEffect, number>> = { allow: 0, mask: 1, review: 2, deny: 3 };

/**
 * The explain call (issue 5): given a principal, a connection and a command, what the active policy
 * decides and why, rule by rule. PostgreSQL text is classified here with the same classifier the
 * agents use; the parser (about 150 MB of WASM) is loaded on the first such request, not at start.
 */
@Injectable()
export class PolicyExplainService {
  constructor(
    private readonly policy: PolicyService,
    private readonly principals: PrincipalsService,
    private readonly connections: ConnectionsService,
  ) {}

  async explain(body: ExplainBody): Promise<ExplainResult> {
    const notes: string[] = [];
    let principal: PolicyPrincipal;
    if (body.principalId !== undefined) {
      const record = await this.principals.get(body.principalId);
      if (!record) return { ok: false, status: 404, message: `no principal ${body.principalId}` };
      if (record.revokedAt !== null) notes.push('the principal is revoked: its sessions are refused before policy is consulted');
      principal = policyPrincipal(record);
    } else if (body.principal !== undefined) {
      principal = body.principal;
    } else {
      return { ok: false, status: 400, message: 'give exactly one of principalId and principal' };
    }

    let connection: PolicyConnection;
    if (typeof body.connection === 'string') {
      const registered = await this.connections.get(body.connection);
      if (!registered) return { ok: false, status: 404, message: `no connection ${body.connection}` };
      connection = policyConnection(registered);
    } else {
      connection = body.connection;
    }

    const { text, protocol = connection.protocol, classes, http, k8s, ...facts } = body.command;
    let commands: PolicyCommand[];
    let classification: ClassificationSummary | null = null;
    if (classes !== undefined) {
      commands = [
        {
          classes,
          ...facts,
          ...(text !== undefined ? { text } : {}),
          ...(http !== undefined ? { http } : {}),
          ...(k8s !== undefined ? { k8s } : {}),
        },
      ];
    } else if (protocol === 'postgres' && text !== undefined) {
      await loadSqlParser();
      const { statements, ...summary } = classifyPostgres(text);
      classification = summary;
      commands = statements.map(policyCommandOfStatement);
      if (statements.some((s) => s.classes[0] === 'sql.utility.execute' || s.classes[0] === 'sql.utility.cursor')) {
        notes.push('EXECUTE and FETCH are explained on their own; an agent also applies what the session PREPAREd or DECLAREd before');
      }
    } else {
      return {
        ok: false,
        status: 400,
        message: `command text is classified for postgres only; for ${protocol}, give the command's classes`,
      };
    }

    // One policy for every statement, even if a new version is activated meanwhile.
    const policy: CompiledPolicy = this.policy.current;
    const now = body.now !== undefined ? new Date(body.now) : new Date();
    const statements = commands.map((command): StatementExplanation => {
      const explained = explain(policy, { principal, connection, command, now, ...(body.grants ? { grants: body.grants } : {}) });
      return { command, decision: explained.decision, rules: explained.rules };
    });
    const deciding = statements.reduce((worst, s) => (EFFECT_RANK[s.decision.effect] > EFFECT_RANK[worst.decision.effect] ? s : worst));
    if (statements.length > 1) notes.push('each statement is decided on its own; the query runs only if every statement may');
    return {
      ok: true,
      explanation: {
        policyVersion: policy.version ?? '',
        principal,
        connection,
        classification,
        decision: deciding.decision,
        rules: deciding.rules,
        statements,
        notes,
      },
    };
  }
}
