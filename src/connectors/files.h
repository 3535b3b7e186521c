/* files.h — the files connector: a folder of CSV, Parquet and JSON files becomes one extract
 * (<data_dir>/extracts/<source>/), one table per file, or per subfolder of files (a
 * partitioned table, one Parquet file per part), so anyone can try da with their own data. Types
 * come from DuckDB's readers (the CSV sniffer, Parquet's schema, JSON inference), or every column
 * is VARCHAR on request, for files whose types the sniffer gets wrong. */
#ifndef DA_CONNECTORS_FILES_H
#define DA_CONNECTORS_FILES_H

#include <stdbool.h>
#include <stdint.h>

#include "base/compat.h"
#include "base/rc.h"

struct files_options {
    bool all_varchar;
};

struct files_result {
    int tables;
    int64_t rows;
    int64_t bytes;    /* Parquet bytes written */
    int skipped;      /* files with another extension (hidden ones are not counted) */
    int removed_runs; /* old run folders removed (see extract_writer_commit) */
};

/* Reads every *.csv, *.tsv, *.csv.gz, *.parquet, *.json, *.jsonl and *.ndjson directly in
 * from_dir (sorted by name) into table <id>, where id is the file name without its extension
 * made a canonical table id (other characters become '_'; a leading digit gets "t_").
 * Each folder directly in from_dir becomes one partitioned table, its id made from the
 * folder's name the same way: every file of ours in it is one part (one Parquet file), named
 * after the file's stem (characters other than letters, digits, '_', '.' and '-' become '_').
 * The parts must agree on columns (names and types; the order may differ and follows the
 * first file by name). A folder inside a table's folder, an empty table folder, two files
 * giving one part name and parts that disagree on columns fail the run, naming the folder and
 * the file. All or nothing: a file that cannot be read fails the run, naming the file, and the
 * previous extract of source stays as it was. RC_INVALID for a bad source name, an empty
 * folder or two files (or folders) giving one id. */
enum rc files_extract(const char *data_dir, const char *source, const char *from_dir,
                      const struct files_options *opt, struct files_result *out,
                      struct err *err) WARN_UNUSED;

/* The table id for file name (with extension stripped as above) into out; false when no id can
 * be made or the extension is not one of ours. */
bool files_table_id(const char *file_name, char out[65]);

/* The table id for a table's folder name (the whole name, made an id as above). */
bool files_folder_table_id(const char *folder_name, char out[65]);

#endif
