/* functions.c — the reviewed table of DuckDB 1.4.4's functions (see functions.h). Generated
 * once from duckdb_functions() on a fresh in-memory DuckDB 1.4.4, then reviewed by hand; keep
 * it sorted by name (strcmp order: functions_family searches it by bisection, and a test checks
 * the order). To review an upgrade, run test_guard: it names every function missing here.
 *
 * S(name) is a scalar, aggregate or window function, or a scalar macro, that computes on its
 * arguments only (the common case). F(name, scalar, table) gives the family of the name as an
 * expression and as a FROM item. Families are documented in functions.h; the choices that need
 * a reason:
 *   - random values and the clock (random, uuid, now, current_date) are allowed: they reveal
 *     nothing about the server beyond its time, which HTTP's Date header gives anyway;
 *   - version, current_query, the connection and transaction ids and pg_catalog's server
 *     times are refused as environment: they help an attacker and no analysis needs them;
 *   - current_user, current_schema and the pg_catalog helpers are refused as catalog even
 *     where DuckDB answers a constant: a query has no use for them;
 *   - window-only functions (row_number, lag ...) and the unnest of a select list are not in
 *     duckdb_functions() but appear in parse trees, so they are listed here as well;
 *   - getenv exists in the DuckDB shell only; it is listed so that it is refused by name. */
#include "query/functions.h"

#include <stdlib.h>
#include <string.h>

#include "base/compat.h"

struct fn_entry {
    const char *name;
    unsigned char scalar; /* enum fn_family as an expression */
    unsigned char table;  /* enum fn_family as a FROM item */
};

#define S(name)                                                                                    \
    {                                                                                              \
        name, FN_COMPUTES, FN_NONE                                                                 \
    }
#define F(name, scalar, table)                                                                     \
    {                                                                                              \
        name, FN_##scalar, FN_##table                                                              \
    }

