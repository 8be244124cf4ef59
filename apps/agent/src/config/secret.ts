import { inspect } from 'node:util';

/**
 * A credential read from the environment or a file. It prints as [redacted] everywhere (logs,
 * JSON, util.inspect); only `reveal()` gives the value, at the one place it is used.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return '[redacted]';
  }
}
