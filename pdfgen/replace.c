/* replace.c — a file replaced whole.  See replace.h. */
#include "replace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "interrupt.h"

static int write_all(int fd, const char *data, size_t size)
{
    while (size) {
        ssize_t n = write(fd, data, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        data += n;
        size -= (size_t)n;
    }
    return 0;
}

int replace_file(const char *path, const void *data, size_t size, unsigned mode,
                 const char *infix, bool durable)
{
    size_t path_len = strlen(path), infix_len = strlen(infix);
    char *tmp = xmalloc(path_len + infix_len + sizeof "XXXXXX");
    memcpy(tmp, path, path_len);
    memcpy(tmp + path_len, infix, infix_len);
    memcpy(tmp + path_len + infix_len, "XXXXXX", sizeof "XXXXXX");
    sigset_t saved;
    interruptions_hold(&saved);
    int fd = mkstemp(tmp);
    bool ok = fd >= 0;
    ok = ok && write_all(fd, data, size) == 0;
    ok = ok && fchmod(fd, (mode_t)mode) == 0;
    ok = ok && (!durable || fsync(fd) == 0);
    int err = errno;
    if (fd >= 0 && close(fd) != 0 && ok) {
        ok = false;
        err = errno;
    }
    if (ok && rename(tmp, path) != 0) {
        ok = false;
        err = errno;
    }
    if (!ok && fd >= 0)
        unlink(tmp);
    interruptions_release(&saved);
    free(tmp);
    errno = err;
    return ok ? 0 : -1;
}
