/* kept.h — what a process keeps for the documents after it: small caches
 * of things costly to make that come back the same (formatted dates and
 * numbers, QR codes, font subsets, collation boundaries, dictionaries,
 * how a conjunct's text is shared out over its glyphs).
 * In: a cache's counters and the function that frees it all.
 * Out: the slot a new entry goes to; the cache freed at exit, so valgrind
 * and LeakSanitizer see no leak. */
#ifndef PDFGEN_KEPT_H
#define PDFGEN_KEPT_H

#include <stdbool.h>
#include <stddef.h>

/* A cache of at most a fixed number of entries, the oldest out first. */
typedef struct KeptRing {
    size_t count; /* entries in use: slots 0 .. count-1 */
    size_t next;  /* once full, the oldest slot, the next to go */
    bool hooked;  /* its free function registered with atexit */
} KeptRing;

/* Registers free_all with atexit the first time (*hooked false); aborts
 * as out of memory does when atexit cannot take it. */
void kept_free_at_exit(bool *hooked, void (*free_all)(void));

/* The slot for a new entry of ring (capacity slots): a free one while
 * there is one, then the oldest, whose entry the caller frees before
 * reusing it (*evict true).  free_all is registered at the first call;
 * it frees every entry and sets ring->count and ring->next to 0. */
size_t kept_slot(KeptRing *ring, size_t capacity, void (*free_all)(void), bool *evict);

#endif
