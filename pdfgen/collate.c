/* collate.c — collation order and index sections (ICU).  See collate.h. */
#include "collate.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/ucol.h>
#include <unicode/uscript.h>
#include <unicode/unorm2.h>
#include <unicode/uset.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>
#include <unicode/ulocdata.h>

#include "alloc.h"
#include "kept.h"
#include "diag.h"

/* U+FDD0 starts the contractions Chinese collations use as index
 * boundaries ("\uFDD0A" is where pinyin A starts; "\uFDD0\u2801" where
 * one-stroke characters start). */
#define CHINESE_BASE 0xFDD0
#define HANGUL_FIRST 0xAC00
#define HANGUL_LAST 0xD7A3

static bool failed(UErrorCode status, const char *what, const char *locale)
{
    if (U_SUCCESS(status))
        return false;
    diag_error(NULL, "ICU: %s for '%s': %s", what, locale, u_errorName(status));
    return true;
}

static UCollator *open_collator(const char *locale, UColAttributeValue strength)
{
    UErrorCode status = U_ZERO_ERROR;
    UCollator *coll = ucol_open(locale, &status);
    if (failed(status, "cannot open a collator", locale)) {
        if (coll)
            ucol_close(coll);
        return NULL;
    }
    ucol_setStrength(coll, strength);
    return coll;
}

typedef struct SortContext {
    const UCollator *coll;
    const char *const *keys;
    bool failed;
} SortContext;

static int compare(const SortContext *ctx, size_t a, size_t b)
{
    UErrorCode status = U_ZERO_ERROR;
    UCollationResult r = ucol_strcollUTF8(ctx->coll, ctx->keys[a], -1, ctx->keys[b], -1, &status);
    if (U_FAILURE(status))
        return strcmp(ctx->keys[a], ctx->keys[b]);
    if (r != UCOL_EQUAL)
        return r == UCOL_LESS ? -1 : 1;
    int c = strcmp(ctx->keys[a], ctx->keys[b]);
    return c ? c : (a < b ? -1 : a > b);
}

/* Insertion sort: glossaries and drug lists are short, and it needs no
 * context pointer smuggled through qsort. */
static void sort_indices(const SortContext *ctx, size_t *order, size_t count)
{
    for (size_t i = 1; i < count; i++) {
        size_t v = order[i], k = i;
        while (k > 0 && compare(ctx, order[k - 1], v) > 0) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = v;
    }
}

int collate_sort(Arena *arena, const char *locale, const char *const *keys, size_t count,
                 size_t *order)
{
    (void)arena;
    UCollator *coll = open_collator(locale, UCOL_TERTIARY);
    if (!coll)
        return -1;
    for (size_t i = 0; i < count; i++)
        order[i] = i;
    SortContext ctx = {coll, keys, false};
    sort_indices(&ctx, order, count);
    ucol_close(coll);
    return 0;
}

/* ---- index labels ------------------------------------------------------ */

typedef struct Label {
    const char *label;    /* what the heading shows */
    const char *boundary; /* where its section starts in collation order */
    UScriptCode script;   /* USCRIPT_INVALID_CODE: any script (Chinese) */
    const char *key;      /* boundary's sort key, while the labels are sorted */
} Label;

typedef struct Labels {
    Label *items;
    size_t count, cap;
} Labels;

static UScriptCode script_of(UChar32 c)
{
    UErrorCode status = U_ZERO_ERROR;
    UScriptCode s = uscript_getScript(c, &status);
    if (U_FAILURE(status))
        return USCRIPT_INVALID_CODE;
    /* Japanese indexes put katakana words under the hiragana rows. */
    return s == USCRIPT_KATAKANA ? USCRIPT_HIRAGANA : s;
}

