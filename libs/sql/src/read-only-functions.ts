// Built-in functions known to change nothing, so calling them does not make a statement
// `modifiesData`. Deliberately short: a function missing here only makes a read-only statement look
// modifying (safe), a wrong entry would make a writing statement look harmless (unsafe). Entries are
// PostgreSQL built-ins; they count only unqualified or `pg_catalog.`-qualified (a user schema can hold
// a function of the same name — but creating one is DDL, which policy sees on its own).
// Left out on purpose, including some that only read: nextval/setval, set_config, pg_advisory_*, lo_*,
// pg_read_*/pg_ls_* (the server's files), pg_terminate_backend, dblink*, pg_reload_conf, txid_current.

const READ_ONLY_BY_GROUP: Readonly<Record<string, string>> = {
  aggregates: `count sum avg min max bool_and bool_or every array_agg string_agg json_agg jsonb_agg json_object_agg
    jsonb_object_agg stddev variance row_number rank dense_rank percent_rank cume_dist ntile lag lead
    first_value last_value nth_value`,
  // Includes the functions the grammar rewrites SQL syntax into (TRIM → pg_catalog.btrim, AT TIME ZONE → timezone).
  strings: `lower upper initcap length char_length character_length octet_length concat concat_ws substr
    substring left right btrim ltrim rtrim lpad rpad replace split_part strpos position overlay reverse
    repeat format md5 starts_with regexp_replace regexp_match regexp_matches regexp_split_to_array
    regexp_split_to_table similar_to_escape like_escape quote_ident quote_literal quote_nullable to_char
    to_number to_date to_timestamp translate ascii chr encode decode normalize is_normalized`,
  numbers: `abs ceil ceiling floor round trunc mod power sqrt exp ln log sign greatest least random width_bucket`,
  datesAndTimes: `now current_timestamp clock_timestamp statement_timestamp transaction_timestamp timeofday date_trunc
    date_part extract age make_date make_time make_timestamp make_timestamptz make_interval timezone
    overlaps date_bin isfinite`,
  arraysJsonRanges: `array_length array_upper array_lower array_position array_positions array_to_string string_to_array
    unnest cardinality array_append array_prepend array_cat array_remove array_replace generate_series
    generate_subscripts to_json to_jsonb row_to_json json_build_object jsonb_build_object
    json_build_array jsonb_build_array json_object jsonb_object json_array_length jsonb_array_length
    json_each jsonb_each json_each_text jsonb_each_text json_extract_path jsonb_extract_path
    json_extract_path_text jsonb_extract_path_text jsonb_set jsonb_insert jsonb_pretty json_typeof
    jsonb_typeof json_array_elements jsonb_array_elements json_array_elements_text
    jsonb_array_elements_text jsonb_strip_nulls jsonb_path_query jsonb_path_exists lower_inf upper_inf
    isempty`,
  // TABLESAMPLE methods are reported as functions.
  misc: `system bernoulli coalesce nullif gen_random_uuid pg_sleep version current_database current_schema
    current_schemas current_setting pg_typeof format_type col_description obj_description
    shobj_description pg_get_userbyid pg_get_expr pg_get_indexdef pg_get_constraintdef pg_get_viewdef
    pg_get_functiondef pg_get_triggerdef pg_table_is_visible pg_type_is_visible pg_function_is_visible
    pg_backend_pid pg_encoding_to_char pg_size_pretty pg_relation_size pg_total_relation_size
    pg_table_size pg_indexes_size pg_database_size has_table_privilege has_schema_privilege
    has_database_privilege has_column_privilege has_function_privilege pg_has_role textlen
    inet_server_addr inet_server_port`,
  // Catalog readers psql's \d commands use (they only read the catalog).
  catalog: `pg_get_statisticsobjdef pg_get_statisticsobjdef_columns pg_get_partkeydef pg_get_partition_constraintdef
    pg_get_ruledef pg_get_serial_sequence pg_get_function_arguments pg_get_function_result
    pg_get_function_identity_arguments pg_collation_is_visible pg_opclass_is_visible pg_operator_is_visible
    pg_conversion_is_visible pg_statistics_obj_is_visible pg_ts_config_is_visible pg_tablespace_location`,
};

const READ_ONLY = new Set<string>(
  Object.values(READ_ONLY_BY_GROUP)
    .flatMap((names) => names.split(/\s+/))
    .filter((name) => name.length > 0),
);

/** `name` is a rendered function name from the classifier (`lower`, `pg_catalog.lower`). */
export function isReadOnlyBuiltinFunction(name: string): boolean {
  const unqualified = name.startsWith('pg_catalog.') ? name.slice('pg_catalog.'.length) : name;
  return READ_ONLY.has(unqualified);
}
