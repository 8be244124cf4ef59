// Small operator commands that need no running control plane.
//   node dist/cli.js agent-key generate   prints a new agent key for SLUICE_BOOTSTRAP_AGENT_KEYS
import { generateAgentKey } from './agents/agent-key.js';

const [command, sub] = process.argv.slice(2);
if (command === 'agent-key' && sub === 'generate') {
  process.stdout.write(`${generateAgentKey().key}\n`);
} else {
  process.stderr.write('usage: sluice-control-plane agent-key generate\n');
  process.exit(2);
}