static char *utf16_to_utf8(Arena *arena, const UChar *s, int32_t len)
{
    UErrorCode status = U_ZERO_ERROR;
    int32_t need = 0;
    u_strToUTF8(NULL, 0, &need, s, len, &status);
    if (status != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(status))
        return NULL;
    status = U_ZERO_ERROR;
    char *out = arena_alloc(arena, (size_t)need + 1);
    u_strToUTF8(out, need + 1, NULL, s, len, &status);
    return U_SUCCESS(status) ? out : NULL;
}

static void add_label(Arena *arena, Labels *labels, const char *label, const char *boundary,
                      UScriptCode script)
{
    labels->items = arena_reserve(arena, labels->items, labels->count, &labels->cap,
                                  sizeof *labels->items);
    labels->items[labels->count++] = (Label){label, boundary, script, NULL};
}

/* The exemplar index characters of a locale: "[A B C ... Ñ ... Z]". */
static int exemplar_labels(Arena *arena, const char *locale, Labels *labels)
{
    UErrorCode status = U_ZERO_ERROR;
    ULocaleData *data = ulocdata_open(locale, &status);
    if (failed(status, "no locale data", locale))
        return -1;
    USet *set = ulocdata_getExemplarSet(data, NULL, 0, ULOCDATA_ES_INDEX, &status);
    ulocdata_close(data);
    if (failed(status, "no index characters", locale)) {
        if (set)
            uset_close(set);
        return -1;
    }
    int32_t items = uset_getItemCount(set);
    for (int32_t i = 0; i < items; i++) {
        UChar32 start, end;
        UChar str[16];
        status = U_ZERO_ERROR;
        int32_t len = uset_getItem(set, i, &start, &end, str, 16, &status);
        if (U_FAILURE(status))
            continue;
        if (len > 0) {
            char *s = utf16_to_utf8(arena, str, len);
            UChar32 first;
            U16_GET(str, 0, 0, len, first);
            if (s)
                add_label(arena, labels, s, s, script_of(first));
            continue;
        }
        for (UChar32 c = start; c <= end; c++) {
            char *s = arena_alloc(arena, 5);
            int32_t at = 0;
            UBool error = false;
            U8_APPEND(s, at, 4, c, error);
            if (!error)
                add_label(arena, labels, s, s, script_of(c));
        }
    }
    uset_close(set);
    return 0;
}

/* Chinese collations carry their index as contractions U+FDD0 + label:
 * a Latin letter for pinyin, a braille cell U+2800 + n for n strokes
 * (shown "n劃"), as ICU's AlphabeticIndex reads them.  Reading the
 * contractions takes ICU longer than laying out a sheet, so each
 * locale's are read once per process and kept here: the second unit of
 * every two-unit contraction that starts with U+FDD0, in ICU's order. */
typedef struct Boundaries {
    char *locale;
    UChar *seconds;
    size_t count;
} Boundaries;

static Boundaries *boundaries_cache;
static size_t boundaries_count, boundaries_cap;

static void free_boundaries(void)
{
    for (size_t i = 0; i < boundaries_count; i++) {
        free(boundaries_cache[i].locale);
        free(boundaries_cache[i].seconds);
    }
    free(boundaries_cache);
    boundaries_cache = NULL;
    boundaries_count = boundaries_cap = 0;
}

/* The locale's boundaries, read from coll when not yet known; NULL when
 * ICU fails (reported). */
