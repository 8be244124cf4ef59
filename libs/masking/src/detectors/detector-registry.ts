import { DETECTOR_NAMES, type DetectorName } from '../mask-plan.js';
import { findCards } from './card-detector.js';
import { findCloudKeys } from './cloud-key-detector.js';
import { findEmails } from './email-detector.js';
import { findIbans } from './iban-detector.js';
import { findJwts } from './jwt-detector.js';
import { findPhones } from './phone-detector.js';
import { findPrivateKeys } from './private-key-detector.js';
import { findSecrets } from './secret-detector.js';
import type { Span } from './span.js';
import { findSsns } from './ssn-detector.js';

export interface Detector {
  readonly name: DetectorName;
  /** Shortest text in which this detector can find anything: shorter values skip it entirely. */
  readonly minLength: number;
  /** Findings in ascending order, not overlapping each other. */
  readonly find: (text: string) => readonly Span[];
}

/** Where a detector found something; offsets only, never the value (safe for audit records). */
export interface Finding {
  readonly detector: DetectorName;
  /** UTF-16 code unit offset of the first character. */
  readonly start: number;
  /** Offset just past the last character: `text.slice(start, end)` is the finding. */
  readonly end: number;
}

export const DETECTORS: Readonly<Record<DetectorName, Detector>> = {
  email: { name: 'email', minLength: 6, find: findEmails }, // a@b.co
  card: { name: 'card', minLength: 13, find: findCards },
  iban: { name: 'iban', minLength: 15, find: findIbans }, // Norway
  ssn: { name: 'ssn', minLength: 9, find: findSsns },
  phone: { name: 'phone', minLength: 9, find: findPhones }, // '+' and 8 digits
  jwt: { name: 'jwt', minLength: 16, find: findJwts }, // eyJhbGciOiIifQ.x.
  'cloud-key': { name: 'cloud-key', minLength: 15, find: findCloudKeys }, // xoxb- and 10
  'private-key': { name: 'private-key', minLength: 27, find: findPrivateKeys }, // -----BEGIN PRIVATE KEY-----
  secret: { name: 'secret', minLength: 24, find: findSecrets },
};

/**
 * Every finding of the chosen detectors (all by default), sorted by start, longest first on ties.
 * Findings of *different* detectors may overlap (a JWT is also high-entropy); `scanText` merges them.
 */
export function detectAll(text: string, detectors: readonly DetectorName[] = DETECTOR_NAMES): Finding[] {
  const findings: Finding[] = [];
  for (const name of new Set(detectors)) {
    const detector = DETECTORS[name] as Detector | undefined;
    // A plain-JS caller may pass anything; the name is not echoed (it may be arbitrary text).
    if (detector === undefined) throw new RangeError('unknown detector name');
    if (text.length < detector.minLength) continue;
    for (const span of detector.find(text)) findings.push({ detector: name, start: span.start, end: span.end });
  }
  findings.sort((a, b) => a.start - b.start || b.end - a.end);
  return findings;
}
