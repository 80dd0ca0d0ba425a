/* arena.h — a bump allocator that owns everything built for one sheet
 * (shaped runs, lines, boxes).  One arena_free() releases it all, so the
 * layout code never has to track individual lifetimes.  Allocation failure
 * aborts (alloc.h): there is no useful way to continue without memory.
 * Built with AddressSanitizer (PDFGEN_ASAN), every allocation is a
 * separate heap block, so ASan reports an overflow of any one object. */
#ifndef PDFGEN_ARENA_H
#define PDFGEN_ARENA_H

#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__)
#define PDFGEN_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PDFGEN_ASAN 1
#endif
#endif
#ifndef PDFGEN_ASAN
#define PDFGEN_ASAN 0
#endif

typedef struct ArenaBlock ArenaBlock;
typedef struct Arena {
    ArenaBlock *head;
} Arena;

void *arena_alloc(Arena *arena, size_t size);           /* zeroed, 16-aligned */
/* Not zeroed: for a buffer the caller fills before reading any of it
 * (valgrind's memcheck reports a read of a byte never written). */
void *arena_alloc_raw(Arena *arena, size_t size);
void *arena_array(Arena *arena, size_t count, size_t size); /* checks overflow */
/* Makes room for element `count` of an arena array of `size`-byte
 * elements holding `count` now: when it is full (count == *cap) the array
 * moves to one twice as large.  Returns the array to use from now on. */
void *arena_reserve(Arena *arena, void *array, size_t count, size_t *cap, size_t size);
/* The same, the new elements not zeroed: for an array whose caller
 * fills each element as it takes it. */
void *arena_reserve_raw(Arena *arena, void *array, size_t count, size_t *cap, size_t size);
char *arena_strndup(Arena *arena, const char *s, size_t n);
char *arena_printf(Arena *arena, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void arena_free(Arena *arena);

#endif
