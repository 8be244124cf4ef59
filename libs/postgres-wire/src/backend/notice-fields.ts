// Field codes of ErrorResponse and NoticeResponse.
// https://www.postgresql.org/docs/current/protocol-error-fields.html

import type { NoticeFieldName } from './backend-messages.js';

/** Field code letter → name, in the order PostgreSQL itself writes them (and the encoder does). */
export const NOTICE_FIELD_CODES: readonly (readonly [code: string, name: NoticeFieldName])[] = [
  ['S', 'severity'],
  ['V', 'severityNonLocalized'],
  ['C', 'code'],
  ['M', 'message'],
  ['D', 'detail'],
  ['H', 'hint'],
  ['P', 'position'],
  ['p', 'internalPosition'],
  ['q', 'internalQuery'],
  ['W', 'where'],
  ['s', 'schema'],
  ['t', 'table'],
  ['c', 'column'],
  ['d', 'dataType'],
  ['n', 'constraint'],
  ['F', 'file'],
  ['L', 'line'],
  ['R', 'routine'],
];

/** Field name by code byte; undefined for codes this library does not know (the protocol says to ignore them). */
export const NOTICE_FIELD_NAME_BY_BYTE: readonly (NoticeFieldName | undefined)[] = (() => {
  const names = new Array<NoticeFieldName | undefined>(256).fill(undefined);
  for (const [code, name] of NOTICE_FIELD_CODES) names[code.charCodeAt(0)] = name;
  return names;
})();