static const Boundaries *chinese_boundaries(const UCollator *coll, const char *locale)
{
    for (size_t i = 0; i < boundaries_count; i++)
        if (strcmp(boundaries_cache[i].locale, locale) == 0)
            return &boundaries_cache[i];
    Boundaries b = {xstrdup(locale), NULL, 0};
    /* Those contractions come from the tailoring's rules (the root
     * collation has none): each is written there as U+FDD0 and one unit,
     * quoted, and ICU's canonical closure adds U+FDD0 with every BMP
     * character whose canonical decomposition starts with that unit
     * ("\uFDD0\u00C0" for "\uFDD0A").  Reading them from the rules and
     * the decompositions gives, for zh-Hans and zh-Hant (ICU 72), the
     * same boundaries in the same order (a set's strings ascend by code
     * unit) as ucol_getTailoredSet, which builds the whole tailoring's
     * closure (25 M instructions each, not 5 M); test_collate.c compares
     * the two. */
    int32_t rules_len = 0;
    const UChar *rules = ucol_getRules(coll, &rules_len);
    uint64_t named[0x10000 / 64] = {0}; /* the units after U+FDD0, one bit each */
    bool named_any = false;
    for (int32_t i = 0; rules && i + 2 < rules_len; i++) {
        if (rules[i] != CHINESE_BASE || U16_IS_SURROGATE(rules[i + 1]))
            continue;
        UChar after = rules[i + 2];
        if (after != '\'' && after != '<' && after != '=' && after != ' ' && after != '&')
            continue;
        named[rules[i + 1] / 64] |= UINT64_C(1) << (rules[i + 1] % 64);
        named_any = true;
    }
    if (named_any) {
        UErrorCode status = U_ZERO_ERROR;
        const UNormalizer2 *nfd = unorm2_getNFDInstance(&status);
        if (failed(status, "cannot open the NFD normalizer", locale)) {
            free(b.locale);
            return NULL;
        }
        size_t cap = 64;
        b.seconds = xcalloc(cap, sizeof *b.seconds);
        for (UChar32 c = 0; c <= 0xFFFF; c++) {
            if (U16_IS_SURROGATE(c))
                continue;
            UChar first = (UChar)c;
            if (c >= HANGUL_FIRST && c <= HANGUL_LAST) {
                /* a syllable's first jamo (Unicode 3.12), no table needed */
                first = (UChar)(0x1100 + (c - HANGUL_FIRST) / 588);
            } else if (u_getIntPropertyValue(c, UCHAR_DECOMPOSITION_TYPE) == U_DT_CANONICAL) {
                UChar decomposition[8];
                status = U_ZERO_ERROR;
                if (unorm2_getDecomposition(nfd, c, decomposition, 8, &status) > 0 &&
                    U_SUCCESS(status))
                    first = decomposition[0];
            }
            if (!(named[first / 64] >> (first % 64) & 1))
                continue;
            if (b.count == cap) {
                cap *= 2;
                b.seconds = xreallocarray(b.seconds, cap, sizeof *b.seconds);
            }
            b.seconds[b.count++] = (UChar)c;
        }
    }
    if (boundaries_count == boundaries_cap) {
        static bool hooked;
        kept_free_at_exit(&hooked, free_boundaries);
        boundaries_cap = boundaries_cap ? 2 * boundaries_cap : 4;
        boundaries_cache = xreallocarray(boundaries_cache, boundaries_cap, sizeof *boundaries_cache);
    }
    boundaries_cache[boundaries_count] = b;
    return &boundaries_cache[boundaries_count++];
}

static int chinese_labels(Arena *arena, const UCollator *coll, const char *locale, Labels *labels)
{
    const Boundaries *b = chinese_boundaries(coll, locale);
    if (!b)
        return -1;
    for (size_t i = 0; i < b->count; i++) {
        UChar str[2] = {CHINESE_BASE, b->seconds[i]};
        const char *label;
        if (str[1] > 0x2800 && str[1] <= 0x28FF)
            label = arena_printf(arena, "%d\xE5\x8A\x83", str[1] - 0x2800); /* 劃 */
        else
            label = utf16_to_utf8(arena, str + 1, 1);
        const char *boundary = utf16_to_utf8(arena, str, 2);
        if (label && boundary)
            add_label(arena, labels, label, boundary, USCRIPT_INVALID_CODE);
    }
    return 0;
}