/* clang-format off */
static const struct fn_entry table[] = {
    S("!__postfix"), S("!~~"), S("!~~*"), S("%"), S("&"), S("&&"), S("*"), S("**"), S("+"), S("-"),
    S("->>"), S("/"), S("//"), S("<->"), S("<<"), S("<=>"), S("<@"), S(">>"), S("@"), S("@>"),
    S("^"), S("^@"),
    F("__internal_compress_integral_ubigint", INTERNAL, NONE),
    F("__internal_compress_integral_uinteger", INTERNAL, NONE),
    F("__internal_compress_integral_usmallint", INTERNAL, NONE),
    F("__internal_compress_integral_utinyint", INTERNAL, NONE),
    F("__internal_compress_string_hugeint", INTERNAL, NONE),
    F("__internal_compress_string_ubigint", INTERNAL, NONE),
    F("__internal_compress_string_uhugeint", INTERNAL, NONE),
    F("__internal_compress_string_uinteger", INTERNAL, NONE),
    F("__internal_compress_string_usmallint", INTERNAL, NONE),
    F("__internal_compress_string_utinyint", INTERNAL, NONE),
    F("__internal_decompress_integral_bigint", INTERNAL, NONE),
    F("__internal_decompress_integral_hugeint", INTERNAL, NONE),
    F("__internal_decompress_integral_integer", INTERNAL, NONE),
    F("__internal_decompress_integral_smallint", INTERNAL, NONE),
    F("__internal_decompress_integral_ubigint", INTERNAL, NONE),
    F("__internal_decompress_integral_uhugeint", INTERNAL, NONE),
    F("__internal_decompress_integral_uinteger", INTERNAL, NONE),
    F("__internal_decompress_integral_usmallint", INTERNAL, NONE),
    F("__internal_decompress_string", INTERNAL, NONE),
    S("abs"), S("acos"), S("acosh"), S("add"), S("age"), S("aggregate"), S("alias"),
    S("any_value"), S("apply"), S("approx_count_distinct"), S("approx_quantile"),
    S("approx_top_k"), S("arbitrary"), S("arg_max"), S("arg_max_null"), S("arg_min"),
    S("arg_min_null"), S("argmax"), S("argmin"), S("array_agg"), S("array_aggr"),
    S("array_aggregate"), S("array_append"), S("array_apply"), S("array_cat"), S("array_concat"),
    S("array_contains"), S("array_cosine_distance"), S("array_cosine_similarity"),
    S("array_cross_product"), S("array_distance"), S("array_distinct"), S("array_dot_product"),
    S("array_extract"), S("array_filter"), S("array_grade_up"), S("array_has"), S("array_has_all"),
    S("array_has_any"), S("array_indexof"), S("array_inner_product"), S("array_intersect"),
    S("array_length"), S("array_negative_dot_product"), S("array_negative_inner_product"),
    S("array_pop_back"), S("array_pop_front"), S("array_position"), S("array_prepend"),
    S("array_push_back"), S("array_push_front"), S("array_reduce"), S("array_resize"),
    S("array_reverse"), S("array_reverse_sort"), S("array_select"), S("array_slice"),
    S("array_sort"), S("array_to_json"), S("array_to_string"), S("array_to_string_comma_default"),
    S("array_transform"), S("array_unique"), S("array_value"), S("array_where"), S("array_zip"),
    F("arrow_scan", NONE, INTERNAL),
    F("arrow_scan_dumb", NONE, INTERNAL),
    S("ascii"), S("asin"), S("asinh"), S("atan"), S("atan2"), S("atanh"), S("avg"), S("bar"),
    S("base64"), S("bin"), S("bit_and"), S("bit_count"), S("bit_length"), S("bit_or"),
    S("bit_position"), S("bit_xor"), S("bitstring"), S("bitstring_agg"), S("bool_and"),
    S("bool_or"), S("can_cast_implicitly"), S("cardinality"), S("cast_to_type"), S("cbrt"),
    S("ceil"), S("ceiling"), S("century"), S("char_length"), S("character_length"),
    F("check_peg_parser", NONE, SQL_TEXT),
    F("checkpoint", NONE, STATE),
    S("chr"),
    F("col_description", CATALOG, NONE),
    F("combine", INTERNAL, NONE),
    S("concat"), S("concat_ws"), S("constant_or_null"), S("contains"), S("corr"), S("cos"),
    S("cosh"), S("cot"), S("count"), S("count_if"), S("count_star"), S("countif"), S("covar_pop"),
    S("covar_samp"), S("create_sort_key"), S("cume_dist"),
    F("current_catalog", CATALOG, NONE),
    F("current_connection_id", ENVIRONMENT, NONE),
    F("current_database", CATALOG, NONE),
    S("current_date"), S("current_localtime"), S("current_localtimestamp"),
    F("current_query", ENVIRONMENT, NONE),
    F("current_query_id", ENVIRONMENT, NONE),
    F("current_role", CATALOG, NONE),
    F("current_schema", CATALOG, NONE),
    F("current_schemas", CATALOG, NONE),
    F("current_setting", SETTINGS, NONE),
    F("current_transaction_id", ENVIRONMENT, NONE),
    F("current_user", CATALOG, NONE),
    F("currval", STATE, NONE),
    S("damerau_levenshtein"), S("date_add"), S("date_diff"), S("date_part"), S("date_sub"),
    S("date_trunc"), S("datediff"), S("datepart"), S("datesub"), S("datetrunc"), S("day"),
    S("dayname"), S("dayofmonth"), S("dayofweek"), S("dayofyear"), S("decade"), S("decode"),
    S("degrees"), S("dense_rank"),
    F("disable_logging", NONE, STATE),
    S("divide"),
    F("duckdb_approx_database_count", NONE, CATALOG),
    F("duckdb_columns", NONE, CATALOG),
    F("duckdb_connection_count", NONE, CATALOG),
    F("duckdb_constraints", NONE, CATALOG),
    F("duckdb_databases", NONE, CATALOG),
    F("duckdb_dependencies", NONE, CATALOG),
    F("duckdb_extensions", NONE, CATALOG),
    F("duckdb_external_file_cache", NONE, CATALOG),
    F("duckdb_functions", NONE, CATALOG),
    F("duckdb_indexes", NONE, CATALOG),
    F("duckdb_keywords", NONE, CATALOG),
    F("duckdb_log_contexts", NONE, CATALOG),
    F("duckdb_logs", NONE, CATALOG),
    F("duckdb_logs_parsed", NONE, CATALOG),
    F("duckdb_memory", NONE, CATALOG),
    F("duckdb_optimizers", NONE, SETTINGS),
    F("duckdb_prepared_statements", NONE, CATALOG),
    F("duckdb_schemas", NONE, CATALOG),
    F("duckdb_secret_types", NONE, SETTINGS),
    F("duckdb_secrets", NONE, SETTINGS),
    F("duckdb_sequences", NONE, CATALOG),
    F("duckdb_settings", NONE, SETTINGS),
    F("duckdb_table_sample", NONE, CATALOG),
    F("duckdb_tables", NONE, CATALOG),
    F("duckdb_temporary_files", NONE, CATALOG),
    F("duckdb_types", NONE, CATALOG),
    F("duckdb_variables", NONE, SETTINGS),
    F("duckdb_views", NONE, CATALOG),
    S("editdist3"), S("element_at"),
    F("enable_logging", NONE, STATE),
    S("encode"), S("ends_with"), S("entropy"), S("enum_code"), S("enum_first"), S("enum_last"),
    S("enum_range"), S("enum_range_boundary"), S("epoch"), S("epoch_ms"), S("epoch_ns"),
    S("epoch_us"), S("equi_width_bins"), S("era"), S("error"), S("even"), S("exp"), S("factorial"),
    S("favg"), S("fdiv"), S("fill"), S("filter"),
    F("finalize", INTERNAL, NONE),
    S("first"), S("first_value"), S("flatten"), S("floor"), S("fmod"),
    F("force_checkpoint", NONE, STATE),
    S("format"), S("format_bytes"),
    F("format_pg_type", CATALOG, NONE),
    F("format_type", CATALOG, NONE),
    S("formatreadabledecimalsize"), S("formatreadablesize"), S("from_base64"), S("from_binary"),
    S("from_hex"), S("from_json"), S("from_json_strict"), S("fsum"), S("gamma"), S("gcd"),
    S("gen_random_uuid"),
    F("generate_series", COMPUTES, COMPUTES),
    S("generate_subscripts"), S("geomean"), S("geometric_mean"), S("get_bit"),
    F("get_block_size", CATALOG, NONE),
    S("get_current_time"), S("get_current_timestamp"),
    F("getenv", ENVIRONMENT, NONE),
    F("getvariable", SETTINGS, NONE),
    F("glob", NONE, FILES),
    S("grade_up"), S("greatest"), S("greatest_common_divisor"), S("group_concat"), S("hamming"),
    F("has_any_column_privilege", CATALOG, NONE),
    F("has_column_privilege", CATALOG, NONE),
    F("has_database_privilege", CATALOG, NONE),
    F("has_foreign_data_wrapper_privilege", CATALOG, NONE),
    F("has_function_privilege", CATALOG, NONE),
    F("has_language_privilege", CATALOG, NONE),
    F("has_schema_privilege", CATALOG, NONE),
    F("has_sequence_privilege", CATALOG, NONE),
    F("has_server_privilege", CATALOG, NONE),
    F("has_table_privilege", CATALOG, NONE),
    F("has_tablespace_privilege", CATALOG, NONE),
    S("hash"), S("hex"),
    F("histogram", COMPUTES, TABLES),
    S("histogram_exact"),
    F("histogram_values", NONE, TABLES),
    S("hour"),
    F("icu_calendar_names", NONE, COMPUTES),
    S("icu_collate_af"), S("icu_collate_am"), S("icu_collate_ar"), S("icu_collate_ar_sa"),
    S("icu_collate_as"), S("icu_collate_az"), S("icu_collate_be"), S("icu_collate_bg"),
    S("icu_collate_bn"), S("icu_collate_bo"), S("icu_collate_br"), S("icu_collate_bs"),
    S("icu_collate_ca"), S("icu_collate_ceb"), S("icu_collate_chr"), S("icu_collate_cs"),
    S("icu_collate_cy"), S("icu_collate_da"), S("icu_collate_de"), S("icu_collate_de_at"),
    S("icu_collate_dsb"), S("icu_collate_dz"), S("icu_collate_ee"), S("icu_collate_el"),
    S("icu_collate_en"), S("icu_collate_en_us"), S("icu_collate_eo"), S("icu_collate_es"),
    S("icu_collate_et"), S("icu_collate_fa"), S("icu_collate_fa_af"), S("icu_collate_ff"),
    S("icu_collate_fi"), S("icu_collate_fil"), S("icu_collate_fo"), S("icu_collate_fr"),
    S("icu_collate_fr_ca"), S("icu_collate_fy"), S("icu_collate_ga"), S("icu_collate_gl"),
    S("icu_collate_gu"), S("icu_collate_ha"), S("icu_collate_haw"), S("icu_collate_he"),
    S("icu_collate_he_il"), S("icu_collate_hi"), S("icu_collate_hr"), S("icu_collate_hsb"),
    S("icu_collate_hu"), S("icu_collate_hy"), S("icu_collate_id"), S("icu_collate_id_id"),
    S("icu_collate_ig"), S("icu_collate_is"), S("icu_collate_it"), S("icu_collate_ja"),
    S("icu_collate_ka"), S("icu_collate_kk"), S("icu_collate_kl"), S("icu_collate_km"),
    S("icu_collate_kn"), S("icu_collate_ko"), S("icu_collate_kok"), S("icu_collate_ku"),
    S("icu_collate_ky"), S("icu_collate_lb"), S("icu_collate_lkt"), S("icu_collate_ln"),
    S("icu_collate_lo"), S("icu_collate_lt"), S("icu_collate_lv"), S("icu_collate_mk"),
    S("icu_collate_ml"), S("icu_collate_mn"), S("icu_collate_mr"), S("icu_collate_ms"),
    S("icu_collate_mt"), S("icu_collate_my"), S("icu_collate_nb"), S("icu_collate_nb_no"),
    S("icu_collate_ne"), S("icu_collate_nl"), S("icu_collate_nn"), S("icu_collate_noaccent"),
    S("icu_collate_om"), S("icu_collate_or"), S("icu_collate_pa"), S("icu_collate_pa_in"),
    S("icu_collate_pl"), S("icu_collate_ps"), S("icu_collate_pt"), S("icu_collate_ro"),
    S("icu_collate_ru"), S("icu_collate_sa"), S("icu_collate_se"), S("icu_collate_si"),
    S("icu_collate_sk"), S("icu_collate_sl"), S("icu_collate_smn"), S("icu_collate_sq"),
    S("icu_collate_sr"), S("icu_collate_sr_ba"), S("icu_collate_sr_me"), S("icu_collate_sr_rs"),
    S("icu_collate_sv"), S("icu_collate_sw"), S("icu_collate_ta"), S("icu_collate_te"),
    S("icu_collate_th"), S("icu_collate_tk"), S("icu_collate_to"), S("icu_collate_tr"),
    S("icu_collate_ug"), S("icu_collate_uk"), S("icu_collate_ur"), S("icu_collate_uz"),
    S("icu_collate_vi"), S("icu_collate_wae"), S("icu_collate_wo"), S("icu_collate_xh"),
    S("icu_collate_yi"), S("icu_collate_yo"), S("icu_collate_yue"), S("icu_collate_yue_cn"),
    S("icu_collate_zh"), S("icu_collate_zh_cn"), S("icu_collate_zh_hk"), S("icu_collate_zh_mo"),
    S("icu_collate_zh_sg"), S("icu_collate_zh_tw"), S("icu_collate_zu"), S("icu_sort_key"),
    S("ilike_escape"),
    F("in_search_path", CATALOG, NONE),
    F("inet_client_addr", ENVIRONMENT, NONE),
    F("inet_client_port", ENVIRONMENT, NONE),
    F("inet_server_addr", ENVIRONMENT, NONE),
    F("inet_server_port", ENVIRONMENT, NONE),
    S("instr"), S("is_histogram_other_bin"), S("isfinite"), S("isinf"), S("isnan"), S("isodow"),
    S("isoyear"), S("jaccard"), S("jaro_similarity"), S("jaro_winkler_similarity"), S("json"),
    S("json_array"), S("json_array_length"), S("json_contains"),
    F("json_deserialize_sql", SQL_TEXT, NONE),
    F("json_each", NONE, COMPUTES),
    F("json_execute_serialized_sql", NONE, SQL_TEXT),
    S("json_exists"), S("json_extract"), S("json_extract_path"), S("json_extract_path_text"),
    S("json_extract_string"), S("json_group_array"), S("json_group_object"),
    S("json_group_structure"), S("json_keys"), S("json_merge_patch"), S("json_object"),
    S("json_pretty"), S("json_quote"),
    F("json_serialize_plan", SQL_TEXT, NONE),
    F("json_serialize_sql", SQL_TEXT, NONE),
    S("json_structure"), S("json_transform"), S("json_transform_strict"),
    F("json_tree", NONE, COMPUTES),
    S("json_type"), S("json_valid"), S("json_value"), S("julian"), S("kahan_sum"), S("kurtosis"),
    S("kurtosis_pop"), S("lag"), S("last"), S("last_day"), S("last_value"), S("lcase"), S("lcm"),
    S("lead"), S("least"), S("least_common_multiple"), S("left"), S("left_grapheme"), S("len"),
    S("length"), S("length_grapheme"), S("levenshtein"), S("lgamma"), S("like_escape"), S("list"),
    S("list_aggr"), S("list_aggregate"), S("list_any_value"), S("list_append"), S("list_apply"),
    S("list_approx_count_distinct"), S("list_avg"), S("list_bit_and"), S("list_bit_or"),
    S("list_bit_xor"), S("list_bool_and"), S("list_bool_or"), S("list_cat"), S("list_concat"),
    S("list_contains"), S("list_cosine_distance"), S("list_cosine_similarity"), S("list_count"),
    S("list_distance"), S("list_distinct"), S("list_dot_product"), S("list_element"),
    S("list_entropy"), S("list_extract"), S("list_filter"), S("list_first"), S("list_grade_up"),
    S("list_has"), S("list_has_all"), S("list_has_any"), S("list_histogram"), S("list_indexof"),
    S("list_inner_product"), S("list_intersect"), S("list_kurtosis"), S("list_kurtosis_pop"),
    S("list_last"), S("list_mad"), S("list_max"), S("list_median"), S("list_min"), S("list_mode"),
    S("list_negative_dot_product"), S("list_negative_inner_product"), S("list_pack"),
    S("list_position"), S("list_prepend"), S("list_product"), S("list_reduce"), S("list_resize"),
    S("list_reverse"), S("list_reverse_sort"), S("list_select"), S("list_sem"), S("list_skewness"),
    S("list_slice"), S("list_sort"), S("list_stddev_pop"), S("list_stddev_samp"),
    S("list_string_agg"), S("list_sum"), S("list_transform"), S("list_unique"), S("list_value"),
    S("list_var_pop"), S("list_var_samp"), S("list_where"), S("list_zip"), S("listagg"), S("ln"),
    S("log"), S("log10"), S("log2"), S("lower"), S("lpad"), S("ltrim"), S("mad"), S("make_date"),
    S("make_time"), S("make_timestamp"), S("make_timestamp_ms"), S("make_timestamp_ns"),
    S("make_timestamptz"), S("map"), S("map_concat"), S("map_contains"), S("map_contains_entry"),
    S("map_contains_value"), S("map_entries"), S("map_extract"), S("map_extract_value"),
    S("map_from_entries"), S("map_keys"), S("map_to_pg_oid"), S("map_values"), S("max"),
    S("max_by"), S("md5"), S("md5_number"), S("md5_number_lower"), S("md5_number_upper"),
    S("mean"), S("median"), S("microsecond"), S("millennium"), S("millisecond"), S("min"),
    S("min_by"), S("minute"), S("mismatches"), S("mod"), S("mode"), S("month"), S("monthname"),
    S("multiply"), S("nanosecond"), S("nextafter"),
    F("nextval", STATE, NONE),
    S("nfc_normalize"), S("normalized_interval"), S("not_ilike_escape"), S("not_like_escape"),
    S("now"), S("nth_value"), S("ntile"), S("nullif"),
    F("obj_description", CATALOG, NONE),
    S("octet_length"), S("ord"),
    F("parquet_bloom_probe", NONE, FILES),
    F("parquet_file_metadata", NONE, FILES),
    F("parquet_kv_metadata", NONE, FILES),
    F("parquet_metadata", NONE, FILES),
    F("parquet_scan", NONE, FILES),
    F("parquet_schema", NONE, FILES),
    S("parse_dirname"), S("parse_dirpath"), S("parse_duckdb_log_message"), S("parse_filename"),
    S("parse_path"), S("percent_rank"),
    F("pg_collation_is_visible", CATALOG, NONE),
    F("pg_conf_load_time", ENVIRONMENT, NONE),
    F("pg_conversion_is_visible", CATALOG, NONE),
    F("pg_function_is_visible", CATALOG, NONE),
    F("pg_get_constraintdef", CATALOG, NONE),
    F("pg_get_expr", CATALOG, NONE),
    F("pg_get_viewdef", CATALOG, NONE),
    F("pg_has_role", CATALOG, NONE),
    F("pg_is_other_temp_schema", CATALOG, NONE),
    F("pg_my_temp_schema", CATALOG, NONE),
    F("pg_opclass_is_visible", CATALOG, NONE),
    F("pg_operator_is_visible", CATALOG, NONE),
    F("pg_opfamily_is_visible", CATALOG, NONE),
    F("pg_postmaster_start_time", ENVIRONMENT, NONE),
    S("pg_size_pretty"),
    F("pg_table_is_visible", CATALOG, NONE),
    F("pg_timezone_names", NONE, COMPUTES),
    F("pg_ts_config_is_visible", CATALOG, NONE),
    F("pg_ts_dict_is_visible", CATALOG, NONE),
    F("pg_ts_parser_is_visible", CATALOG, NONE),
    F("pg_ts_template_is_visible", CATALOG, NONE),
    F("pg_type_is_visible", CATALOG, NONE),
    S("pg_typeof"), S("pi"), S("position"), S("pow"), S("power"),
    F("pragma_collations", NONE, CATALOG),
    F("pragma_database_size", NONE, CATALOG),
    F("pragma_metadata_info", NONE, CATALOG),
    F("pragma_platform", NONE, ENVIRONMENT),
    F("pragma_show", NONE, CATALOG),
    F("pragma_storage_info", NONE, CATALOG),
    F("pragma_table_info", NONE, CATALOG),
    F("pragma_user_agent", NONE, ENVIRONMENT),
    F("pragma_version", NONE, ENVIRONMENT),
    S("prefix"), S("printf"), S("product"), S("quantile"), S("quantile_cont"), S("quantile_disc"),
    S("quarter"),
    F("query", NONE, SQL_TEXT),
    F("query_table", NONE, SQL_TEXT),
    S("radians"), S("random"),
    F("range", COMPUTES, COMPUTES),
    S("rank"), S("rank_dense"),
    F("read_blob", NONE, FILES),
    F("read_csv", NONE, FILES),
    F("read_csv_auto", NONE, FILES),
    F("read_json", NONE, FILES),
    F("read_json_auto", NONE, FILES),
    F("read_json_objects", NONE, FILES),
    F("read_json_objects_auto", NONE, FILES),
    F("read_ndjson", NONE, FILES),
    F("read_ndjson_auto", NONE, FILES),
    F("read_ndjson_objects", NONE, FILES),
    F("read_parquet", NONE, FILES),
    F("read_text", NONE, FILES),
    S("reduce"), S("regexp_escape"), S("regexp_extract"), S("regexp_extract_all"),
    S("regexp_full_match"), S("regexp_matches"), S("regexp_replace"), S("regexp_split_to_array"),
    S("regexp_split_to_table"), S("regr_avgx"), S("regr_avgy"), S("regr_count"),
    S("regr_intercept"), S("regr_r2"), S("regr_slope"), S("regr_sxx"), S("regr_sxy"),
    S("regr_syy"), S("remap_struct"),
    F("repeat", COMPUTES, COMPUTES),
    F("repeat_row", NONE, COMPUTES),
    S("replace"), S("replace_type"), S("reservoir_quantile"), S("reverse"), S("right"),
    S("right_grapheme"), S("round"), S("round_even"), S("roundbankers"), S("row"), S("row_number"),
    S("row_to_json"), S("rpad"), S("rtrim"), S("second"), S("sem"),
    F("seq_scan", NONE, INTERNAL),
    F("session_user", CATALOG, NONE),
    S("set_bit"),
    F("setseed", STATE, NONE),
    S("sha1"), S("sha256"),
    F("shobj_description", CATALOG, NONE),
    S("sign"), S("signbit"), S("sin"), S("sinh"), S("skewness"),
    F("sniff_csv", NONE, FILES),
    S("split"), S("split_part"),
    F("sql_auto_complete", NONE, SQL_TEXT),
    S("sqrt"), S("starts_with"),
    F("stats", INTERNAL, NONE),
    S("stddev"), S("stddev_pop"), S("stddev_samp"), S("str_split"), S("str_split_regex"),
    S("strftime"), S("string_agg"), S("string_split"), S("string_split_regex"),
    S("string_to_array"), S("strip_accents"), S("strlen"), S("strpos"), S("strptime"),
    S("struct_concat"), S("struct_contains"), S("struct_extract"), S("struct_extract_at"),
    S("struct_has"), S("struct_indexof"), S("struct_insert"), S("struct_pack"),
    S("struct_position"), S("struct_update"), S("substr"), S("substring"), S("substring_grapheme"),
    S("subtract"), S("suffix"), S("sum"), S("sum_no_overflow"), S("sumkahan"),
    F("summary", NONE, TABLES),
    S("tan"), S("tanh"),
    F("test_all_types", NONE, INTERNAL),
    F("test_vector_types", NONE, INTERNAL),
    S("time_bucket"), S("timetz_byte_comparable"), S("timezone"), S("timezone_hour"),
    S("timezone_minute"), S("to_base"), S("to_base64"), S("to_binary"), S("to_centuries"),
    S("to_days"), S("to_decades"), S("to_hex"), S("to_hours"), S("to_json"), S("to_microseconds"),
    S("to_millennia"), S("to_milliseconds"), S("to_minutes"), S("to_months"), S("to_quarters"),
    S("to_seconds"), S("to_timestamp"), S("to_weeks"), S("to_years"), S("today"),
    S("transaction_timestamp"), S("translate"), S("trim"), S("trunc"),
    F("truncate_duckdb_logs", NONE, STATE),
    S("try_strptime"),
    F("txid_current", ENVIRONMENT, NONE),
    S("typeof"), S("ucase"), S("unbin"), S("unhex"), S("unicode"), S("union_extract"),
    S("union_tag"), S("union_value"),
    F("unnest", COMPUTES, COMPUTES),
    S("unpivot_list"), S("upper"), S("url_decode"), S("url_encode"),
    F("user", CATALOG, NONE),
    S("uuid"), S("uuid_extract_timestamp"), S("uuid_extract_version"), S("uuidv4"), S("uuidv7"),
    S("var_pop"), S("var_samp"), S("variance"), S("variant_extract"), S("variant_typeof"),
    S("vector_type"),
    F("version", ENVIRONMENT, NONE),
    S("wavg"), S("week"), S("weekday"), S("weekofyear"), S("weighted_avg"),
    F("which_secret", NONE, SETTINGS),
    F("write_log", STATE, NONE),
    S("xor"), S("year"), S("yearweek"), S("|"), S("||"), S("~"), S("~~"), S("~~*"), S("~~~"),
};
/* clang-format on */

