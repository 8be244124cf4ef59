// Hand-built frontend message batches for adversarial tests: several protocol messages written to
// the agent in ONE write, so the agent sees them as a pipeline before any answer comes back.
import type { TLSSocket } from 'node:tls';
import { encodeFrontendMessage, type BackendMessage } from '@sluice/postgres-wire';
import { waitFor } from '@sluice/testing';
import type { BackendReader } from './postgres-clients.js';

export type PipelineStep =
  | { readonly query: string }
  | { readonly parse: string; readonly name?: string }
  | { readonly bind: string; readonly portal?: string; readonly resultFormats?: readonly number[] }
  | { readonly describePortal: string }
  | { readonly execute: string }
  | { readonly sync: true };

function encodeStep(step: PipelineStep): Buffer {
  if ('query' in step) return encodeFrontendMessage({ kind: 'Query', sql: step.query });
  if ('parse' in step) return encodeFrontendMessage({ kind: 'Parse', name: step.name ?? '', sql: step.parse, parameterTypes: [] });
  if ('bind' in step)
    return encodeFrontendMessage({
      kind: 'Bind',
      portal: step.portal ?? '',
      statement: step.bind,
      parameterFormats: [],
      parameters: [],
      resultFormats: [...(step.resultFormats ?? [])],
    });
  if ('describePortal' in step) return encodeFrontendMessage({ kind: 'Describe', target: 'P', name: step.describePortal });
  if ('execute' in step) return encodeFrontendMessage({ kind: 'Execute', portal: step.execute, maxRows: 0 });
  return encodeFrontendMessage({ kind: 'Sync' });
}

/** Writes every step in a single TCP write (one pipeline, as a hostile client would). */
export function sendPipeline(socket: TLSSocket, steps: readonly PipelineStep[]): void {
  socket.write(Buffer.concat(steps.map(encodeStep)));
}

/**
 * Waits until `count` ReadyForQuery messages arrived after `from` (an index into reader.messages),
 * or the agent closed the connection. Returns the messages received since `from`.
 */
export async function settle(
  reader: BackendReader,
  socket: TLSSocket,
  from: number,
  count: number,
  timeoutMs = 15_000,
): Promise<BackendMessage[]> {
  await waitFor(
    () => {
      const since = reader.messages.slice(from);
      const ready = since.filter((m) => m.kind === 'ReadyForQuery').length;
      return ready >= count || socket.destroyed || socket.readableEnded ? true : undefined;
    },
    timeoutMs,
    `${count} ReadyForQuery messages or the connection closed`,
  );
  return reader.messages.slice(from);
}

/** Text of every DataRow value received (null as ''), for leak checks. */
export function dataRowText(messages: readonly BackendMessage[]): string {
  return messages.flatMap((m) => (m.kind === 'DataRow' ? m.values.map((v) => (v === null ? '' : v.toString('utf8'))) : [])).join('\n');
}
