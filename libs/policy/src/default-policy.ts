// The policy in force until an admin uploads one (issue 5): everything is allowed except DROP and
// TRUNCATE, which destroy data irrecoverably.

import { compilePolicy, type CompiledPolicy } from './policy-compiler.js';
import type { PolicyDocument } from './policy-document.schema.js';

export const DEFAULT_POLICY_VERSION = 'default';

export const DEFAULT_POLICY_DOCUMENT: PolicyDocument = {
  rules: [
    {
      id: 'default-deny-drop',
      description: 'DROP destroys data and is blocked by the default policy',
      match: { commands: ['sql.ddl.drop'] },
      effect: { deny: { message: 'DROP is not allowed by the default policy; an admin can upload a policy that permits it' } },
    },
    {
      id: 'default-deny-truncate',
      description: 'TRUNCATE destroys data and is blocked by the default policy',
      match: { commands: ['sql.ddl.truncate'] },
      effect: { deny: { message: 'TRUNCATE is not allowed by the default policy; an admin can upload a policy that permits it' } },
    },
    {
      id: 'default-allow-session-open',
      description: 'Any verified principal may open a session',
      match: { commands: ['session.open'] },
      effect: { allow: {} },
    },
    {
      id: 'default-allow-all',
      description: 'Everything else is allowed until an admin uploads a policy',
      effect: { allow: {} },
    },
  ],
};

function compileDefault(): CompiledPolicy {
  const result = compilePolicy(DEFAULT_POLICY_DOCUMENT, { version: DEFAULT_POLICY_VERSION });
  if (!result.ok)
    throw new Error(`the built-in default policy is invalid: ${result.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  return result.policy;
}

export const DEFAULT_POLICY: CompiledPolicy = compileDefault();
