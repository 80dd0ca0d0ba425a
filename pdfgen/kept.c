/* kept.c — slots of the process's small caches.  See kept.h. */
#include "kept.h"

#include <stdlib.h>

#include "alloc.h"

void kept_free_at_exit(bool *hooked, void (*free_all)(void))
{
    if (!*hooked && atexit(free_all) != 0)
        oom_abort();
    *hooked = true;
}

size_t kept_slot(KeptRing *ring, size_t capacity, void (*free_all)(void), bool *evict)
{
    kept_free_at_exit(&ring->hooked, free_all);
    *evict = ring->count == capacity;
    if (!*evict)
        return ring->count++;
    size_t i = ring->next;
    ring->next = (i + 1) % capacity;
    return i;
}
