#include "diag.h"

#include <stdarg.h>
#include <stdio.h>

static unsigned error_count;

void diag_error(const SourcePos *pos, const char *fmt, ...)
{
    va_list ap;
    if (pos && pos->file)
        fprintf(stderr, "%s:%u:%u: error: ", pos->file, pos->line, pos->col);
    else
        fputs("pdfgen: error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    error_count++;
}

void diag_warning(const SourcePos *pos, const char *fmt, ...)
{
    va_list ap;
    if (pos && pos->file)
        fprintf(stderr, "%s:%u:%u: warning: ", pos->file, pos->line, pos->col);
    else
        fputs("pdfgen: warning: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

unsigned diag_error_count(void) { return error_count; }
void diag_reset(void) { error_count = 0; }
