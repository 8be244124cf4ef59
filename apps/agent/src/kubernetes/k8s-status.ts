// Errors as Kubernetes `Status` objects (meta/v1 Status; api-conventions.md "Response Status Kind"),
// so kubectl and client libraries print them as apiserver errors: "Error from server (Forbidden): …".
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RefusalDetails } from '../http/upstream-exchange.js';

/** HTTP status → Status `reason` (k8s.io/apimachinery metav1.StatusReason). */
function reasonFor(status: number, fallback: string): string {
  switch (status) {
    case 400:
      return 'BadRequest';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'NotFound';
    case 413:
      return 'RequestEntityTooLarge';
    case 429:
      return 'TooManyRequests';
    case 500:
      return 'InternalError';
    case 503:
      return 'ServiceUnavailable';
    case 504:
      return 'Timeout';
    default:
      return fallback;
  }
}

export function statusObject(status: number, reason: string, message: string, details?: RefusalDetails): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: reasonFor(status, reason),
    ...(details
      ? {
          details: {
            causes: [
              { reason: 'SluiceDecision', message: details.effect },
              ...details.ruleIds.map((id) => ({ reason: 'SluiceRule', message: id })),
              ...(details.approvalId ? [{ reason: 'SluiceApproval', message: details.approvalId }] : []),
            ],
          },
        }
      : {}),
    code: status,
  };
}

export function respondStatus(res: ServerResponse, status: number, reason: string, message: string, details?: RefusalDetails): void {
  const body = JSON.stringify(statusObject(status, reason, message, details));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

/** The same, written on a raw socket (an upgrade request that is refused before any upgrade). */
export function writeStatusToSocket(socket: Duplex, status: number, reason: string, message: string, details?: RefusalDetails): void {
  const body = JSON.stringify(statusObject(status, reason, message, details));
  const statusText = reasonFor(status, reason).replace(/([a-z])([A-Z])/g, '$1 $2');
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
