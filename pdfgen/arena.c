#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ArenaBlock {
    ArenaBlock *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
};

static void out_of_memory(void)
{
    fputs("pdfgen: error: out of memory\n", stderr);
    abort();
}

void *arena_alloc(Arena *arena, size_t size)
{
    size = (size + 15u) & ~(size_t)15u;
    ArenaBlock *block = arena->head;
    if (!block || block->size - block->used < size) {
        size_t cap = size > 60000 ? size : 60000;
        block = malloc(sizeof *block + cap);
        if (!block)
            out_of_memory();
        block->next = arena->head;
        block->used = 0;
        block->size = cap;
        arena->head = block;
    }
    void *p = block->data + block->used;
    block->used += size;
    memset(p, 0, size);
    return p;
}

void *arena_array(Arena *arena, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size / 2)
        out_of_memory();
    return arena_alloc(arena, count && size ? count * size : 1);
}

void *arena_reserve(Arena *arena, void *array, size_t count, size_t *cap, size_t size)
{
    if (count < *cap)
        return array;
    size_t bigger_cap = *cap ? *cap * 2 : 16;
    void *bigger = arena_array(arena, bigger_cap, size);
    if (count)
        memcpy(bigger, array, count * size);
    *cap = bigger_cap;
    return bigger;
}

char *arena_strndup(Arena *arena, const char *s, size_t n)
{
    char *copy = arena_alloc(arena, n + 1);
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
    if (n < 0)
        out_of_memory();
    char *s = arena_alloc(arena, (size_t)n + 1);
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
