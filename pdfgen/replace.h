/* replace.h — a file replaced whole, so that a reader sees the old bytes
 * or the new ones, never a mix, and nothing is left behind.
 * In: a path, its new bytes and mode, and the infix of the temporary
 *     file's name ("<path><infix>XXXXXX", beside it, made by mkstemp so
 *     that two runs never share one).
 * Out: path holds the bytes, or on any failure is as it was.  The
 *     interrupting signals (interrupt.h) wait from the temporary file's
 *     creation to its rename or removal, so it never outlives the run.
 *     With durable, the bytes reach the disk (fsync) before the rename:
 *     for files people wrote, which no build can make again.
 * Returns 0, or -1 with errno set.  Used by stamp.c (content files) and
 * manifest.c (manifest.json, index.html); build.c stages its PDFs its
 * own way, all or nothing across the whole build. */
#ifndef PDFGEN_REPLACE_H
#define PDFGEN_REPLACE_H

#include <stdbool.h>
#include <stddef.h>

int replace_file(const char *path, const void *data, size_t size, unsigned mode,
                 const char *infix, bool durable);

#endif
