import { describe, expect, it } from 'vitest';
import type { StartupMessage } from './frontend-messages.js';
import { protocolExtensions, requiresProtocolNegotiation } from './startup-parameters.js';

const startup = (minor: number, parameters: [string, string][]): StartupMessage => ({
  kind: 'StartupMessage',
  protocolVersion: { major: 3, minor },
  parameters: new Map(parameters),
});

describe('protocol negotiation helpers', () => {
  it('lists the _pq_ extensions in client order', () => {
    expect(
      protocolExtensions(
        startup(0, [
          ['_pq_.b', '1'],
          ['user', 'u'],
          ['_pq_.a', '2'],
          ['pq_.c', '3'],
        ]),
      ),
    ).toEqual(['_pq_.b', '_pq_.a']);
  });

  it('needs no negotiation for 3.0 and 3.2 without extensions', () => {
    expect(requiresProtocolNegotiation(startup(0, [['user', 'u']]))).toBeUndefined();
    expect(requiresProtocolNegotiation(startup(2, [['user', 'u']]))).toBeUndefined();
  });

  it('answers a greased 3.9999 request with the newest supported minor and every unknown option', () => {
    expect(
      requiresProtocolNegotiation(
        startup(9999, [
          ['user', 'u'],
          ['_pq_.grease', 'x'],
        ]),
      ),
    ).toEqual({
      kind: 'NegotiateProtocolVersion',
      newestVersion: { major: 3, minor: 2 },
      unrecognizedOptions: ['_pq_.grease'],
    });
  });

  it('negotiates down to what the proxy supports and keeps supported extensions out of the list', () => {
    expect(
      requiresProtocolNegotiation(
        startup(2, [
          ['_pq_.known', '1'],
          ['_pq_.unknown', '1'],
        ]),
        0,
        ['_pq_.known'],
      ),
    ).toEqual({
      kind: 'NegotiateProtocolVersion',
      newestVersion: { major: 3, minor: 0 },
      unrecognizedOptions: ['_pq_.unknown'],
    });
    expect(requiresProtocolNegotiation(startup(0, [['_pq_.known', '1']]), 0, ['_pq_.known'])).toBeUndefined();
  });
});
