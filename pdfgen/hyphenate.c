/* hyphenate.c — hyphenation points from libhyphen.  See hyphenate.h. */
#include "hyphenate.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <hyphen.h>
#include <unicode/uchar.h>
#include <unicode/ucnv.h>
#include <unicode/uloc.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

#include "alloc.h"

#ifndef PDFGEN_HYPHEN_DIR
#define PDFGEN_HYPHEN_DIR "/usr/share/hyphen"
#endif

#define SOFT_HYPHEN 0x00AD
#define MAX_WORD 64 /* characters: longer "words" (chemical names, codes) stay whole */

/* A dictionary file is parsed once per process, on the first word that
 * needs it (Debian's English patterns cost as much as laying out a sheet),
 * and shared by every Hyphenator for it: a build opens one per language,
 * and the English one again for the references in every other language.
 * The dictionaries are freed at exit. */
typedef struct Dictionary {
    char *path;
    HyphenDict *dict;    /* NULL until loaded, or when it failed to */
    UConverter *charset; /* the dictionary's, when it is not UTF-8 (Russian: KOI8-R) */
    bool loaded;         /* tried: dict and charset are final */
} Dictionary;

static Dictionary *dictionaries;
static size_t dictionary_count, dictionary_cap;

struct Hyphenator {
    size_t index;        /* into dictionaries, which a realloc may move */
    int left, right;     /* the fewest characters before and after a hyphen */
};

/* The fewest characters a fragment may have, per language: two at the
 * start (as most style guides allow), three at the end for English and
 * French, two elsewhere. */
static void minimums(const char *lang, int *left, int *right)
{
    *left = 2;
    *right = strcmp(lang, "en") == 0 || strcmp(lang, "fr") == 0 || strcmp(lang, "pt") == 0 ? 3 : 2;
}

/* libhyphen has its own answer to running out of memory: it prints
 * "can't allocate N bytes" and calls exit(1).  While pdfgen is inside it,
 * an exit hook adds the line pdfgen's own policy (alloc.h) prints, so a
 * user and a script see the same "out of memory" wherever it happened. */
static volatile bool inside_libhyphen;

static void report_libhyphen_exit(void)
{
    if (inside_libhyphen)
        fputs("pdfgen: error: out of memory (in libhyphen)\n", stderr);
}

static void enter_libhyphen(void)
{
    static bool hooked;
    if (!hooked && atexit(report_libhyphen_exit) == 0)
        hooked = true;
    inside_libhyphen = true;
}

static void leave_libhyphen(void) { inside_libhyphen = false; }

static void free_dictionaries(void)
{
    /* exit() from inside libhyphen (out of memory) leaves its state
     * unknown: the process ends anyway */
    if (inside_libhyphen)
        return;
    for (size_t i = 0; i < dictionary_count; i++) {
        if (dictionaries[i].dict)
            hnj_hyphen_free(dictionaries[i].dict);
        if (dictionaries[i].charset)
            ucnv_close(dictionaries[i].charset);
        free(dictionaries[i].path);
    }
    free(dictionaries);
    dictionaries = NULL;
    dictionary_count = dictionary_cap = 0;
}

/* The index of the dictionary file hyph_<name>.dic in the cache, added
 * (not yet loaded) when the file exists; -1 when it does not. */
static long find_dictionary(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/hyph_%s.dic", PDFGEN_HYPHEN_DIR, name);
    for (size_t i = 0; i < dictionary_count; i++)
        if (strcmp(dictionaries[i].path, path) == 0)
            return (long)i;
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    fclose(f);
    if (dictionary_count == dictionary_cap) {
        static bool hooked;
        if (!hooked && atexit(free_dictionaries) != 0)
            oom_abort();
        hooked = true;
        dictionary_cap = dictionary_cap ? 2 * dictionary_cap : 8;
        dictionaries = xreallocarray(dictionaries, dictionary_cap, sizeof *dictionaries);
    }
    dictionaries[dictionary_count] = (Dictionary){.path = xstrdup(path)};
    return (long)dictionary_count++;
}

/* The loaded dictionary, or NULL when it cannot be used. */
static Dictionary *dictionary(Hyphenator *h)
{
    Dictionary *d = &dictionaries[h->index];
    if (!d->loaded) {
        d->loaded = true;
        enter_libhyphen();
        d->dict = hnj_hyphen_load(d->path);
        leave_libhyphen();
        if (d->dict && strcmp(d->dict->cset, "UTF-8") != 0) {
            UErrorCode status = U_ZERO_ERROR;
            d->charset = ucnv_open(d->dict->cset, &status);
            if (status == U_MEMORY_ALLOCATION_ERROR)
                oom_abort();
            if (U_FAILURE(status)) {
                hnj_hyphen_free(d->dict);
                d->dict = NULL;
                d->charset = NULL;
            }
        }
    }
    return d->dict ? d : NULL;
}

