/* files.h — the files connector: a folder of CSV, Parquet and JSON files becomes one extract
 * (<data_dir>/extracts/<source>/), one table per file, so anyone can try da with their own
 * data. Types come from DuckDB's readers (the CSV sniffer, Parquet's schema, JSON inference),
 * or every column is VARCHAR on request, for files whose types the sniffer gets wrong. */
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
    int64_t bytes;      /* Parquet bytes written */
    int skipped;        /* files with another extension, or hidden */
    int removed_runs;   /* old run folders removed (see extract_writer_commit) */
};

/* Reads every *.csv, *.tsv, *.csv.gz, *.parquet, *.json, *.jsonl and *.ndjson directly in
 * from_dir (sorted by name) into table <id>, where id is the file name without its extension
 * made a canonical table id (other characters become '_'; a leading digit gets "t_").
 * All or nothing: a file that cannot be read fails the run, naming the file, and the previous
 * extract of source stays as it was. RC_INVALID for a bad source name, an empty folder or two
 * files giving one id. */
enum rc files_extract(const char *data_dir, const char *source, const char *from_dir,
                      const struct files_options *opt, struct files_result *out,
                      struct err *err) WARN_UNUSED;

/* The table id for file name (with extension stripped as above) into out; false when no id can
 * be made or the extension is not one of ours. */
bool files_table_id(const char *file_name, char out[65]);

#endif
