/* sigv4.h — AWS Signature Version 4 for one request (the Authorization header), and the checks
 * an S3 address needs before it is built from untrusted parts (bucket, region, key). Used by
 * the Keboola connector to read sliced exports from S3 with temporary credentials. Nothing here
 * logs; the caller owns every string it passes and the heap strings it gets back. */
#ifndef DA_NET_SIGV4_H
#define DA_NET_SIGV4_H

#include <stdbool.h>
#include <stddef.h>

struct sigv4_header {
    const char *name;  /* lower-case */
    const char *value; /* trimmed */
};

struct sigv4_request {
    const char *method;
    const char *path;                   /* already URI-encoded (sigv4_uri_encode with keep_slash) */
    const char *query;                  /* canonical query string, "" for none */
    const struct sigv4_header *headers; /* every header signed, sorted by name */
    size_t n_headers;
    const char *payload_hash; /* hex SHA-256 of the body, or "UNSIGNED-PAYLOAD" */
    const char *access_key, *secret, *region, *service;
    const char *amz_date; /* YYYYMMDDTHHMMSSZ, the x-amz-date header's value */
};

/* The value of the Authorization header for r ("AWS4-HMAC-SHA256 Credential=..., SignedHeaders=
 * ..., Signature=..."; heap). Derived keys are wiped before returning. */
char *sigv4_authorization(const struct sigv4_request *r);

/* s with every byte but [A-Za-z0-9-._~] (and '/' when keep_slash) as %XX (heap). */
char *sigv4_uri_encode(const char *s, bool keep_slash);

/* S3 bucket-name rules: 3-63 of [a-z0-9.-], starting and ending with a letter or digit, no
 * "..", not an IPv4 address. */
bool s3_bucket_valid(const char *b);

/* An AWS region as it goes into a host name: 1-32 of [a-z0-9-]. */
bool s3_region_valid(const char *r);

#endif
