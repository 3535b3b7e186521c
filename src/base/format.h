/* format.h — quantities in words for people: the one byte formatter, so every command says
 * sizes the same way (binary units). */
#ifndef DA_BASE_FORMAT_H
#define DA_BASE_FORMAT_H

#include <stdint.h>

#define FORMAT_BYTES_MAX 32 /* room for the longest text format_bytes writes */

/* bytes in words with binary units: "512 B", "1.5 KiB", "190 KiB", "3.0 GiB" (one decimal
 * under 10, none above). */
void format_bytes(uint64_t bytes, char out[FORMAT_BYTES_MAX]);

#endif
