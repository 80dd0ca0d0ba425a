/* arena.c — see arena.h.
 *
 * Normally allocations are bumped out of large blocks.  Under
 * AddressSanitizer that would hide every overflow from one object into the
 * next (both lie inside one malloc'd block), so there each allocation is
 * its own malloc block of exactly the size asked for, and ASan's red zones
 * catch a write one byte past it. */
#include "arena.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

enum { ARENA_ALIGN = 16, ARENA_BLOCK_SIZE = 60000 };

struct ArenaBlock {
    ArenaBlock *next;
    size_t used, size;
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

/* The block header plus `size` bytes of data, 16-aligned (malloc promises
 * only 8 under ASan), or abort when that cannot be had. */
static ArenaBlock *new_block(size_t size)
{
    if (size > SIZE_MAX - sizeof(ArenaBlock))
        oom_abort();
    void *p;
    if (posix_memalign(&p, ARENA_ALIGN, sizeof(ArenaBlock) + size) != 0)
        oom_abort();
    ArenaBlock *block = p;
    block->used = 0;
    block->size = size;
    return block;
}

#if PDFGEN_ASAN

void *arena_alloc_raw(Arena *arena, size_t size)
{
    ArenaBlock *block = new_block(size);
    block->used = size;
    block->next = arena->head;
    arena->head = block;
    return block->data;
}

/* Every array grows into a new block, so that ASan's red zone follows
 * its last element. */
static bool grow_in_place(Arena *arena, void *array, size_t size, size_t bigger_size)
{
    (void)arena, (void)array, (void)size, (void)bigger_size;
    return false;
}

#else

static size_t aligned(size_t size)
{
    if (size > SIZE_MAX - (ARENA_ALIGN - 1))
        oom_abort();
    return (size + (ARENA_ALIGN - 1)) & ~(size_t)(ARENA_ALIGN - 1);
}

void *arena_alloc_raw(Arena *arena, size_t size)
{
    size = aligned(size);
    ArenaBlock *block = arena->head;
    if (!block || block->size - block->used < size) {
        block = new_block(size > ARENA_BLOCK_SIZE ? size : ARENA_BLOCK_SIZE);
        block->next = arena->head;
        arena->head = block;
    }
    void *p = block->data + block->used;
    block->used += size;
    return p;
}

/* An array of `size` bytes that was the last thing bumped out of the
 * newest block, and has room after it there, grows where it is: nothing
 * to copy, and the old array's bytes are not left behind unused. */
static bool grow_in_place(Arena *arena, void *array, size_t size, size_t bigger_size)
{
    ArenaBlock *block = arena->head;
    if (!block || !array)
        return false;
    uintptr_t start = (uintptr_t)block->data, p = (uintptr_t)array;
    if (p < start || p - start >= block->used)
        return false;
    size_t at = (size_t)(p - start);
    if (aligned(size) != block->used - at || block->size - at < aligned(bigger_size))
        return false;
    block->used = at + aligned(bigger_size);
    return true;
}

#endif

void *arena_alloc(Arena *arena, size_t size)
{
    void *p = arena_alloc_raw(arena, size);
    memset(p, 0, size);
    return p;
}

void *arena_array(Arena *arena, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size / 2)
        oom_abort();
    return arena_alloc(arena, count && size ? count * size : 1);
}

/* The elements kept are copied, not zeroed first. */
void *arena_reserve_raw(Arena *arena, void *array, size_t count, size_t *cap, size_t size)
{
    if (count < *cap)
        return array;
    size_t bigger_cap = *cap ? *cap * 2 : 16;
    if (size && bigger_cap > SIZE_MAX / size / 2)
        oom_abort();
    void *bigger = array;
    if (!grow_in_place(arena, array, *cap * size, bigger_cap * size)) {
        bigger = arena_alloc_raw(arena, bigger_cap * size);
        if (count)
            memcpy(bigger, array, count * size);
    }
    *cap = bigger_cap;
    return bigger;
}

void *arena_reserve(Arena *arena, void *array, size_t count, size_t *cap, size_t size)
{
    if (count < *cap)
        return array;
    unsigned char *bigger = arena_reserve_raw(arena, array, count, cap, size);
    memset(bigger + count * size, 0, (*cap - count) * size);
    return bigger;
}

char *arena_strndup(Arena *arena, const char *s, size_t n)
{
    if (n == SIZE_MAX)
        oom_abort();
    char *copy = arena_alloc_raw(arena, n + 1);
    memcpy(copy, s, n);
    copy[n] = '\0';
    return copy;
}

char *arena_printf(Arena *arena, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) /* only a result past INT_MAX bytes: treated as no memory */
        oom_abort();
    char *s = arena_alloc_raw(arena, (size_t)n + 1);
    vsnprintf(s, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return s;
}

void arena_free(Arena *arena)
{
    ArenaBlock *block = arena->head;
    while (block) {
        ArenaBlock *next = block->next;
        free(block);
        block = next;
    }
    arena->head = NULL;
}
