/* diag.h — error reporting shared by all stages.
 * In: a source position (or none) and a printf-style message.
 * Out: one line on stderr, "file:line:col: error: message" (GNU style, so
 * editors can jump to it), and a running count the CLI turns into exit 1. */
#ifndef PDFGEN_DIAG_H
#define PDFGEN_DIAG_H

#include "model.h"

#if defined(__GNUC__)
#define PDFGEN_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define PDFGEN_PRINTF(a, b)
#endif

/* pos may be NULL or have file == NULL: then the line reads "pdfgen: error: …". */
void diag_error(const SourcePos *pos, const char *fmt, ...) PDFGEN_PRINTF(2, 3);
unsigned diag_error_count(void);
/* The same, "warning:", not counted: something to look at that does not
 * stop a build. */
void diag_warning(const SourcePos *pos, const char *fmt, ...) PDFGEN_PRINTF(2, 3);
void diag_reset(void);

#endif
