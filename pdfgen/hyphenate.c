/* hyphenate.c — hyphenation points from libhyphen.  See hyphenate.h. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "hyphenate.h"

#include <errno.h>
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
#include "kept.h"
#include "file_read.h"
#include "hyphen_filter.h"
#include "hyphen_load.h"

#ifndef PDFGEN_HYPHEN_DIR
#define PDFGEN_HYPHEN_DIR "/usr/share/hyphen"
#endif

#define SOFT_HYPHEN 0x00AD
#define MAX_WORD 64 /* characters: longer "words" (chemical names, codes) stay whole */

/* The words a process was told to expect (hyphenator_expect), each once. */
typedef struct WordSet {
    char *bytes;
    size_t used, bytes_cap;
    uint32_t *at;
    uint16_t *len;
    size_t count, cap;
    uint32_t *slots; /* open addressing: 1 + the word's index, 0 empty */
    size_t slot_count;
} WordSet;

/* A dictionary file is parsed on the first word that needs it (Debian's
 * English patterns cost as much to load as laying out a sheet), and
 * shared by every Hyphenator for it: a build opens one per language, and
 * the English one again for the references in every other language.
 * When the words to come were announced (a document's, before it is laid
 * out), only the patterns they can use are loaded (hyphen_filter.h); the
 * first word outside them, or the next document's new words, load the
 * whole file instead, once, for the rest of the process.  The
 * dictionaries are freed at exit. */
typedef struct Dictionary {
    char *path;
    HyphenDict *dict;    /* NULL until loaded, or when it failed to */
    bool parsed_here;    /* dict is hyphen_load's (hyphen_load_free), not libhyphen's */
    UConverter *charset; /* the dictionary's, when it is not UTF-8 (Russian: KOI8-R) */
    bool loaded;         /* tried: dict and charset are final */
    WordSet expected;
    size_t filtered_for; /* dict has the patterns of expected's first words, this many; 0: all */
    bool whole;          /* the words outgrew a filtered load: only the whole file now */
    struct WordAnswer *answers; /* WORD_ANSWERS of them, allocated with the first */
} Dictionary;

/* The dictionary's answers for the words it was last asked about: a
 * language's sheets, glossary and booklet repeat most of their words, and
 * libhyphen costs some 5,000 instructions a word.  Direct-mapped, so its
 * memory is the same for 3 sheets or 3,000; a word longer than the key
 * holds is asked each time.  Exact whichever patterns are loaded
 * (hyphen_filter.h), so it outlives a reload. */
#define WORD_ANSWERS 2048
#define WORD_ANSWER_KEY 37
typedef struct WordAnswer {
    uint64_t after; /* bit i: a hyphen may follow character i */
    uint8_t len;    /* of word; 0: an empty slot */
    uint8_t left, right;
    char word[WORD_ANSWER_KEY];
} WordAnswer;

static Dictionary *dictionaries;
static size_t dictionary_count, dictionary_cap;
static bool load_whole; /* hyphenate_load_whole */

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

static uint32_t word_hash(const char *w, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)w[i]) * 16777619u;
    return h;
}

/* The word's index in the set, or -1. */
static long wordset_find(const WordSet *set, const char *w, size_t n)
{
    if (!set->slot_count)
        return -1;
    for (size_t i = word_hash(w, n) & (set->slot_count - 1);; i = (i + 1) & (set->slot_count - 1)) {
        uint32_t slot = set->slots[i];
        if (!slot)
            return -1;
        if (set->len[slot - 1] == n && memcmp(set->bytes + set->at[slot - 1], w, n) == 0)
            return (long)slot - 1;
    }
}

static void wordset_put_slot(WordSet *set, size_t index)
{
    size_t i = word_hash(set->bytes + set->at[index], set->len[index]) & (set->slot_count - 1);
    while (set->slots[i])
        i = (i + 1) & (set->slot_count - 1);
    set->slots[i] = (uint32_t)index + 1;
}

