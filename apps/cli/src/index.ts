// The CLI as a library, for tests and embedding: run it with your own terminal and fetch.
export { runCli, COMMANDS, CLI_VERSION } from './cli.js';
export type { CliIo } from './cli-io.js';
export { EXIT, CliError, UsageError, ApiError } from './cli-errors.js';
export { CredentialsStore, configDir, type StoredCredential } from './credentials-store.js';
export { ApiClient, normaliseServer, serverMessage, DEFAULT_SERVER } from './api-client.js';
export { renderReplay } from './render/replay-text.js';
export { terminalSafe, oneLine } from './render/terminal-safe.js';
