// Types for the Emscripten factory that ships inside libpg-query (it has no declaration file).
// Only the exports pg-query-wasm.ts uses are declared.
declare module 'libpg-query/wasm/libpg-query.js' {
  export interface PgQueryEmscriptenModule {
    _malloc(size: number): number;
    _free(pointer: number): void;
    lengthBytesUTF8(text: string): number;
    stringToUTF8(text: string, pointer: number, maxBytes: number): void;
    UTF8ToString(pointer: number): string;
    getValue(pointer: number, type: 'i32'): number;
    _wasm_parse_query_raw(queryPointer: number): number;
    _wasm_free_parse_result(resultPointer: number): void;
    _wasm_normalize_query(queryPointer: number): number;
    _wasm_free_string(pointer: number): void;
  }
  const createPgQueryModule: (options?: Record<string, unknown>) => Promise<PgQueryEmscriptenModule>;
  export default createPgQueryModule;
}