/* Adds the word (at most MAX_WORD characters) unless it is there. */
static void wordset_add(WordSet *set, const char *w, size_t n)
{
    if (wordset_find(set, w, n) >= 0)
        return;
    if (set->used + n > set->bytes_cap) {
        set->bytes_cap = set->bytes_cap ? 2 * set->bytes_cap : 4096;
        while (set->used + n > set->bytes_cap)
            set->bytes_cap *= 2;
        set->bytes = xrealloc(set->bytes, set->bytes_cap);
    }
    if (set->count == set->cap) {
        set->cap = set->cap ? 2 * set->cap : 256;
        set->at = xreallocarray(set->at, set->cap, sizeof *set->at);
        set->len = xreallocarray(set->len, set->cap, sizeof *set->len);
    }
    memcpy(set->bytes + set->used, w, n);
    set->at[set->count] = (uint32_t)set->used;
    set->len[set->count] = (uint16_t)n;
    set->used += n;
    set->count++;
    if (2 * set->count > set->slot_count) {
        free(set->slots);
        set->slot_count = set->slot_count ? 2 * set->slot_count : 512;
        set->slots = xcalloc(set->slot_count, sizeof *set->slots);
        for (size_t i = 0; i < set->count; i++)
            wordset_put_slot(set, i);
    } else {
        wordset_put_slot(set, set->count - 1);
    }
}

static void wordset_free(WordSet *set)
{
    free(set->bytes);
    free(set->at);
    free(set->len);
    free(set->slots);
    *set = (WordSet){0};
}

static void drop_dict(Dictionary *d)
{
    if (d->dict && d->parsed_here)
        hyphen_load_free(d->dict);
    else if (d->dict)
        hnj_hyphen_free(d->dict);
    d->dict = NULL;
}

static void free_dictionaries(void)
{
    /* exit() from inside libhyphen (out of memory) leaves its state
     * unknown: the process ends anyway */
    if (inside_libhyphen)
        return;
    for (size_t i = 0; i < dictionary_count; i++) {
        drop_dict(&dictionaries[i]);
        if (dictionaries[i].charset)
            ucnv_close(dictionaries[i].charset);
        free(dictionaries[i].path);
        free(dictionaries[i].answers);
        wordset_free(&dictionaries[i].expected);
    }
    free(dictionaries);
    dictionaries = NULL;
    dictionary_count = dictionary_cap = 0;
}

/* The index of the dictionary file hyph_<name>.dic in the cache, added
 * (not yet loaded) when the file exists; -1 when it does not.  Files are
 * told apart by their real path: Debian's hyph_en.dic is a link to
 * hyph_en_US.dic, and en and en-US text share one dictionary. */
static long find_dictionary(const char *name)
{
    char link[512];
    snprintf(link, sizeof link, "%s/hyph_%s.dic", PDFGEN_HYPHEN_DIR, name);
    char *path = realpath(link, NULL);
    if (!path) {
        if (errno == ENOMEM)
            oom_abort();
        return -1;
    }
    for (size_t i = 0; i < dictionary_count; i++)
        if (strcmp(dictionaries[i].path, path) == 0) {
            free(path);
            return (long)i;
        }
    FILE *f = fopen(path, "r");
    if (!f) {
        free(path);
        return -1;
    }
    fclose(f);
    if (dictionary_count == dictionary_cap) {
        static bool hooked;
        kept_free_at_exit(&hooked, free_dictionaries);
        dictionary_cap = dictionary_cap ? 2 * dictionary_cap : 8;
        dictionaries = xreallocarray(dictionaries, dictionary_cap, sizeof *dictionaries);
    }
    dictionaries[dictionary_count] = (Dictionary){.path = path, .whole = load_whole};
    return (long)dictionary_count++;
}

/* The word in the dictionary's charset (one byte a character in the
 * single-byte charsets libhyphen uses), or -1 when it has no spelling
 * there. */
static int to_charset(UConverter *charset, const char *utf8, int32_t n, int chars, char *out,
                      int32_t cap)
{
    UErrorCode status = U_ZERO_ERROR;
    UChar u[MAX_WORD * 2 + 1];
    int32_t un = 0;
    u_strFromUTF8(u, MAX_WORD * 2, &un, utf8, n, &status);
    int32_t len = ucnv_fromUChars(charset, out, cap, u, un, &status);
    return U_FAILURE(status) || len != chars ? -1 : len;
}

static int count_chars(const char *utf8, int32_t n)
{
    int chars = 0;
    for (int32_t i = 0; i < n; chars++)
        U8_FWD_1(utf8, i, n);
    return chars;
}

/* The dictionary in bytes, parsed by hyphen_load (*parsed_here) or, for
 * the files it leaves to libhyphen, by libhyphen; NULL when that fails. */
static HyphenDict *parse(char *bytes, size_t len, bool *parsed_here)
{
    HyphenDict *dict = hyphen_load(bytes, len);
    *parsed_here = dict != NULL;
    if (dict)
        return dict;
    FILE *f = fmemopen(bytes, len, "r");
    if (!f)
        return NULL;
    enter_libhyphen();
    dict = hnj_hyphen_load_file(f);
    leave_libhyphen();
    fclose(f);
    return dict;
}

