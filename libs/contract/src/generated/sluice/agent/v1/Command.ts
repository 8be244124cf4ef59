// Original file: proto/sluice/agent/v1/agent_link.proto

import type { HttpRequestFacts as _sluice_agent_v1_HttpRequestFacts, HttpRequestFacts__Output as _sluice_agent_v1_HttpRequestFacts__Output } from '../../../sluice/agent/v1/HttpRequestFacts.js';
import type { KubernetesRequestFacts as _sluice_agent_v1_KubernetesRequestFacts, KubernetesRequestFacts__Output as _sluice_agent_v1_KubernetesRequestFacts__Output } from '../../../sluice/agent/v1/KubernetesRequestFacts.js';

/**
 * Protocol-neutral facts about one command, as the agent's classifier saw them.
 */
export interface Command {
  /**
   * Command classes, e.g. "sql.dml.delete", "sql.cte.modifying", "k8s.exec", "http.POST".
   */
  'classes'?: (string)[];
  'tables'?: (string)[];
  'tablesWritten'?: (string)[];
  'functions'?: (string)[];
  /**
   * "yes" | "no" | "" (not applicable)
   */
  'hasWhere'?: (string);
  /**
   * The command as the client sent it (statement text, request line).
   */
  'text'?: (string);
  /**
   * Stable key of the command with constants stripped: the decision-cache key.
   */
  'fingerprint'?: (string);
  'http'?: (_sluice_agent_v1_HttpRequestFacts | null);
  'kubernetes'?: (_sluice_agent_v1_KubernetesRequestFacts | null);
}

/**
 * Protocol-neutral facts about one command, as the agent's classifier saw them.
 */
export interface Command__Output {
  /**
   * Command classes, e.g. "sql.dml.delete", "sql.cte.modifying", "k8s.exec", "http.POST".
   */
  'classes': (string)[];
  'tables': (string)[];
  'tablesWritten': (string)[];
  'functions': (string)[];
  /**
   * "yes" | "no" | "" (not applicable)
   */
  'hasWhere': (string);
  /**
   * The command as the client sent it (statement text, request line).
   */
  'text': (string);
  /**
   * Stable key of the command with constants stripped: the decision-cache key.
   */
  'fingerprint': (string);
  'http': (_sluice_agent_v1_HttpRequestFacts__Output | null);
  'kubernetes': (_sluice_agent_v1_KubernetesRequestFacts__Output | null);
}
