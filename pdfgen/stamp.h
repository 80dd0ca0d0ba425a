/* stamp.h — `pdfgen stamp`: record in a translation which English it now
 * matches.
 * In: loaded content, a translated language and optionally one drug.
 * Out: each of its files (strings.yaml, every <drug>.yaml, glossary.yaml;
 *     or only <drug>.yaml) with the digests of the English as it is now
 *     under `source:` (review.h), rewriting only the digest lines: a line
 *     whose digest changed gets the new digest in place, a field English
 *     no longer has loses its line, a new field gets a line at the end of
 *     the block, and a file without `source:` gets the block at its end.
 *     Every other byte stays as it was; the file is replaced by rename.
 *     One line per file on stdout says what changed.  Returns the number
 *     of files that could not be stamped (reported through diag.h). */
#ifndef PDFGEN_STAMP_H
#define PDFGEN_STAMP_H

#include "model.h"

int stamp_translation(const Content *content, const char *language, const char *drug);

#endif