/* The dictionary with only the patterns the expected words use, or NULL
 * when it cannot be filtered (then it is loaded whole). */
static HyphenDict *load_filtered(const Dictionary *d, bool *parsed_here)
{
    size_t len;
    char *file = file_read(d->path, &len);
    if (!file)
        return NULL;
    /* the charset line, as libhyphen reads it */
    char cset[MAX_NAME] = "";
    for (size_t i = 0; i < len && i + 1 < MAX_NAME && file[i] != '\n' && file[i] != '\r'; i++)
        cset[i] = file[i];
    UConverter *charset = NULL;
    if (strcmp(cset, "UTF-8") != 0) {
        UErrorCode status = U_ZERO_ERROR;
        charset = ucnv_open(cset, &status);
        if (status == U_MEMORY_ALLOCATION_ERROR)
            oom_abort();
        if (U_FAILURE(status)) {
            free(file);
            return NULL;
        }
    }
    const WordSet *set = &d->expected;
    HyphenWord *words = xreallocarray(NULL, set->count, sizeof *words);
    char *converted = charset ? xmalloc(set->used) : NULL;
    size_t count = 0, used = 0;
    for (size_t i = 0; i < set->count; i++) {
        const char *w = set->bytes + set->at[i];
        if (charset) {
            int n = to_charset(charset, w, set->len[i], count_chars(w, set->len[i]),
                               converted + used, (int32_t)(set->used - used));
            if (n < 0)
                continue; /* hyphenate_word will not ask libhyphen either */
            words[count++] = (HyphenWord){converted + used, (size_t)n};
            used += (size_t)n;
        } else {
            words[count++] = (HyphenWord){w, set->len[i]};
        }
    }
    size_t out_len;
    char *out = hyphen_filter(file, len, words, count, &out_len);
    free(words);
    free(converted);
    free(file);
    if (charset)
        ucnv_close(charset);
    if (!out)
        return NULL;
    HyphenDict *dict = parse(out, out_len, parsed_here);
    free(out);
    return dict;
}

static void load(Dictionary *d)
{
    d->loaded = true;
    if (!d->whole && d->expected.count) {
        d->dict = load_filtered(d, &d->parsed_here);
        d->filtered_for = d->dict ? d->expected.count : 0;
    }
    if (!d->dict) {
        d->whole = true;
        wordset_free(&d->expected);
        size_t len;
        char *file = file_read(d->path, &len);
        if (file) {
            d->dict = parse(file, len, &d->parsed_here);
            free(file);
        }
    }
    if (d->dict && strcmp(d->dict->cset, "UTF-8") != 0) {
        UErrorCode status = U_ZERO_ERROR;
        d->charset = ucnv_open(d->dict->cset, &status);
        if (status == U_MEMORY_ALLOCATION_ERROR)
            oom_abort();
        if (U_FAILURE(status)) {
            drop_dict(d);
            d->charset = NULL;
        }
    }
}

/* The loaded dictionary for the word (UTF-8), or NULL when it cannot be
 * used. */
static Dictionary *dictionary(Hyphenator *h, const char *word, size_t len)
{
    Dictionary *d = &dictionaries[h->index];
    if (d->loaded && d->filtered_for) {
        long i = wordset_find(&d->expected, word, len);
        if (i < 0 || (size_t)i >= d->filtered_for) {
            /* a word the filtered patterns were not chosen for */
            drop_dict(d);
            if (d->charset)
                ucnv_close(d->charset);
            d->charset = NULL;
            d->filtered_for = 0;
            d->whole = true;
            d->loaded = false;
        }
    }
    if (!d->loaded)
        load(d);
    return d->dict ? d : NULL;
}

void hyphenate_load_whole(void)
{
    load_whole = true;
    for (size_t i = 0; i < dictionary_count; i++)
        if (!dictionaries[i].loaded) {
            dictionaries[i].whole = true;
            wordset_free(&dictionaries[i].expected);
        }
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
    /* most of the text: ASCII, whose letters are its only alphabetic
     * characters and which has no combining marks */
    if (c >= 0 && c < 0x80)
        return (unsigned)((c | 0x20) - 'a') < 26;
    return u_isalpha(c) || u_charType(c) == U_NON_SPACING_MARK ||
           u_charType(c) == U_COMBINING_SPACING_MARK || c == SOFT_HYPHEN;
}

struct WholeWords {
    char **words;
    size_t *lens;
    size_t count;
    size_t *slots; /* index + 1 into words; 0: empty */
    size_t cap;    /* a power of two, over twice count */
};

