/* Runs a function in a child process and collects how it ended and what
 * it wrote to stderr: for code whose correct outcome is to abort (out of
 * memory) or to be stopped by AddressSanitizer. */
#ifndef PDFGEN_TEST_CHILD_H
#define PDFGEN_TEST_CHILD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct ChildResult {
    int status;      /* as waitpid gives it */
    char stderr_text[8192];
} ChildResult;

static inline ChildResult run_in_child(void (*body)(void))
{
    ChildResult r = {0};
    int fds[2];
    if (pipe(fds) != 0)
        abort();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        abort();
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], STDERR_FILENO);
        body();
        _exit(0);
    }
    close(fds[1]);
    size_t got = 0;
    ssize_t n;
    while ((n = read(fds[0], r.stderr_text + got, sizeof r.stderr_text - 1 - got)) > 0)
        got += (size_t)n;
    r.stderr_text[got] = '\0';
    close(fds[0]);
    waitpid(pid, &r.status, 0);
    return r;
}

static inline int child_failed(const ChildResult *r)
{
    return WIFSIGNALED(r->status) || (WIFEXITED(r->status) && WEXITSTATUS(r->status) != 0);
}

#endif