Hyphenator *hyphenator_open(const char *locale)
{
    char lang[16] = "", region[16] = "";
    UErrorCode status = U_ZERO_ERROR;
    uloc_getLanguage(locale, lang, sizeof lang, &status);
    uloc_getCountry(locale, region, sizeof region, &status);
    if (U_FAILURE(status) || !*lang)
        return NULL;
    /* The region asked for, the language alone, then the region Debian
     * ships for it. */
    static const char *const fallback[][2] = {
        {"en", "US"}, {"es", "ES"}, {"fr", "FR"}, {"pt", "BR"}, {"ru", "RU"}, {"hi", "IN"},
    };
    char name[40];
    long index = -1;
    if (*region) {
        snprintf(name, sizeof name, "%s_%s", lang, region);
        index = find_dictionary(name);
    }
    if (index < 0)
        index = find_dictionary(lang);
    for (size_t i = 0; index < 0 && i < sizeof fallback / sizeof *fallback; i++)
        if (strcmp(fallback[i][0], lang) == 0) {
            snprintf(name, sizeof name, "%s_%s", lang, fallback[i][1]);
            index = find_dictionary(name);
        }
    if (index < 0)
        return NULL;
    Hyphenator *h = xcalloc(1, sizeof *h);
    h->index = (size_t)index;
    minimums(lang, &h->left, &h->right);
    return h;
}

void hyphenator_close(Hyphenator *h)
{
    free(h);
}

static bool word_char(UChar32 c)
{
    return u_isalpha(c) || u_charType(c) == U_NON_SPACING_MARK ||
           u_charType(c) == U_COMBINING_SPACING_MARK || c == SOFT_HYPHEN;
}

/* Is the word text[begin, end) one of whole, ignoring case? */
static bool is_whole(const char *text, uint32_t begin, uint32_t end, const char *const *whole)
{
    for (; whole && *whole; whole++) {
        size_t n = strlen(*whole);
        if (n == end - begin && strncasecmp(text + begin, *whole, n) == 0)
            return true;
    }
    return false;
}

/* The word's hyphenation points from the dictionary, marked in hyph. */
static void hyphenate_word(Hyphenator *h, const char *text, uint32_t begin, uint32_t end,
                           uint8_t *hyph)
{
    /* char offsets of the word, to map the dictionary's positions back */
    uint32_t at[MAX_WORD + 1];
    int chars = 0;
    for (uint32_t i = begin; i < end && chars <= MAX_WORD;) {
        at[chars++] = i;
        UChar32 c;
        U8_NEXT(text, i, end, c);
        if (c == SOFT_HYPHEN)
            return; /* the content says where: only there */
    }
    if (chars > MAX_WORD || chars < h->left + h->right)
        return;
    const Dictionary *d = dictionary(h);
    if (!d)
        return;
    at[chars] = end;
    char word[MAX_WORD * 4 + 1];
    int len;
    if (d->charset) {
        UErrorCode status = U_ZERO_ERROR;
        UChar u[MAX_WORD * 2 + 1];
        int32_t un = 0;
        u_strFromUTF8(u, MAX_WORD * 2, &un, text + begin, (int32_t)(end - begin), &status);
        len = ucnv_fromUChars(d->charset, word, (int32_t)sizeof word - 1, u, un, &status);
        /* one byte a character in the single-byte charsets libhyphen uses */
        if (U_FAILURE(status) || len != chars)
            return;
    } else {
        len = (int)(end - begin);
        memcpy(word, text + begin, (size_t)len);
    }
    word[len] = '\0';
    char hyphens[MAX_WORD * 4 + 5];
    char **rep = NULL;
    int *pos = NULL, *cut = NULL;
    enter_libhyphen();
    int failed = hnj_hyphen_hyphenate3(d->dict, word, len, hyphens, NULL, &rep, &pos, &cut,
                                       h->left, h->right, h->left, h->right);
    leave_libhyphen();
    if (failed)
        return;
    if (rep) {
        /* non-standard hyphenation (a letter changes): not for us */
        for (int i = 0; i < len; i++)
            free(rep[i]);
        free(rep);
        free(pos);
        free(cut);
        return;
    }
    /* hyphens[i] odd: a hyphen may follow character i (libhyphen counts
     * characters, in UTF-8 dictionaries too) */
    for (int i = 0; i + 1 < chars; i++)
        if ((hyphens[i] - '0') & 1)
            hyph[at[i + 1]] = 1;
}

void hyphenate_text(Hyphenator *h, const char *text, uint32_t len, const uint8_t *keep,
                    const char *const *whole, uint8_t *hyph)
{
    memset(hyph, 0, len + 1);
    /* where the paragraph's last word begins */
    uint32_t last_word = 0;
    bool in_word = false;
    for (uint32_t i = 0; i < len;) {
        UChar32 c;
        uint32_t at = i;
        U8_NEXT(text, i, len, c);
        bool w = word_char(c);
        if (w && !in_word)
            last_word = at;
        in_word = w;
    }
    for (uint32_t i = 0; i < len;) {
        UChar32 c;
        uint32_t begin = i;
        U8_NEXT(text, i, len, c);
        if (!word_char(c))
            continue;
        uint32_t end = i;
        while (end < len) {
            uint32_t j = end;
            U8_NEXT(text, j, len, c);
            if (!word_char(c))
                break;
            end = j;
        }
        i = end;
        bool kept = false;
        for (uint32_t k = begin; k < end && !kept; k++)
            kept = keep && keep[k];
        if (kept || begin >= last_word || is_whole(text, begin, end, whole))
            continue; /* the paragraph's last word stays whole too */
        /* soft hyphens in the content */
        for (uint32_t k = begin; k < end;) {
            uint32_t k0 = k;
            U8_NEXT(text, k, end, c);
            if (c == SOFT_HYPHEN && k0 > begin && k < end)
                hyph[k] = 1;
        }
        if (h)
            hyphenate_word(h, text, begin, end, hyph);
    }
}
