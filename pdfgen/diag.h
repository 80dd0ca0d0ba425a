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

#include <stdarg.h>
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
/* "pdfgen: message\n" on stderr, escaped as above, neither counted nor
 * kept to a limit: a status line (wrote, FAILED) or a usage error, which
 * echo paths and values from the command line. */
void diag_note(const char *fmt, ...) PDFGEN_PRINTF(1, 2);
void diag_vnote(const char *fmt, va_list args) PDFGEN_PRINTF(1, 0);
void diag_reset(void);

/* The same with a va_list, for wrappers that add context (report.h). */
void diag_verror(const SourcePos *pos, const char *fmt, va_list ap) PDFGEN_PRINTF(2, 0);
void diag_vwarning(const SourcePos *pos, const char *fmt, va_list ap) PDFGEN_PRINTF(2, 0);

/* `check --werror`: every warning is reported and counted as an error. */
void diag_set_werror(int on);
/* Each line as it is printed (after the filters above) also goes to fn;
 * with quiet, only there (`check --format json` collects them).  fn NULL
 * stops observing. */
typedef void DiagObserver(void *ctx, const SourcePos *pos, int error, const char *message);
void diag_observe(DiagObserver *fn, void *ctx, int quiet);

#endif
