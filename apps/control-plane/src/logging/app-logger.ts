import type { Logger } from 'pino';

/** Injection token of the root pino logger; services take a child with their own context. */
export const APP_LOGGER = Symbol('AppLogger');
export type AppLogger = Logger;