#undef S
#undef F

static int cmp_entry(const void *key, const void *elem)
{
    return strcmp(key, ((const struct fn_entry *)elem)->name);
}

enum fn_family functions_family(const char *name, enum fn_kind kind)
{
    const struct fn_entry *e = bsearch(name, table, ARRAY_LEN(table), sizeof(table[0]), cmp_entry);
    if (!e)
        return FN_NONE;
    return (enum fn_family)(kind == FN_TABLE ? e->table : e->scalar);
}

const char *functions_reason(enum fn_family f)
{
    switch (f) {
    case FN_NONE:
        return "only functions known to compute on their arguments alone are allowed";
    case FN_COMPUTES:
        return "it is allowed";
    case FN_SQL_TEXT:
        return "it takes SQL text, which the guard cannot check";
    case FN_TABLES:
        return "it reads a table named in its arguments";
    case FN_FILES:
        return "it reads files or URLs";
    case FN_SETTINGS:
        return "it reveals the server's settings, variables or secrets";
    case FN_CATALOG:
        return "it reveals the server's catalog";
    case FN_ENVIRONMENT:
        return "it reveals the server's environment";
    case FN_STATE:
        return "it changes or reveals the database's state";
    case FN_INTERNAL:
        return "it is internal to DuckDB";
    }
    return "it is not allowed";
}

size_t functions_count(void)
{
    return ARRAY_LEN(table);
}

const char *functions_name(size_t i)
{
    return i < ARRAY_LEN(table) ? table[i].name : NULL;
}