/* ASCII letters folded, as strncasecmp does in the C locale. */
static unsigned char fold(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static uint64_t fold_hash(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325u ^ n;
    for (size_t i = 0; i < n; i++)
        h = (h ^ fold((unsigned char)s[i])) * 0x100000001b3u;
    return h;
}

static bool fold_equal(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fold((unsigned char)a[i]) != fold((unsigned char)b[i]))
            return false;
    return true;
}

/* The slot of the word s[0, n), or the empty slot where it would go. */
static size_t *whole_slot(const WholeWords *w, const char *s, size_t n)
{
    for (size_t i = (size_t)fold_hash(s, n) & (w->cap - 1);; i = (i + 1) & (w->cap - 1)) {
        size_t k = w->slots[i];
        if (!k || (w->lens[k - 1] == n && fold_equal(w->words[k - 1], s, n)))
            return &w->slots[i];
    }
}

WholeWords *whole_words_new(const char *const *words)
{
    WholeWords *w = xcalloc(1, sizeof *w);
    while (words && words[w->count])
        w->count++;
    w->words = xcalloc(w->count ? w->count : 1, sizeof *w->words);
    w->lens = xcalloc(w->count ? w->count : 1, sizeof *w->lens);
    for (w->cap = 8; w->cap < 2 * w->count + 2; w->cap *= 2)
        ;
    w->slots = xcalloc(w->cap, sizeof *w->slots);
    for (size_t i = 0; i < w->count; i++) {
        w->words[i] = xstrdup(words[i]);
        w->lens[i] = strlen(words[i]);
        size_t *slot = whole_slot(w, w->words[i], w->lens[i]);
        if (!*slot)
            *slot = i + 1;
    }
    return w;
}

bool whole_words_same(const WholeWords *w, const char *const *words)
{
    size_t i = 0;
    for (; words && words[i]; i++)
        if (!w || i >= w->count || strcmp(words[i], w->words[i]) != 0)
            return false;
    return i == (w ? w->count : 0);
}

void whole_words_free(WholeWords *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->count; i++)
        free(w->words[i]);
    free(w->words);
    free(w->lens);
    free(w->slots);
    free(w);
}

/* Is the word text[begin, end) one of whole, ignoring case? */
static bool is_whole(const char *text, uint32_t begin, uint32_t end, const WholeWords *whole)
{
    return whole && whole->count && *whole_slot(whole, text + begin, end - begin) != 0;
}

/* The number of characters of a word the dictionary is asked about, with
 * their offsets in at (MAX_WORD + 1 of them); -1 for a word it is not. */
static int dictionary_word_chars(const Hyphenator *h, const char *text, uint32_t begin,
                                 uint32_t end, uint32_t *at)
{
    int chars = 0;
    for (uint32_t i = begin; i < end && chars <= MAX_WORD;) {
        at[chars++] = i;
        UChar32 c;
        U8_NEXT(text, i, end, c);
        if (c == SOFT_HYPHEN)
            return -1; /* the content says where: only there */
    }
    return chars > MAX_WORD || chars < h->left + h->right ? -1 : chars;
}

/* The next word of text from *i on, none of it kept and not one of whole:
 * false at the end. */
static bool next_word(const char *text, uint32_t len, const uint8_t *keep,
                      const WholeWords *whole, uint32_t *i, uint32_t *begin, uint32_t *end)
{
    while (*i < len) {
        UChar32 c;
        *begin = *i;
        U8_NEXT(text, *i, len, c);
        if (!word_char(c))
            continue;
        *end = *i;
        while (*end < len) {
            uint32_t j = *end;
            U8_NEXT(text, j, len, c);
            if (!word_char(c))
                break;
            *end = j;
        }
        *i = *end;
        bool kept = false;
        for (uint32_t k = *begin; k < *end && !kept; k++)
            kept = keep && keep[k];
        if (!kept && !is_whole(text, *begin, *end, whole))
            return true;
    }
    return false;
}

void hyphenator_expect(Hyphenator *h, const char *text, uint32_t len, const uint8_t *keep,
                       const WholeWords *whole)
{
    if (!h || dictionaries[h->index].whole)
        return;
    uint32_t at[MAX_WORD + 1];
    for (uint32_t i = 0, begin, end; next_word(text, len, keep, whole, &i, &begin, &end);)
        if (dictionary_word_chars(h, text, begin, end, at) >= 0)
            wordset_add(&dictionaries[h->index].expected, text + begin, end - begin);
}

/* The dictionary's hyphenation points of the word (UTF-8, chars
 * characters): bit i set when a hyphen may follow character i. */
