/* diag.h — error reporting shared by all stages.
 * In: a source position (or none) and a printf-style message.
 * Out: one line on stderr, "file:line:col: error: message" (GNU style, so
 * editors can jump to it), and a running count the CLI turns into exit 1.
 * The same line is printed once however often it is reported; at most 10
 * errors of one kind per file and 1,000 in all are printed, and
 * diag_flush() says how many more there were.  Control characters in file
 * names and messages are printed escaped (\e, \n, \x00, \u0085). */
#ifndef PDFGEN_DIAG_H
#define PDFGEN_DIAG_H

#include <stdio.h>

#include "model.h"

#if defined(__GNUC__)
#define PDFGEN_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define PDFGEN_PRINTF(a, b)
#endif

/* pos may be NULL or have file == NULL: then the line reads "pdfgen: error: …". */
void diag_error(const SourcePos *pos, const char *fmt, ...) PDFGEN_PRINTF(2, 3);
/* Every report, repeats included: a stage compares it before and after to
 * learn whether it failed. */
unsigned diag_error_count(void);
/* The same, "warning:", not counted: something to look at that does not
 * stop a build. */
void diag_warning(const SourcePos *pos, const char *fmt, ...) PDFGEN_PRINTF(2, 3);
/* The reports that differed from every earlier one: what a summary counts. */
unsigned diag_distinct_count(void);
/* Prints "... and 99,990 more 'unknown key' errors in FILE" for each kind
 * that went over its limit. */
void diag_flush(void);
/* Writes text to f with control characters and bytes that are not UTF-8
 * escaped. */
void diag_write_escaped(FILE *f, const char *text);
void diag_reset(void);

#endif
