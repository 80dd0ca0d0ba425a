/* file_read.h — a whole file into memory.
 * In: a path.  Out: its bytes in a malloc'd buffer the caller frees (not
 * NUL-terminated), and their count; NULL with errno set when the file
 * cannot be opened, read or closed. */
#ifndef PDFGEN_FILE_READ_H
#define PDFGEN_FILE_READ_H

#include <stddef.h>

char *file_read(const char *path, size_t *size);

#endif