static uint64_t dictionary_answer(const Hyphenator *h, const Dictionary *d, const char *utf8,
                                  uint32_t n, int chars)
{
    char word[MAX_WORD * 4 + 1];
    int len;
    if (d->charset) {
        len = to_charset(d->charset, utf8, (int32_t)n, chars, word, (int32_t)sizeof word - 1);
        if (len < 0)
            return 0;
    } else {
        len = (int)n;
        memcpy(word, utf8, (size_t)len);
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
        return 0;
    if (rep) {
        /* non-standard hyphenation (a letter changes): not for us */
        for (int i = 0; i < len; i++)
            free(rep[i]);
        free(rep);
        free(pos);
        free(cut);
        return 0;
    }
    /* hyphens[i] odd: a hyphen may follow character i (libhyphen counts
     * characters, in UTF-8 dictionaries too) */
    uint64_t after = 0;
    for (int i = 0; i + 1 < chars; i++)
        if ((hyphens[i] - '0') & 1)
            after |= (uint64_t)1 << i;
    return after;
}

/* Marks in hyph where a hyphen may follow the word's characters (bit i
 * of after: character i, which begins at at[i]). */
static void mark_after(uint64_t after, const uint32_t *at, int chars, uint8_t *hyph)
{
    for (int i = 0; i + 1 < chars; i++)
        if (after >> i & 1)
            hyph[at[i + 1]] = 1;
}

/* The word's hyphenation points from the dictionary, marked in hyph. */
static void hyphenate_word(Hyphenator *h, const char *text, uint32_t begin, uint32_t end,
                           uint8_t *hyph)
{
    /* char offsets of the word, to map the dictionary's positions back */
    uint32_t at[MAX_WORD + 1];
    int chars = dictionary_word_chars(h, text, begin, end, at);
    if (chars < 0)
        return;
    uint32_t n = end - begin;
    WordAnswer *answer = NULL;
    if (n <= WORD_ANSWER_KEY) {
        Dictionary *known = &dictionaries[h->index];
        if (known->answers) {
            answer = &known->answers[word_hash(text + begin, n) & (WORD_ANSWERS - 1)];
            if (answer->len == n && answer->left == h->left && answer->right == h->right &&
                memcmp(answer->word, text + begin, n) == 0) {
                mark_after(answer->after, at, chars, hyph);
                return;
            }
        }
    }
    Dictionary *d = dictionary(h, text + begin, n);
    if (!d)
        return;
    uint64_t after = dictionary_answer(h, d, text + begin, n, chars);
    if (n <= WORD_ANSWER_KEY) {
        if (!d->answers)
            d->answers = xcalloc(WORD_ANSWERS, sizeof *d->answers);
        answer = &d->answers[word_hash(text + begin, n) & (WORD_ANSWERS - 1)];
        *answer = (WordAnswer){after, (uint8_t)n, (uint8_t)h->left, (uint8_t)h->right, {0}};
        memcpy(answer->word, text + begin, n);
    }
    mark_after(after, at, chars, hyph);
}

static bool has_soft_hyphen(const char *text, uint32_t len)
{
    for (const char *p = text; (p = memchr(p, 0xC2, (size_t)(text + len - p))); p++)
        if (p + 1 < text + len && (unsigned char)p[1] == 0xAD)
            return true;
    return false;
}

void hyphenate_text(Hyphenator *h, const char *text, uint32_t len, const uint8_t *keep,
                    const WholeWords *whole, uint8_t *hyph)
{
    memset(hyph, 0, len + 1);
    if (!h && !has_soft_hyphen(text, len))
        return; /* nothing to mark */
    /* where the paragraph's last word begins, read from the end (the
     * text is NFC from ICU: well-formed, the same characters backwards) */
    uint32_t last_word = len;
    for (bool in_word = false; last_word > 0;) {
        int32_t j = (int32_t)last_word;
        UChar32 c;
        U8_PREV(text, 0, j, c);
        if (word_char(c))
            in_word = true;
        else if (in_word)
            break;
        last_word = (uint32_t)j;
    }
    for (uint32_t i = 0, begin, end; next_word(text, len, keep, whole, &i, &begin, &end);) {
        if (begin >= last_word)
            continue; /* the paragraph's last word stays whole too */
        /* soft hyphens in the content */
        for (uint32_t k = begin; k < end;) {
            UChar32 c;
            uint32_t k0 = k;
            U8_NEXT(text, k, end, c);
            if (c == SOFT_HYPHEN && k0 > begin && k < end)
                hyph[k] = 1;
        }
        if (h)
            hyphenate_word(h, text, begin, end, hyph);
    }
}
