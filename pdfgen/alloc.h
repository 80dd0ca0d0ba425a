/* alloc.h — pdfgen's one out-of-memory policy.
 * pdfgen is a batch tool: a sheet half built without memory is worth
 * nothing, and every caller checking for NULL would only add untested
 * paths.  So running out of memory prints one line,
 *     pdfgen: error: out of memory
 * and aborts (no output file is renamed into place; an interrupted write
 * leaves only its temporary file, which the next run replaces).
 *
 * The names below are stable; every source file uses them instead of the
 * C library's allocators:
 *     oom_abort()               the policy itself: report and abort
 *     xmalloc(size)             malloc; never NULL (size 0 gives a 1-byte block)
 *     xcalloc(count, size)      calloc, with count * size checked; never NULL
 *     xrealloc(p, size)         realloc; never NULL (size 0 keeps a 1-byte block)
 *     xreallocarray(p, n, size) realloc to n * size bytes, product checked
 *     xstrdup(s), xstrndup(s, n) copies, always NUL-terminated
 * Release everything with free(). */
#ifndef PDFGEN_ALLOC_H
#define PDFGEN_ALLOC_H

#include <stddef.h>

#if defined(__GNUC__)
#define PDFGEN_NORETURN __attribute__((noreturn))
#define PDFGEN_MALLOC __attribute__((malloc, warn_unused_result))
#else
#define PDFGEN_NORETURN
#define PDFGEN_MALLOC
#endif

void oom_abort(void) PDFGEN_NORETURN;
void *xmalloc(size_t size) PDFGEN_MALLOC;
void *xcalloc(size_t count, size_t size) PDFGEN_MALLOC;
void *xrealloc(void *p, size_t size);
void *xreallocarray(void *p, size_t count, size_t size);
char *xstrdup(const char *s) PDFGEN_MALLOC;
char *xstrndup(const char *s, size_t n) PDFGEN_MALLOC;

#endif
