/* interrupt.h — the signals that interrupt a run (Ctrl-C, kill, a closed
 * terminal, a file size limit), and holding them back for a moment.
 * In: nothing.  Out: the list, and hold/release around a stretch of work
 *     that must not be cut in two: a temporary file must never outlive
 *     the run that made it, so from its creation to its rename (or
 *     removal) these signals wait, and act the moment it is done.
 * (While SIGXFSZ is held, a write past the size limit fails with EFBIG,
 * which the writer reports like any other write error.) */
#ifndef PDFGEN_INTERRUPT_H
#define PDFGEN_INTERRUPT_H

#include <signal.h>
#include <stddef.h>

static const int interrupting_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGXFSZ};
#define INTERRUPTING_COUNT (sizeof interrupting_signals / sizeof interrupting_signals[0])

static inline void interruptions_hold(sigset_t *saved)
{
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < INTERRUPTING_COUNT; i++)
        sigaddset(&set, interrupting_signals[i]);
    sigprocmask(SIG_BLOCK, &set, saved);
}

static inline void interruptions_release(const sigset_t *saved)
{
    sigprocmask(SIG_SETMASK, saved, NULL);
}

#endif
