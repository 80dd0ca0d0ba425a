/* alloc.c — allocation that never returns NULL.  See alloc.h. */
#include "alloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void oom_abort(void)
{
    fputs("pdfgen: error: out of memory\n", stderr);
    abort();
}

/* malloc(0) may return NULL on success; asking for one byte keeps "NULL
 * means out of memory" true everywhere. */
void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        oom_abort();
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    if (!count || !size)
        count = size = 1;
    void *p = calloc(count, size);
    if (!p)
        oom_abort();
    return p;
}

void *xrealloc(void *p, size_t size)
{
    void *bigger = realloc(p, size ? size : 1);
    if (!bigger)
        oom_abort();
    return bigger;
}

void *xreallocarray(void *p, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        oom_abort();
    return xrealloc(p, count * size);
}

char *xstrndup(const char *s, size_t n)
{
    if (n == SIZE_MAX)
        oom_abort();
    char *copy = xmalloc(n + 1);
    memcpy(copy, s, n);
    copy[n] = '\0';
    return copy;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}
