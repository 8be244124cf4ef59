/**
 * The quick start's policy (written to the state directory and loaded with SLUICE_POLICY_FILE):
 * DROP/TRUNCATE are blocked for everyone; people may do anything else on the demo database; AI
 * agents (group `ai-agents`) may read, their changes wait for an approver in `db-approvers`, and
 * they see customers' e-mail, card numbers and SSNs masked. Anything else an agent tries (DDL,
 * `DO`, `COPY … PROGRAM`, `SET ROLE` …) matches no allow rule and is denied.
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

  - id: people-on-demo
    description: People may run anything else on the demo database
    match: { connection: { tags: { env: demo } } }
    when: "!('ai-agents' in principal.groups)"
    effect: allow

  - id: agents-read
    description: AI agents may read
    match:
      principal: { groups: [ai-agents] }
      commands:
        - sql.dml.select
        - sql.tcl.*
        - sql.utility.show
        - sql.utility.set
        - sql.utility.explain
        - sql.utility.cursor
        - sql.utility.prepare
        - sql.utility.execute
        - sql.utility.deallocate
        - sql.empty
    effect: allow

  - id: agents-write-needs-review
    description: Changes made by AI agents wait for a human in db-approvers
    match:
      principal: { groups: [ai-agents] }
      commands: [sql.dml.insert, sql.dml.update, sql.dml.delete, sql.dml.merge]
    effect: { review: { approverGroups: [db-approvers], timeoutSeconds: 300 } }

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
