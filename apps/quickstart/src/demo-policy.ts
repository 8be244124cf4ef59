/**
 * The quick start's policy (written to the state directory and loaded with SLUICE_POLICY_FILE):
 * DROP/TRUNCATE are blocked for everyone, the demo connection is otherwise open, and AI agents
 * (group `ai-agents`) see customers' e-mail, card numbers and SSNs masked.
 */
export const DEMO_POLICY = `# Written by pnpm start. See libs/policy/README.md for the rule format.
rules:
  - id: block-destructive-ddl
    description: Destroying tables is never allowed through the demo
    match: { commands: [sql.ddl.drop, sql.ddl.truncate] }
    effect: { deny: { message: DROP and TRUNCATE are blocked on the demo database } }

  - id: open-demo-sessions
    description: Any verified principal may connect to the demo database
    match: { commands: [session.open], connection: { tags: { env: demo } } }
    effect: allow

  - id: allow-demo
    description: Everything else is allowed on the demo database
    match: { connection: { tags: { env: demo } } }
    effect: allow

  - id: mask-pii-for-ai-agents
    description: AI agents never see customers' e-mail, card numbers or SSNs in clear
    match: { principal: { groups: [ai-agents] } }
    effect:
      mask:
        columns:
          - { pattern: customers.email, strategy: { kind: partial, keepLast: 4 } }
          - { pattern: customers.card_number, strategy: { kind: partial, keepLast: 4 } }
          - { pattern: customers.ssn, strategy: { kind: redact } }
`;