int collate_prepare_index(const char *locale)
{
    UCollator *coll = open_collator(locale, UCOL_PRIMARY);
    if (!coll)
        return -1;
    int rc = chinese_boundaries(coll, locale) ? 0 : -1;
    ucol_close(coll);
    return rc;
}

int collate_index_boundaries(const char *locale, const uint16_t **seconds, size_t *count)
{
    UCollator *coll = open_collator(locale, UCOL_PRIMARY);
    if (!coll)
        return -1;
    const Boundaries *b = chinese_boundaries(coll, locale);
    ucol_close(coll);
    if (!b)
        return -1;
    *seconds = b->seconds;
    *count = b->count;
    return 0;
}

typedef struct LabelSort {
    const UCollator *coll;
    Labels *labels;
} LabelSort;

static UCollationResult collate(const UCollator *coll, const char *a, const char *b)
{
    UErrorCode status = U_ZERO_ERROR;
    UCollationResult r = ucol_strcollUTF8(coll, a, -1, b, -1, &status);
    return U_SUCCESS(status) ? r : UCOL_EQUAL;
}

/* s's sort key by coll (NUL-terminated, no NUL inside: strcmp compares
 * two as ucol_strcoll compares their strings); NULL when ICU fails. */
static const char *sort_key_of(Arena *arena, const UCollator *coll, const char *s)
{
    UErrorCode status = U_ZERO_ERROR;
    UChar small[64];
    int32_t len = 0;
    u_strFromUTF8(small, 64, &len, s, -1, &status);
    if (U_FAILURE(status))
        return NULL;
    int32_t need = ucol_getSortKey(coll, small, len, NULL, 0);
    if (need <= 0)
        return NULL;
    uint8_t *key = arena_alloc(arena, (size_t)need);
    ucol_getSortKey(coll, small, len, key, need);
    return (const char *)key;
}

/* Do a and b (boundaries) collate in this order, by their keys where
 * there are keys? */
static UCollationResult collate_labels(const UCollator *coll, const Label *a, const char *a_key,
                                       const Label *b, const char *b_key)
{
    if (a_key && b_key) {
        int c = strcmp(a_key, b_key);
        return c < 0 ? UCOL_LESS : c > 0 ? UCOL_GREATER : UCOL_EQUAL;
    }
    return collate(coll, a->boundary, b->boundary);
}

/* In collation order, one label per primary weight: of Е and Ё (the same
 * letter to a Russian index), the one that sorts first.  Compared by sort
 * keys, made once a label: a Chinese index has 250 boundaries. */
static void sort_labels(Arena *arena, const UCollator *primary, const UCollator *full,
                        Labels *labels)
{
    Label *v = labels->items;
    for (size_t i = 0; i < labels->count; i++)
        v[i].key = sort_key_of(arena, full, v[i].boundary);
    for (size_t i = 1; i < labels->count; i++) {
        Label x = v[i];
        size_t k = i;
        while (k > 0 && collate_labels(full, &v[k - 1], v[k - 1].key, &x, x.key) == UCOL_GREATER) {
            v[k] = v[k - 1];
            k--;
        }
        v[k] = x;
    }
    size_t n = 0;
    const char *last_key = NULL;
    for (size_t i = 0; i < labels->count; i++) {
        const char *key = sort_key_of(arena, primary, v[i].boundary);
        if (n == 0 || collate_labels(primary, &v[n - 1], last_key, &v[i], key) != UCOL_EQUAL) {
            v[n++] = v[i];
            last_key = key;
        }
    }
    labels->count = n;
}

static UScriptCode first_script(const char *s)
{
    int32_t i = 0, len = (int32_t)strlen(s);
    UChar32 c = 0;
    if (len == 0)
        return USCRIPT_INVALID_CODE;
    U8_NEXT(s, i, len, c);
    return c < 0 ? USCRIPT_INVALID_CODE : script_of(c);
}

