import { InitialSchema1764130000000 } from './1764130000000-initial-schema.js';

/** Every migration, oldest first. New migrations are appended here (never edited once released). */
export const MIGRATIONS = [InitialSchema1764130000000];
