/* collate.h — sorting and letter sections in a language's own order (ICU).
 * In: a locale (BCP 47) and UTF-8 keys.
 * Out: collate_sort: the keys' order under the locale's collator (ties
 *     broken by the bytes, so the order never depends on the input's);
 *     collate_index: the keys in that order, cut into the letter sections
 *     of an index ("A", "B", ... "Ñ" ...; "あ", "か", ...; "ㄱ", "ㄴ", ...)
 *     whose labels are ICU's index characters for the locale: the
 *     exemplar index set, or for Chinese the pinyin or stroke-count
 *     boundaries in the collator itself, with the English A-Z added when
 *     the locale's own letters are not Latin (so "mTOR" on a Russian page
 *     goes under M).  A key sorts into the last label at or before it at
 *     primary strength (accented letters join their base letter), if it
 *     is in that label's script; anything else goes to a "…" section.
 *     Only sections with keys are returned.
 *     collate_drugs: a language's drugs in the collation order of their
 *     names (collate_sort over them, under the language's locale).
 *     collate_prepare_index: reads now what collate_index needs of the
 *     locale's collator and keeps it for the rest of the process (what
 *     a Chinese index needs takes ICU longer than laying out a sheet),
 *     so that workers forked afterwards share it.
 *     collate_index_boundaries: what it keeps: the second units of the
 *     locale's index contractions U+FDD0 + unit, ascending (none but for
 *     Chinese); kept until exit.
 * All return -1 when ICU fails (reported through diag_error()). */
#ifndef PDFGEN_COLLATE_H
#define PDFGEN_COLLATE_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "model.h"

typedef struct IndexSection {
    const char *label; /* UTF-8 */
    size_t *items;     /* indices into the keys, in collation order */
    size_t count;
} IndexSection;

typedef struct Index {
    IndexSection *sections;
    size_t count;
} Index;

int collate_sort(Arena *arena, const char *locale, const char *const *keys, size_t count,
                 size_t *order);
/* order: language->drug_count indices into language->drugs */
int collate_drugs(Arena *arena, const Language *language, size_t *order);
int collate_index(Arena *arena, const char *locale, const char *const *keys, size_t count,
                  Index *out);
int collate_prepare_index(const char *locale);
int collate_index_boundaries(const char *locale, const uint16_t **seconds, size_t *count);

#endif
