import { InitialSchema1764130000000 } from './1764130000000-initial-schema.js';
import { PrincipalsAndSessions1764140000000 } from './1764140000000-principals-and-sessions.js';
import { SessionEvents1764150000000 } from './1764150000000-session-events.js';
import { Approvals1764180000000 } from './1764180000000-approvals.js';
import { PolicyVersions1764160000000 } from './1764160000000-policy-versions.js';
import { EventHashChain1764170000000 } from './1764170000000-event-hash-chain.js';

/** Every migration, oldest first. New migrations are appended here (never edited once released). */
export const MIGRATIONS = [
  InitialSchema1764130000000,
  PrincipalsAndSessions1764140000000,
  SessionEvents1764150000000,
  PolicyVersions1764160000000,
  EventHashChain1764170000000,
  Approvals1764180000000,
];
