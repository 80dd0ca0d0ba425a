/* file_read.c — a whole file into memory.  See file_read.h. */
#include "file_read.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "alloc.h"

char *file_read(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, used = 0;
    char *bytes = xmalloc(cap);
    for (size_t n; (n = fread(bytes + used, 1, cap - used, f)) > 0;) {
        used += n;
        if (used == cap)
            bytes = xrealloc(bytes, cap *= 2);
    }
    int err = ferror(f) ? (errno ? errno : EIO) : 0;
    if (fclose(f) != 0 && !err)
        err = errno ? errno : EIO;
    if (err) {
        free(bytes);
        errno = err;
        return NULL;
    }
    *size = used;
    return bytes;
}