static int build_labels(Arena *arena, const char *locale, const UCollator *primary,
                        const UCollator *full, Labels *labels)
{
    if (chinese_labels(arena, primary, locale, labels) != 0)
        return -1;
    bool chinese = labels->count > 0;
    if (!chinese && exemplar_labels(arena, locale, labels) != 0)
        return -1;
    bool latin = !chinese;
    for (size_t i = 0; i < labels->count && latin; i++)
        latin = labels->items[i].script == USCRIPT_LATIN;
    if (!latin && exemplar_labels(arena, "en", labels) != 0)
        return -1;
    sort_labels(arena, primary, full, labels);
    return 0;
}

/* ---- sections ---------------------------------------------------------- */

static const char ELLIPSIS[] = "\xE2\x80\xA6"; /* … */

static IndexSection *section_for(Arena *arena, Index *out, size_t *cap, const char *label,
                                 size_t count)
{
    for (size_t i = 0; i < out->count; i++)
        if (strcmp(out->sections[i].label, label) == 0)
            return &out->sections[i];
    out->sections = arena_reserve(arena, out->sections, out->count, cap, sizeof *out->sections);
    IndexSection *s = &out->sections[out->count++];
    *s = (IndexSection){label, arena_array(arena, count, sizeof *s->items), 0};
    return s;
}

static int index_of(Arena *arena, const char *locale, const char *const *keys, size_t count,
                    Index *out)
{
    *out = (Index){0};
    size_t *order = arena_array(arena, count ? count : 1, sizeof *order);
    if (collate_sort(arena, locale, keys, count, order) != 0)
        return -1;
    UCollator *primary = open_collator(locale, UCOL_PRIMARY);
    UCollator *full = primary ? open_collator(locale, UCOL_TERTIARY) : NULL;
    Labels labels = {0};
    if (!full || build_labels(arena, locale, primary, full, &labels) != 0) {
        if (full)
            ucol_close(full);
        if (primary)
            ucol_close(primary);
        return -1;
    }
    ucol_close(full);
    /* Each key's label; the sections come in the order their labels
     * first appear, so the English M and the pinyin M are one section. */
    const char **label_of = arena_array(arena, count ? count : 1, sizeof *label_of);
    bool overflow_used = false;
    for (size_t i = 0; i < count; i++) {
        const char *key = keys[order[i]];
        /* the last label not after the key: the labels are in primary
         * order, one per weight, so those not after it come first */
        size_t lo = 0, hi = labels.count;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (collate(primary, labels.items[mid].boundary, key) != UCOL_GREATER)
                lo = mid + 1;
            else
                hi = mid;
        }
        const Label *at = lo > 0 ? &labels.items[lo - 1] : NULL;
        if (at && at->script != USCRIPT_INVALID_CODE && at->script != first_script(key))
            at = NULL;
        label_of[i] = at ? at->label : ELLIPSIS;
        overflow_used |= !at;
    }
    size_t cap = 0;
    for (size_t k = 0; k < labels.count; k++)
        for (size_t i = 0; i < count; i++)
            if (label_of[i] == labels.items[k].label) {
                section_for(arena, out, &cap, labels.items[k].label, count);
                break;
            }
    if (overflow_used)
        section_for(arena, out, &cap, ELLIPSIS, count);
    for (size_t i = 0; i < count; i++) {
        IndexSection *s = section_for(arena, out, &cap, label_of[i], count);
        s->items[s->count++] = order[i];
    }
    ucol_close(primary);
    return 0;
}

/* The indexes made lately, kept for the process: glossary.pdf's job and
 * the booklet sort the same glossary (22 M instructions for a whole
 * build's booklets).  The same keys, in the same order, under the same
 * locale give the same sections; a few entries, about a language's
 * glossary each. */
typedef struct KeptIndex {
    char *locale;
    char *keys; /* the keys one after another, each ending in its NUL */
    size_t keys_size, count;
    Index index; /* malloc'd: sections, their items, their labels */
} KeptIndex;

