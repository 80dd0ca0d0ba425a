/* build.h — the batch: every requested (language, drug) pair to a PDF.
 * In: loaded, valid content and the build options.
 * Out: out/<lang>/<drug>.pdf, and without a drug filter out/<lang>/glossary.pdf
 *     and the booklet out/<lang>/all.pdf; without any filter the catalog page
 *     out/index.html (catalog.h).  All or nothing: each PDF is written to a
 *     temporary file ".<id>.pdf.XXXXXX" in its folder, and only when every
 *     requested output was written are they all renamed into place; if any
 *     fails, the temporary files are removed and the files already in out/
 *     stay as they were.  A reader never sees half a PDF.  A build first
 *     removes such temporary files left by a killed build in the folders it
 *     writes (not while another build is writing there).  One progress line
 *     per sheet on stderr unless quiet.
 * With dry_run, every sheet is laid out (so a character no font has is
 * found) and nothing is written.
 * Returns the number of sheets that failed (each reported). */
#ifndef PDFGEN_BUILD_H
#define PDFGEN_BUILD_H

#include <stddef.h>

#include "sheet.h"
#include "model.h"

typedef struct BuildOptions {
    const char *out_dir;
    Paper paper;
    double bleed;                 /* points: print.c's bleed and crop marks; 0 for none */
    const char *const *languages; /* NULL: all */
    size_t language_count;
    const char *const *drugs; /* NULL: all */
    size_t drug_count;
    int quiet;
    int stats; /* a line per sheet on stdout: how it was set */
    SheetSize size; /* SIZE_LARGE: out/<lang>/large/<drug>.pdf */
    const char *creator;
    unsigned file_mode; /* for the finished PDFs: 0666 less the umask */
    int dry_run;        /* lay every sheet out, write nothing ('check') */
} BuildOptions;

int build_sheets(const Content *content, const BuildOptions *options);

/* SOURCE_DATE_EPOCH: *epoch is its value, or -1 when unset or empty.
 * Returns -1 (after printing why) when it is not a plain number of seconds
 * or lies after 9999-12-31T23:59:59Z, which a PDF date cannot hold. */
int build_source_date_epoch(long long *epoch);

#endif