enum { KEPT_INDEXES = 16 };
static KeptIndex kept_indexes[KEPT_INDEXES];
static KeptRing kept_index_ring;

static void free_kept_index(KeptIndex *k)
{
    for (size_t s = 0; s < k->index.count; s++) {
        free((char *)k->index.sections[s].label);
        free(k->index.sections[s].items);
    }
    free(k->index.sections);
    free(k->locale);
    free(k->keys);
    *k = (KeptIndex){0};
}

static void free_kept_indexes(void)
{
    for (size_t i = 0; i < kept_index_ring.count; i++)
        free_kept_index(&kept_indexes[i]);
    kept_index_ring.count = kept_index_ring.next = 0;
}

static bool same_keys(const KeptIndex *k, const char *locale, const char *const *keys,
                      size_t count)
{
    if (k->count != count || strcmp(k->locale, locale) != 0)
        return false;
    const char *at = k->keys;
    for (size_t i = 0; i < count; i++) {
        size_t len = strlen(keys[i]) + 1;
        if ((size_t)(k->keys + k->keys_size - at) < len || memcmp(at, keys[i], len) != 0)
            return false;
        at += len;
    }
    return true;
}

static void keep_index(const char *locale, const char *const *keys, size_t count,
                       const Index *index)
{
    bool evict;
    size_t slot = kept_slot(&kept_index_ring, KEPT_INDEXES, free_kept_indexes, &evict);
    KeptIndex *k = &kept_indexes[slot];
    if (evict)
        free_kept_index(k);
    k->locale = xstrdup(locale);
    k->count = count;
    for (size_t i = 0; i < count; i++)
        k->keys_size += strlen(keys[i]) + 1;
    k->keys = xmalloc(k->keys_size ? k->keys_size : 1);
    char *at = k->keys;
    for (size_t i = 0; i < count; i++) {
        size_t len = strlen(keys[i]) + 1;
        memcpy(at, keys[i], len);
        at += len;
    }
    k->index.count = index->count;
    k->index.sections = xcalloc(index->count ? index->count : 1, sizeof *k->index.sections);
    for (size_t s = 0; s < index->count; s++) {
        const IndexSection *from = &index->sections[s];
        IndexSection *to = &k->index.sections[s];
        to->label = xstrdup(from->label);
        to->count = from->count;
        to->items = xcalloc(from->count ? from->count : 1, sizeof *to->items);
        memcpy(to->items, from->items, from->count * sizeof *to->items);
    }
}

int collate_index(Arena *arena, const char *locale, const char *const *keys, size_t count,
                  Index *out)
{
    for (size_t i = 0; i < kept_index_ring.count; i++) {
        const KeptIndex *k = &kept_indexes[i];
        if (!same_keys(k, locale, keys, count))
            continue;
        out->count = k->index.count;
        out->sections = arena_array(arena, k->index.count ? k->index.count : 1,
                                    sizeof *out->sections);
        for (size_t s = 0; s < k->index.count; s++) {
            const IndexSection *from = &k->index.sections[s];
            IndexSection *to = &out->sections[s];
            to->label = arena_strndup(arena, from->label, strlen(from->label));
            to->count = from->count;
            to->items = arena_array(arena, from->count ? from->count : 1, sizeof *to->items);
            memcpy(to->items, from->items, from->count * sizeof *to->items);
        }
        return 0;
    }
    if (index_of(arena, locale, keys, count, out) != 0)
        return -1;
    keep_index(locale, keys, count, out);
    return 0;
}

int collate_drugs(Arena *arena, const Language *language, size_t *order)
{
    size_t n = language->drug_count;
    const char **names = arena_array(arena, n ? n : 1, sizeof *names);
    for (size_t i = 0; i < n; i++)
        names[i] = language->drugs[i].name.utf8;
    return collate_sort(arena, language->strings.locale.utf8, names, n, order);
}
