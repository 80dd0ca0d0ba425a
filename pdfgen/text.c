/* text.c — normalization, font itemization, shaping and break
 * opportunities.  See text.h. */
#include "text.h"

#include <stdlib.h>
#include <string.h>
#include <unicode/ubidi.h>
#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/uloc.h>
#include <unicode/uscript.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utext.h>
#include <unicode/utf8.h>

#include "alloc.h"
#include "diag.h"
#include "hash.h"
#include "hyphenate.h"

#define OTHER_LANGUAGES 4

/* What the shaper made before, by everything it was made from: each
 * paragraph (text_shape: its pieces, their styles and languages, the
 * direction, the words kept whole), and each run (shape_run: the font,
 * script, direction, the start and end of text flags, the run's bytes and
 * the context HarfBuzz reads around them, up to five characters each
 * side).  A booklet sets every sheet of its language again, and a
 * glossary much of the sheets' wording; what was made once is copied
 * from here, byte for byte what would be made again (the language is the
 * shaper's, the fonts the process's).  A paragraph that differs (a
 * booklet's sheet links its first use of a glossary term) still finds
 * most of its runs.  A language's sheets, glossary and booklet cover take
 * about 250 KB of runs; each cache is emptied when it would hold more
 * than CACHE_MAX bytes, and the build empties a language's when it
 * moves on to another (shaper_trim), so memory stays flat in the number
 * of sheets and of languages.  No language of the real content fills
 * 1 MB (Letter, A4 or large print); a thousand drugs a language do, and
 * at 2 MB the three caches held 3.3 MB more at the peak for 1-1.5% fewer
 * instructions. */
typedef struct CacheEntry {
    char *key; /* NULL: an empty slot */
    size_t key_len;
    uint64_t hash;
    void *value;
    size_t value_len;
} CacheEntry;

typedef struct Cache {
    CacheEntry *slots;
    size_t cap, count; /* cap: 0 or a power of two */
    size_t bytes;
} Cache;

enum { CACHE_MAX = 1 << 20, CONTEXT_CHARS = 5 };

struct Shaper {
    Hyphenator *hyphenator; /* NULL: no dictionary for the language */
    /* other languages' hyphenators, opened when text in them comes */
    char *other_lang[OTHER_LANGUAGES];
    Hyphenator *other[OTHER_LANGUAGES];
    /* The words kept whole (shaper_keep_whole): the last list seen, and
     * a number for it that paragraphs are cached under, not the words (a
     * language of a thousand drugs has a thousand names); keep_id 0: no
     * words now. */
    WholeWords *kept;
    uint64_t keep_id, kept_id, last_id;
    FontSet *fonts;
    char *locale;
    hb_language_t language;
    hb_buffer_t *buffer;
    UBreakIterator *line_breaks;
    UBreakIterator *graphemes;
    /* Japanese: ICU's breaks between phrases (lw=phrase), for titles and
     * headings; opened when the first comes (it loads a dictionary). */
    bool japanese;
    UBreakIterator *phrases;
    UBiDi *bidi;
    int rtl;
    /* Korean is set with breaks between words only (CSS keep-all);
     * ICU's default would break between any two Hangul syllables. */
    int keep_all;
    Cache paragraphs, runs, later;
};

/* ICU out of memory falls under pdfgen's policy (alloc.h); any other
 * failure is reported against pos and makes the caller give up. */
static int icu_failed(UErrorCode status, const SourcePos *pos, const char *what)
{
    if (status == U_MEMORY_ALLOCATION_ERROR)
        oom_abort();
    if (U_SUCCESS(status))
        return 0;
    diag_error(pos, "ICU cannot %s: %s", what, u_errorName(status));
    return 1;
}

/* HarfBuzz keeps going after a failed allocation with an empty buffer,
 * which would print as missing text; under the policy it is fatal. */
static void hb_check(hb_buffer_t *buffer)
{
    if (!hb_buffer_allocation_successful(buffer))
        oom_abort();
}

static void cache_clear(Cache *c)
{
    for (size_t i = 0; i < c->cap; i++) {
        free(c->slots[i].key);
        free(c->slots[i].value);
    }
    free(c->slots);
    *c = (Cache){0};
}

/* The slot of key, or the empty slot where it goes (cap > count). */
static CacheEntry *cache_slot(const Cache *c, const char *key, size_t len, uint64_t hash)
{
    for (size_t i = (size_t)hash & (c->cap - 1);; i = (i + 1) & (c->cap - 1)) {
        CacheEntry *e = &c->slots[i];
        if (!e->key || (e->hash == hash && e->key_len == len && memcmp(e->key, key, len) == 0))
            return e;
    }
}

static const CacheEntry *cache_find(const Cache *c, const char *key, size_t len, uint64_t hash)
{
    if (!c->cap)
        return NULL;
    const CacheEntry *e = cache_slot(c, key, len, hash);
    return e->key ? e : NULL;
}

static void cache_grow(Cache *c)
{
    Cache grown = {xcalloc(c->cap ? 2 * c->cap : 256, sizeof *c->slots),
                   c->cap ? 2 * c->cap : 256, c->count, c->bytes};
    for (size_t i = 0; i < c->cap; i++)
        if (c->slots[i].key)
            *cache_slot(&grown, c->slots[i].key, c->slots[i].key_len, c->slots[i].hash) =
                c->slots[i];
    free(c->slots);
    *c = grown;
}

/* Keeps value (malloc'd, now the cache's) under a copy of key, which is
 * not there yet. */
static void cache_put(Cache *c, const char *key, size_t len, uint64_t hash, void *value,
                      size_t value_len)
{
    if (c->bytes + len + value_len > CACHE_MAX)
        cache_clear(c);
    if (2 * (c->count + 1) > c->cap)
        cache_grow(c);
    char *owned = xmalloc(len ? len : 1);
    memcpy(owned, key, len);
    *cache_slot(c, key, len, hash) = (CacheEntry){owned, len, hash, value, value_len};
    c->count++;
    c->bytes += len + value_len;
}

void shaper_trim(Shaper *shaper)
{
    if (!shaper)
        return;
    cache_clear(&shaper->paragraphs);
    cache_clear(&shaper->runs);
    cache_clear(&shaper->later);
}

const void *shaper_recall(const Shaper *shaper, const void *key, size_t key_len,
                          size_t *value_len)
{
    const CacheEntry *e = cache_find(&shaper->later, key, key_len, hash_bytes(key, key_len));
    if (!e)
        return NULL;
    *value_len = e->value_len;
    return e->value;
}

void shaper_remember(Shaper *shaper, const void *key, size_t key_len, void *value,
                     size_t value_len)
{
    uint64_t hash = hash_bytes(key, key_len);
    if (cache_find(&shaper->later, key, key_len, hash)) {
        free(value);
        return;
    }
    cache_put(&shaper->later, key, key_len, hash, value, value_len);
}

Shaper *shaper_open(FontSet *fonts, const char *locale)
{
    UErrorCode status = U_ZERO_ERROR;
    Shaper *shaper = xcalloc(1, sizeof *shaper);
    shaper->fonts = fonts;
    shaper->locale = xstrdup(locale);
    shaper->language = hb_language_from_string(locale, -1);
    shaper->buffer = hb_buffer_create();
    hb_check(shaper->buffer);
    shaper->line_breaks = ubrk_open(UBRK_LINE, locale, NULL, 0, &status);
    shaper->graphemes = ubrk_open(UBRK_CHARACTER, locale, NULL, 0, &status);
    shaper->bidi = ubidi_open();
    if (!shaper->bidi)
        oom_abort();
    shaper->rtl = uloc_isRightToLeft(locale);
    shaper->hyphenator = hyphenator_open(locale);
    char language[16];
    uloc_getLanguage(locale, language, sizeof language, &status);
    shaper->keep_all = strcmp(language, "ko") == 0;
    shaper->japanese = strcmp(language, "ja") == 0;
    if (status == U_MEMORY_ALLOCATION_ERROR)
        oom_abort();
    if (U_FAILURE(status)) {
        diag_error(NULL, "ICU cannot break text for locale '%s': %s", locale, u_errorName(status));
        shaper_close(shaper);
        return NULL;
    }
    return shaper;
}

void shaper_close(Shaper *shaper)
{
    if (!shaper)
        return;
    if (shaper->line_breaks)
        ubrk_close(shaper->line_breaks);
    if (shaper->graphemes)
        ubrk_close(shaper->graphemes);
    if (shaper->phrases)
        ubrk_close(shaper->phrases);
    if (shaper->bidi)
        ubidi_close(shaper->bidi);
    hb_buffer_destroy(shaper->buffer);
    hyphenator_close(shaper->hyphenator);
    for (int i = 0; i < OTHER_LANGUAGES; i++) {
        hyphenator_close(shaper->other[i]);
        free(shaper->other_lang[i]);
    }
    shaper_trim(shaper);
    whole_words_free(shaper->kept);
    free(shaper->locale);
    free(shaper);
}

static bool same_language(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The hyphenator for text in lang (NULL: the shaper's own language). */
static Hyphenator *hyphenator_for(Shaper *shaper, const char *lang)
{
    if (!lang || strcmp(lang, shaper->locale) == 0)
        return shaper->hyphenator;
    for (int i = 0; i < OTHER_LANGUAGES; i++) {
        if (!shaper->other_lang[i]) {
            shaper->other_lang[i] = xstrdup(lang);
            shaper->other[i] = hyphenator_open(lang);
            return shaper->other[i];
        }
        if (strcmp(shaper->other_lang[i], lang) == 0)
            return shaper->other[i];
    }
    return NULL;
}

/* Every sheet of a language passes its own copy of the same names: they
 * keep the number they had, so its paragraphs are found in the cache. */
void shaper_keep_whole(Shaper *shaper, const char *const *words)
{
    if (!words || !*words) {
        shaper->keep_id = 0;
        return;
    }
    if (!shaper->kept || !whole_words_same(shaper->kept, words)) {
        whole_words_free(shaper->kept);
        shaper->kept = whole_words_new(words);
        shaper->kept_id = ++shaper->last_id;
    }
    shaper->keep_id = shaper->kept_id;
}

/* The words kept whole now, for the hyphenators. */
static const WholeWords *kept_whole(const Shaper *shaper)
{
    return shaper->keep_id ? shaper->kept : NULL;
}

/* UTF-8 to UTF-16 in the arena (ICU works in UTF-16); NULL, reported
 * against pos, for text that is not UTF-8. */
static UChar *utf8_to_utf16(Arena *arena, const char *utf8, size_t len, int32_t *n16,
                            const SourcePos *pos)
{
    UErrorCode status = U_ZERO_ERROR;
    if (len >= INT32_MAX) {
        diag_error(pos, "text too long (%zu bytes)", len);
        return NULL;
    }
    /* One pass: no character takes more UTF-16 units than UTF-8 bytes. */
    UChar *u16 = arena_array(arena, len + 1, sizeof *u16);
    *n16 = 0;
    u_strFromUTF8(u16, (int32_t)len + 1, n16, utf8, (int32_t)len, &status);
    return icu_failed(status, pos, "read this text as UTF-8") ? NULL : u16;
}

static char *utf16_to_utf8(Arena *arena, const UChar *u16, int32_t n16, const SourcePos *pos)
{
    UErrorCode status = U_ZERO_ERROR;
    int32_t len = 0;
    u_strToUTF8(NULL, 0, &len, u16, n16, &status);
    if (status == U_BUFFER_OVERFLOW_ERROR)
        status = U_ZERO_ERROR;
    if (icu_failed(status, pos, "convert normalized text to UTF-8"))
        return NULL;
    char *out = arena_alloc(arena, (size_t)len + 1);
    u_strToUTF8(out, len + 1, NULL, u16, n16, &status);
    return icu_failed(status, pos, "convert normalized text to UTF-8") ? NULL : out;
}

/* NFC, so that "é" typed as e + U+0301 shapes, searches and compares like
 * the precomposed letter.  Returns an arena copy (the input when it is
 * already normalized), or NULL when ICU fails (reported against pos). */
static char *normalize_nfc(Arena *arena, const char *utf8, size_t len, const SourcePos *pos)
{
    UErrorCode status = U_ZERO_ERROR;
    const UNormalizer2 *nfc = unorm2_getNFCInstance(&status);
    if (icu_failed(status, pos, "load its NFC data"))
        return NULL;
    int32_t n16;
    UChar *src = utf8_to_utf16(arena, utf8, len, &n16, pos);
    if (!src)
        return NULL;
    UBool normalized = unorm2_isNormalized(nfc, src, n16, &status);
    if (icu_failed(status, pos, "normalize this text"))
        return NULL;
    if (normalized)
        return arena_strndup(arena, utf8, len);
    int32_t cap = unorm2_normalize(nfc, src, n16, NULL, 0, &status);
    if (status == U_BUFFER_OVERFLOW_ERROR)
        status = U_ZERO_ERROR;
    if (icu_failed(status, pos, "normalize this text"))
        return NULL;
    UChar *dst = arena_array(arena, (size_t)cap + 1, sizeof *dst);
    int32_t n = unorm2_normalize(nfc, src, n16, dst, cap + 1, &status);
    if (icu_failed(status, pos, "normalize this text"))
        return NULL;
    return utf16_to_utf8(arena, dst, n, pos);
}

int shaper_is_rtl(const Shaper *shaper) { return shaper->rtl; }

typedef struct PieceSpan {
    uint32_t begin, end;
    FontStyle style;
    const SourcePos *pos;
} PieceSpan;

/* keep[b] for the bytes hyphenation in piece i's language leaves alone:
 * the other languages' pieces and web addresses.  False when an earlier
 * piece has that language (its text was done with that one's). */
static bool keep_other_languages(const TextPiece *pieces, const PieceSpan *spans, size_t count,
                                 size_t i, uint8_t *keep)
{
    for (size_t k = 0; k < i; k++)
        if (same_language(pieces[k].lang, pieces[i].lang))
            return false;
    for (size_t k = 0; k < count; k++)
        memset(keep + spans[k].begin,
               !same_language(pieces[k].lang, pieces[i].lang) || pieces[k].keep_whole,
               spans[k].end - spans[k].begin);
    return true;
}

static void report_char(const PieceSpan *piece, const char *text, uint32_t at, UChar32 cp,
                        const char *problem)
{
    char name[128] = "";
    UErrorCode status = U_ZERO_ERROR;
    u_charName(cp, U_EXTENDED_CHAR_NAME, name, sizeof name, &status);
    /* Count characters from the start of the value: the loader's position
     * is the value's start, and folded YAML lines make columns ambiguous. */
    unsigned index = 1;
    for (uint32_t i = piece->begin; i < at;) {
        UChar32 c;
        U8_NEXT(text, i, at, c);
        (void)c;
        index++;
    }
    diag_error(piece->pos, "%s U+%04X %s (character %u of this text); "
                           "use another character or install a font that has it",
               problem, (unsigned)cp, name, index);
}

static int is_ignorable(UChar32 cp)
{
    return u_hasBinaryProperty(cp, UCHAR_DEFAULT_IGNORABLE_CODE_POINT) || cp == '\n';
}

static int clings_to_base(UChar32 cp)
{
    if (cp < 0x80) /* ASCII has no marks, and no default ignorable but the line feed */
        return cp == '\n';
    int8_t category = u_charType(cp);
    return is_ignorable(cp) || category == U_NON_SPACING_MARK || category == U_ENCLOSING_MARK ||
           category == U_COMBINING_SPACING_MARK;
}

static hb_script_t hb_script_of(UScriptCode code)
{
    return hb_script_from_string(uscript_getShortName(code), -1);
}

/* Every character's script, with Common and Inherited characters (spaces,
 * punctuation, digits, marks) taking the script of the text around them,
 * so "，" between ideographs is drawn by the CJK face and "(" in Latin
 * by the Latin one. */
static void resolve_scripts(const ShapedText *text, hb_script_t *scripts)
{
    hb_script_t last = HB_SCRIPT_INVALID;
    /* the last script converted: its characters come in runs */
    UScriptCode converted = USCRIPT_INVALID_CODE;
    hb_script_t converted_to = HB_SCRIPT_INVALID;
    for (uint32_t i = 0; i < text->len;) {
        uint32_t at = i;
        UChar32 cp;
        UErrorCode status = U_ZERO_ERROR;
        U8_NEXT(text->text, i, text->len, cp);
        UScriptCode code = uscript_getScript(cp, &status);
        if (code != USCRIPT_COMMON && code != USCRIPT_INHERITED && code != converted) {
            converted = code;
            converted_to = hb_script_of(code);
        }
        hb_script_t script = code == USCRIPT_COMMON || code == USCRIPT_INHERITED
                                 ? last : converted_to;
        for (uint32_t k = at; k < i; k++)
            scripts[k] = script;
        if (script != HB_SCRIPT_INVALID)
            last = script;
    }
    /* leading neutral characters take the first real script after them */
    hb_script_t next = HB_SCRIPT_COMMON;
    for (uint32_t i = text->len; i-- > 0;) {
        if (scripts[i] == HB_SCRIPT_INVALID)
            scripts[i] = next;
        else
            next = scripts[i];
    }
}

/* A phone number such as 1-800-227-2345 after Arabic words would, by the
 * bidi algorithm, show its digit groups in reverse (European digits after
 * Arabic letters become Arabic numbers; hyphens between them do not join
 * them).  In a right-to-left paragraph, digit groups joined by hyphens or
 * spaces are therefore set left to right as one unit, as if isolated. */
static UBiDiLevel *number_overrides(Arena *arena, const UChar *u16, int32_t n16)
{
    UBiDiLevel *levels = NULL;
    for (int32_t i = 0; i < n16;) {
        int32_t start = i + (u16[i] == '+' && i + 1 < n16 && u_isdigit(u16[i + 1]) ? 1 : 0);
        if (!(u16[start] >= '0' && u16[start] <= '9')) {
            i++;
            continue;
        }
        int32_t j = start, separators = 0;
        while (j < n16) {
            if (u16[j] >= '0' && u16[j] <= '9')
                j++;
            else if ((u16[j] == '-' || u16[j] == ' ') && j + 1 < n16 && u16[j + 1] >= '0' &&
                     u16[j + 1] <= '9')
                j++, separators++;
            else
                break;
        }
        if (separators) {
            if (!levels) {
                levels = arena_array(arena, (size_t)n16, sizeof *levels);
                memset(levels, 1, (size_t)n16);
            }
            for (int32_t k = i; k < j; k++)
                levels[k] = 2 | UBIDI_LEVEL_OVERRIDE;
        }
        i = j;
    }
    return levels;
}

/* The bidi embedding level of every byte (ICU works in UTF-16). */
static int resolve_levels(Shaper *shaper, Arena *arena, ShapedText *text, uint8_t *levels,
                          ParagraphDirection direction)
{
    UErrorCode status = U_ZERO_ERROR;
    int32_t n16;
    UChar *u16 = utf8_to_utf16(arena, text->text, text->len, &n16, NULL);
    if (!u16)
        return 0;
    int rtl = direction == DIRECTION_LTR ? 0 : direction == DIRECTION_RTL ? 1 : shaper->rtl;
    if (direction == DIRECTION_FROM_TEXT) {
        UBiDiDirection first_strong = ubidi_getBaseDirection(u16, n16);
        if (first_strong != UBIDI_NEUTRAL)
            rtl = first_strong == UBIDI_RTL;
    }
    UBiDiLevel *overrides = rtl ? number_overrides(arena, u16, n16) : NULL;
    ubidi_setPara(shaper->bidi, u16, n16, rtl ? UBIDI_RTL : UBIDI_LTR, overrides, &status);
    if (icu_failed(status, NULL, "resolve bidi levels"))
        return 0;
    text->rtl = rtl;
    int32_t at16 = 0;
    for (uint32_t i = 0; i < text->len;) {
        uint32_t at = i;
        UChar32 cp;
        U8_NEXT(text->text, i, text->len, cp);
        UBiDiLevel level = ubidi_getLevelAt(shaper->bidi, at16);
        for (uint32_t k = at; k < i; k++)
            levels[k] = level;
        at16 += U16_LENGTH(cp);
    }
    return 1;
}

static void compress_punctuation(const ShapedText *text, ShapedRun *run);

/* The cache key of a run: what shape_run gives HarfBuzz. */
static char *shaped_key(Arena *arena, const ShapedText *text, const ShapedRun *run, size_t *len)
{
    int32_t pre = (int32_t)run->begin, post = (int32_t)run->end;
    for (int i = 0; i < CONTEXT_CHARS && pre > 0; i++)
        U8_BACK_1((const uint8_t *)text->text, 0, pre);
    for (int i = 0; i < CONTEXT_CHARS && post < (int32_t)text->len; i++)
        U8_FWD_1(text->text, post, (int32_t)text->len);
    uint32_t head[6] = {(uint32_t)run->script, run->level & 1u, run->begin == 0,
                        run->end == text->len, run->begin - (uint32_t)pre,
                        run->end - run->begin};
    size_t n = sizeof run->font + sizeof head + (size_t)(post - pre);
    char *key = arena_alloc(arena, n);
    memcpy(key, &run->font, sizeof run->font);
    memcpy(key + sizeof run->font, head, sizeof head);
    memcpy(key + sizeof run->font + sizeof head, text->text + pre, (size_t)(post - pre));
    *len = n;
    return key;
}

static void harfbuzz_shape(Shaper *shaper, Arena *arena, const ShapedText *text, ShapedRun *run)
{
    hb_buffer_t *buf = shaper->buffer;
    hb_buffer_clear_contents(buf);
    hb_buffer_set_flags(buf, HB_BUFFER_FLAG_REMOVE_DEFAULT_IGNORABLES |
                                 (run->begin == 0 ? HB_BUFFER_FLAG_BOT : 0) |
                                 (run->end == text->len ? HB_BUFFER_FLAG_EOT : 0));
    hb_buffer_set_cluster_level(buf, HB_BUFFER_CLUSTER_LEVEL_MONOTONE_CHARACTERS);
    hb_buffer_add_utf8(buf, text->text, (int)text->len, run->begin, (int)(run->end - run->begin));
    hb_check(buf);
    hb_buffer_set_direction(buf, run->level & 1 ? HB_DIRECTION_RTL : HB_DIRECTION_LTR);
    hb_buffer_set_language(buf, shaper->language);
    if (run->script != HB_SCRIPT_COMMON && run->script != HB_SCRIPT_INVALID)
        hb_buffer_set_script(buf, run->script);
    hb_buffer_guess_segment_properties(buf);
    hb_shape(run->font->hb, buf, NULL, 0);
    hb_check(buf);

    unsigned n;
    hb_glyph_info_t *info = hb_buffer_get_glyph_infos(buf, &n);
    hb_glyph_position_t *pos = hb_buffer_get_glyph_positions(buf, &n);
    run->glyphs = arena_array(arena, n, sizeof *run->glyphs);
    run->glyph_count = n;
    for (unsigned i = 0; i < n; i++)
        run->glyphs[i] = (Glyph){info[i].codepoint, pos[i].x_advance, pos[i].x_offset,
                                 pos[i].y_offset, info[i].cluster,
                                 (hb_glyph_info_get_glyph_flags(&info[i]) &
                                  HB_GLYPH_FLAG_UNSAFE_TO_BREAK) != 0};
}

/* run->glyphs from the cache, or shaped by HarfBuzz and kept there. */
static void shape_cached(Shaper *shaper, Arena *arena, const ShapedText *text, ShapedRun *run)
{
    size_t len;
    char *key = shaped_key(arena, text, run, &len);
    uint64_t hash = hash_bytes(key, len);
    const CacheEntry *e = cache_find(&shaper->runs, key, len, hash);
    if (e) {
        const Glyph *glyphs = e->value;
        run->glyph_count = e->value_len / sizeof *glyphs;
        run->glyphs = arena_array(arena, run->glyph_count, sizeof *run->glyphs);
        for (size_t i = 0; i < run->glyph_count; i++) {
            run->glyphs[i] = glyphs[i];
            run->glyphs[i].cluster += run->begin;
        }
        return;
    }
    harfbuzz_shape(shaper, arena, text, run);
    Glyph *glyphs = xmalloc(run->glyph_count ? run->glyph_count * sizeof *glyphs : 1);
    for (size_t i = 0; i < run->glyph_count; i++) {
        glyphs[i] = run->glyphs[i];
        glyphs[i].cluster -= run->begin; /* clusters from the run's first byte */
    }
    cache_put(&shaper->runs, key, len, hash, glyphs, run->glyph_count * sizeof *glyphs);
}

static int shape_run(Shaper *shaper, Arena *arena, const ShapedText *text, ShapedRun *run,
                     const PieceSpan *piece)
{
    shape_cached(shaper, arena, text, run);
    int ok = 1;
    for (size_t i = 0; i < run->glyph_count; i++) {
        if (run->glyphs[i].gid == 0) {
            /* An empty box in print is never acceptable: name the character. */
            uint32_t at = run->glyphs[i].cluster, next = at;
            UChar32 cp;
            U8_NEXT(text->text, next, text->len, cp);
            report_char(piece, text->text, at, cp, "the font cannot draw");
            ok = 0;
        }
    }
    if (!(run->level & 1))
        compress_punctuation(text, run);
    return ok;
}

/* Full-width CJK punctuation takes a whole em, half of it blank: on the
 * right of a closing mark (、。」）), on the left of an opening one (「（).
 * Where two come together the blank between them is halved (JLREQ 3.1.4,
 * CLREQ): the closing mark before another mark gives up its right half,
 * the opening mark after another mark its left half. */
static bool closing_mark(UChar32 c)
{
    return c == 0x3001 || c == 0x3002 || c == 0xFF0C || c == 0xFF0E || c == 0x300D ||
           c == 0x300F || c == 0xFF09 || c == 0x3011 || c == 0x3015 || c == 0x300B ||
           c == 0x3009 || c == 0x201D || c == 0xFF1A || c == 0xFF1B;
}

static bool opening_mark(UChar32 c)
{
    return c == 0x300C || c == 0x300E || c == 0xFF08 || c == 0x3010 || c == 0x3014 ||
           c == 0x300A || c == 0x3008 || c == 0x201C;
}

static UChar32 char_at(const ShapedText *text, uint32_t at)
{
    UChar32 c;
    U8_NEXT(text->text, at, text->len, c);
    return c;
}

static void compress_punctuation(const ShapedText *text, ShapedRun *run)
{
    int32_t em = (int32_t)run->font->upem;
    for (size_t i = 0; i + 1 < run->glyph_count; i++) {
        Glyph *a = &run->glyphs[i], *b = &run->glyphs[i + 1];
        if (a->cluster == b->cluster || a->x_advance != em || b->x_advance != em)
            continue;
        UChar32 ca = char_at(text, a->cluster), cb = char_at(text, b->cluster);
        bool a_mark = closing_mark(ca) || opening_mark(ca);
        bool b_mark = closing_mark(cb) || opening_mark(cb);
        if (closing_mark(ca) && b_mark) {
            a->x_advance -= em / 2;
        } else if (a_mark && opening_mark(cb)) {
            b->x_offset -= em / 2;
            b->x_advance -= em / 2;
        }
    }
}

static ShapedRun *push_run(Arena *arena, ShapedRun **runs, size_t *count, size_t *cap)
{
    *runs = arena_reserve(arena, *runs, *count, cap, sizeof **runs);
    return &(*runs)[(*count)++];
}

/* Split the text into runs of one style, bidi level, script and font, and
 * shape each.  Marks and invisible controls stay with their base
 * character's font; everything else gets the face for its script, so a
 * fallback never spreads beyond the characters that need it. */
static int itemize_and_shape(Shaper *shaper, Arena *arena, ShapedText *text,
                             const PieceSpan *pieces, size_t piece_count,
                             ParagraphDirection direction)
{
    hb_script_t *scripts = arena_array(arena, text->len + 1, sizeof *scripts);
    uint8_t *levels = arena_alloc(arena, text->len + 1);
    resolve_scripts(text, scripts);
    if (!resolve_levels(shaper, arena, text, levels, direction))
        return 0;

    /* a run per piece, most often; more grow on demand (a long list's
     * items are a piece each, thousands of them in a booklet's contents) */
    size_t cap = piece_count ? piece_count : 1, count = 0;
    ShapedRun *runs = arena_array(arena, cap, sizeof *runs);
    const PieceSpan **run_piece = arena_array(arena, text->len + 1, sizeof *run_piece);
    int ok = 1;
    for (size_t p = 0; p < piece_count; p++) {
        const Font *current = NULL;
        for (uint32_t i = pieces[p].begin; i < pieces[p].end;) {
            uint32_t at = i;
            UChar32 cp;
            U8_NEXT(text->text, i, pieces[p].end, cp);
            const Font *font = NULL;
            hb_codepoint_t gid;
            if (current && clings_to_base(cp) &&
                (is_ignorable(cp) || (hb_font_get_nominal_glyph(current->hb, (hb_codepoint_t)cp, &gid) && gid)))
                font = current;
            else
                font = fontset_font_for(shaper->fonts, pieces[p].style, shaper->locale,
                                        scripts[at], (uint32_t)cp);
            if (!font) {
                if (is_ignorable(cp)) {
                    font = fontset_primary(shaper->fonts, pieces[p].style);
                } else {
                    report_char(&pieces[p], text->text, at, cp, "no installed font has");
                    ok = 0;
                    continue;
                }
            }
            ShapedRun *last = count ? &runs[count - 1] : NULL;
            if (font != current || !last || last->level != levels[at] ||
                (last->script != scripts[at] && !clings_to_base(cp))) {
                ShapedRun *run = push_run(arena, &runs, &count, &cap);
                *run = (ShapedRun){.font = font, .begin = at, .end = i, .level = levels[at],
                                   .script = scripts[at], .piece = p};
                run_piece[count - 1] = &pieces[p];
                current = font;
            } else {
                last->end = i;
            }
        }
    }
    text->runs = runs;
    text->run_count = count;
    if (!ok)
        return 0;
    for (size_t r = 0; r < count; r++)
        ok &= shape_run(shaper, arena, text, &runs[r], run_piece[r]);
    return ok;
}

static void mark_line_breaks(Shaper *shaper, ShapedText *text)
{
    for (int32_t b = ubrk_following(shaper->line_breaks, 0); b != UBRK_DONE;
         b = ubrk_next(shaper->line_breaks)) {
        int32_t rule = ubrk_getRuleStatus(shaper->line_breaks);
        text->breaks[b] = rule >= UBRK_LINE_HARD && rule < UBRK_LINE_HARD_LIMIT ? BREAK_MANDATORY
                                                                             : BREAK_ALLOWED;
        if (shaper->keep_all && text->breaks[b] == BREAK_ALLOWED && b < (int32_t)text->len) {
            UChar32 before, after;
            int32_t i = b;
            U8_PREV(text->text, 0, i, before);
            i = b;
            U8_NEXT(text->text, i, (int32_t)text->len, after);
            if (u_isalnum(before) && u_isalnum(after))
                text->breaks[b] = BREAK_NONE;
        }
    }
}

/* Without its breaks a paragraph could only be set as one line, so a
 * failure here fails the text (reported against pos). */
static int find_breaks(Shaper *shaper, ShapedText *text, Arena *arena, const SourcePos *pos)
{
    UErrorCode status = U_ZERO_ERROR;
    text->breaks = arena_alloc(arena, text->len + 1);
    text->grapheme = arena_alloc(arena, text->len + 1);
    UText *ut = utext_openUTF8(NULL, text->text, text->len, &status);
    if (icu_failed(status, pos, "read this text for line breaking"))
        return 0;
    ubrk_setUText(shaper->line_breaks, ut, &status);
    int ok = !icu_failed(status, pos, "find line breaks in this text");
    if (ok)
        mark_line_breaks(shaper, text);
    ubrk_setUText(shaper->graphemes, ut, &status);
    ok = ok && !icu_failed(status, pos, "find character boundaries in this text");
    for (int32_t b = ok ? ubrk_first(shaper->graphemes) : UBRK_DONE; b != UBRK_DONE;
         b = ubrk_next(shaper->graphemes))
        text->grapheme[b] = 1;
    utext_close(ut);
    return ok;
}

/* A web address breaks only after a slash, or before . - _ ? & =, never
 * inside a word, and never right after its "https://". */
static void url_breaks(ShapedText *text, uint32_t begin, uint32_t end)
{
    const char *t = text->text;
    if (end - begin < 8 || (strncmp(t + begin, "https://", 8) != 0 &&
                            strncmp(t + begin, "http://", 7) != 0))
        return;
    const char *scheme_end = strstr(t + begin, "://");
    uint32_t host = (uint32_t)(scheme_end - t) + 3;
    for (uint32_t b = begin + 1; b < end; b++) {
        char before = t[b - 1], at = t[b];
        bool ok = b > host && ((before == '/' && at != '/') || strchr(".-_?&=", at));
        text->breaks[b] = ok ? BREAK_ALLOWED : BREAK_NONE;
    }
}

/* Where a Japanese phrase (bunsetsu) may end: after a particle or an
 * ending in hiragana, or at punctuation, before the next content word.
 * ICU's lw=phrase (72) finds dictionary words with their particles
 * attached, but also cuts compounds apart (分子|標的|薬, 受け|ていません)
 * and leaves a prefix or a particle alone (ご|質問は, （NET）|の): so a
 * break between two content characters (kanji, katakana, Latin letters,
 * digits), between two hiragana, between a closing bracket and the
 * particle after it, or after one hiragana standing alone is kept
 * inside the phrase. */
enum { PHRASE_OTHER, PHRASE_CONTENT, PHRASE_HIRAGANA, PHRASE_CLOSING };

static int phrase_class(UChar32 c)
{
    UErrorCode status = U_ZERO_ERROR;
    if (uscript_getScript(c, &status) == USCRIPT_HIRAGANA && u_isalpha(c))
        return PHRASE_HIRAGANA;
    if (u_isalnum(c) || c == 0x30FC) /* ー, the katakana prolonged sound mark */
        return PHRASE_CONTENT;
    int8_t type = u_charType(c);
    return type == U_END_PUNCTUATION || type == U_FINAL_PUNCTUATION ? PHRASE_CLOSING
                                                                    : PHRASE_OTHER;
}

static bool inside_phrase(const ShapedText *text, uint32_t phrase_start, uint32_t b)
{
    UChar32 before, after;
    int32_t i = (int32_t)b, j = (int32_t)b;
    U8_PREV(text->text, 0, i, before);
    U8_NEXT(text->text, j, (int32_t)text->len, after);
    int a = phrase_class(before), z = phrase_class(after);
    return (a == PHRASE_CONTENT && z == PHRASE_CONTENT) ||
           (a == PHRASE_HIRAGANA && z == PHRASE_HIRAGANA) ||
           (a == PHRASE_CLOSING && z == PHRASE_HIRAGANA) ||
           (a == PHRASE_HIRAGANA && (uint32_t)i == phrase_start);
}

/* The breaks inside Japanese phrases become BREAK_IN_PHRASE. */
static int mark_phrases(Shaper *shaper, ShapedText *text, Arena *arena, const SourcePos *pos)
{
    UErrorCode status = U_ZERO_ERROR;
    if (!shaper->phrases) {
        char locale[ULOC_FULLNAME_CAPACITY] = "";
        uloc_canonicalize(shaper->locale, locale, sizeof locale, &status);
        uloc_setKeywordValue("lw", "phrase", locale, sizeof locale, &status);
        shaper->phrases = ubrk_open(UBRK_LINE, locale, NULL, 0, &status);
        if (icu_failed(status, pos, "find the phrases of Japanese text"))
            return 0;
    }
    UText *ut = utext_openUTF8(NULL, text->text, text->len, &status);
    if (icu_failed(status, pos, "read this text for phrases"))
        return 0;
    ubrk_setUText(shaper->phrases, ut, &status);
    int ok = !icu_failed(status, pos, "find the phrases in this text");
    uint8_t *ends = arena_alloc(arena, text->len + 1);
    for (int32_t b = ok ? ubrk_following(shaper->phrases, 0) : UBRK_DONE; b != UBRK_DONE;
         b = ubrk_next(shaper->phrases))
        ends[b] = 1;
    utext_close(ut);
    uint32_t phrase_start = 0;
    for (uint32_t b = 1; ok && b < text->len; b++) {
        if (text->breaks[b] == BREAK_MANDATORY)
            phrase_start = b;
        if (text->breaks[b] != BREAK_ALLOWED)
            continue;
        if (!ends[b] || inside_phrase(text, phrase_start, b))
            text->breaks[b] = BREAK_IN_PHRASE;
        else
            phrase_start = b;
    }
    return ok;
}

static ShapedText *shape_paragraph(Shaper *shaper, Arena *arena, const TextPiece *pieces,
                                   size_t count, ParagraphDirection direction, TextUnit unit)
{
    ShapedText *text = arena_alloc(arena, sizeof *text);
    PieceSpan *spans = arena_array(arena, count, sizeof *spans);
    char **normalized = arena_array(arena, count, sizeof *normalized);
    size_t total = 0;
    for (size_t i = 0; i < count; i++) {
        normalized[i] = normalize_nfc(arena, pieces[i].utf8, strlen(pieces[i].utf8),
                                      &pieces[i].pos);
        if (!normalized[i])
            return NULL;
        total += strlen(normalized[i]);
    }
    char *joined = arena_alloc(arena, total + 1);
    uint32_t at = 0;
    for (size_t i = 0; i < count; i++) {
        size_t n = strlen(normalized[i]);
        memcpy(joined + at, normalized[i], n);
        spans[i] = (PieceSpan){at, at + (uint32_t)n, pieces[i].style, &pieces[i].pos};
        at += (uint32_t)n;
    }
    text->text = joined;
    text->len = at;
    text->lang = shaper->locale;
    text->rtl = shaper->rtl;
    if (!itemize_and_shape(shaper, arena, text, spans, count, direction))
        return NULL;
    if (!find_breaks(shaper, text, arena, count ? &pieces[0].pos : NULL))
        return NULL;
    /* A number stays with the word it counts or measures ("5 mg",
     * "24 horas"): no break between them. */
    for (uint32_t b = 1; b < text->len; b++) {
        if (text->breaks[b] != BREAK_ALLOWED || !text_is_space_at(text, b - 1))
            continue;
        int32_t i = (int32_t)b - 1, j = (int32_t)b;
        UChar32 before = 0, after;
        while (i > 0) {
            U8_PREV(text->text, 0, i, before);
            if (!u_isWhitespace(before))
                break;
        }
        U8_NEXT(text->text, j, (int32_t)text->len, after);
        if (u_isdigit(before) && (u_isalpha(after) || after == '%'))
            text->breaks[b] = BREAK_NONE;
    }
    /* "10.1016/j.clinthera": a line break after a slash inside a word
     * would come back from extraction as a space that is not there
     * (web addresses have rules of their own: url_breaks). */
    for (uint32_t b = 1; b < text->len; b++)
        if (text->text[b - 1] == '/' && !text_is_space_at(text, b) &&
            text->breaks[b] == BREAK_ALLOWED)
            text->breaks[b] = BREAK_NONE;
    for (size_t i = 0; i < count; i++)
        if (pieces[i].keep_whole)
            url_breaks(text, spans[i].begin, spans[i].end);
    if (unit == TEXT_BY_PHRASES && shaper->japanese &&
        !mark_phrases(shaper, text, arena, count ? &pieces[0].pos : NULL))
        return NULL;
    /* Hyphenation points language by language: the pieces in one
     * language are hyphenated with its dictionary, the others kept out. */
    uint8_t *keep = arena_alloc(arena, text->len + 1);
    uint8_t *points = arena_alloc(arena, text->len + 1);
    text->hyph = arena_alloc(arena, text->len + 1);
    for (size_t i = 0; i < count; i++) {
        if (!keep_other_languages(pieces, spans, count, i, keep))
            continue; /* that language's pieces were hyphenated already */
        hyphenate_text(hyphenator_for(shaper, pieces[i].lang), text->text, text->len, keep,
                       kept_whole(shaper), points);
        for (uint32_t b = 0; b <= text->len; b++)
            text->hyph[b] |= points[b];
    }
    return text;
}

void shaper_expect(Shaper *shaper, const TextPiece *pieces, size_t count)
{
    /* as text_shape joins them, but not normalized: a word that NFC
     * changes costs the whole dictionary, not a wrong answer */
    PieceSpan *spans = xreallocarray(NULL, count ? count : 1, sizeof *spans);
    size_t total = 0;
    for (size_t i = 0; i < count; i++) {
        size_t n = strlen(pieces[i].utf8);
        spans[i] = (PieceSpan){(uint32_t)total, (uint32_t)(total + n), pieces[i].style, NULL};
        total += n;
    }
    if (total < UINT32_MAX) {
        char *joined = xmalloc(total + 1);
        uint8_t *keep = xmalloc(total + 1);
        for (size_t i = 0; i < count; i++)
            memcpy(joined + spans[i].begin, pieces[i].utf8, spans[i].end - spans[i].begin);
        for (size_t i = 0; i < count; i++)
            if (keep_other_languages(pieces, spans, count, i, keep))
                hyphenator_expect(hyphenator_for(shaper, pieces[i].lang), joined,
                                  (uint32_t)total, keep, kept_whole(shaper));
        free(joined);
        free(keep);
    }
    free(spans);
}

/* ---- the paragraph cache ---- */

typedef struct KeyBuf {
    char *data;
    size_t len, cap;
    Arena *arena;
} KeyBuf;

static void key_put(KeyBuf *k, const void *p, size_t n)
{
    if (k->len + n > k->cap) {
        size_t cap = k->cap ? 2 * k->cap : 256;
        while (cap < k->len + n)
            cap *= 2;
        char *grown = arena_alloc_raw(k->arena, cap);
        if (k->len)
            memcpy(grown, k->data, k->len);
        k->data = grown;
        k->cap = cap;
    }
    if (n)
        memcpy(k->data + k->len, p, n);
    k->len += n;
}

/* A string with its length first, so that no two lists of them run
 * together the same way; NULL differs from "". */
static void key_string(KeyBuf *k, const char *s)
{
    size_t n = s ? strlen(s) : SIZE_MAX;
    key_put(k, &n, sizeof n);
    if (s)
        key_put(k, s, n);
}

static void paragraph_key(KeyBuf *k, const Shaper *shaper, const TextPiece *pieces, size_t count,
                          ParagraphDirection direction, TextUnit unit)
{
    int32_t head[2] = {(int32_t)direction, (int32_t)unit};
    key_put(k, head, sizeof head);
    key_put(k, &shaper->keep_id, sizeof shaper->keep_id);
    for (size_t i = 0; i < count; i++) {
        int32_t piece[2] = {(int32_t)pieces[i].style, pieces[i].keep_whole};
        key_put(k, piece, sizeof piece);
        key_string(k, pieces[i].lang);
        key_string(k, pieces[i].utf8);
    }
}

/* A ShapedText and everything it points to, in one block: the runs, their
 * glyphs, then the text and its per-byte arrays; pointers as offsets
 * into the block. */
static size_t flat_size(const ShapedText *t)
{
    size_t n = sizeof *t + t->run_count * sizeof *t->runs;
    for (size_t r = 0; r < t->run_count; r++)
        n += t->runs[r].glyph_count * sizeof *t->runs[r].glyphs;
    return n + 4 * ((size_t)t->len + 1);
}

static void *flatten(const ShapedText *t, size_t *size)
{
    *size = flat_size(t);
    char *block = xmalloc(*size);
    ShapedText *head = (ShapedText *)block;
    *head = *t;
    ShapedRun *runs = (ShapedRun *)(block + sizeof *t);
    size_t at = sizeof *t + t->run_count * sizeof *t->runs;
    for (size_t r = 0; r < t->run_count; r++) {
        runs[r] = t->runs[r];
        size_t n = t->runs[r].glyph_count * sizeof *t->runs[r].glyphs;
        if (n)
            memcpy(block + at, t->runs[r].glyphs, n);
        runs[r].glyphs = (Glyph *)(uintptr_t)at;
        at += n;
    }
    size_t len = (size_t)t->len + 1;
    const void *arrays[4] = {t->text, t->breaks, t->grapheme, t->hyph};
    for (int i = 0; i < 4; i++)
        memcpy(block + at + (size_t)i * len, arrays[i], len);
    head->runs = (ShapedRun *)(uintptr_t)(sizeof *t);
    head->text = (const char *)(uintptr_t)at;
    return block;
}

static ShapedText *unflatten(Arena *arena, const void *flat, size_t size)
{
    char *block = arena_alloc_raw(arena, size);
    memcpy(block, flat, size);
    ShapedText *t = (ShapedText *)block;
    t->runs = (ShapedRun *)(block + (uintptr_t)t->runs);
    for (size_t r = 0; r < t->run_count; r++)
        t->runs[r].glyphs = (Glyph *)(block + (uintptr_t)t->runs[r].glyphs);
    size_t at = (uintptr_t)t->text, len = (size_t)t->len + 1;
    t->text = block + at;
    t->breaks = (uint8_t *)block + at + len;
    t->grapheme = (uint8_t *)block + at + 2 * len;
    t->hyph = (uint8_t *)block + at + 3 * len;
    return t;
}

ShapedText *text_shape(Shaper *shaper, Arena *arena, const TextPiece *pieces, size_t count,
                       ParagraphDirection direction)
{
    return text_shape_by(shaper, arena, pieces, count, direction, TEXT_BY_WORDS);
}

ShapedText *text_shape_by(Shaper *shaper, Arena *arena, const TextPiece *pieces, size_t count,
                          ParagraphDirection direction, TextUnit unit)
{
    KeyBuf key = {.arena = arena};
    paragraph_key(&key, shaper, pieces, count, direction, unit);
    uint64_t hash = hash_bytes(key.data, key.len);
    const CacheEntry *e = cache_find(&shaper->paragraphs, key.data, key.len, hash);
    if (e)
        return unflatten(arena, e->value, e->value_len);
    ShapedText *text = shape_paragraph(shaper, arena, pieces, count, direction, unit);
    if (text) {
        size_t size;
        void *flat = flatten(text, &size);
        cache_put(&shaper->paragraphs, key.data, key.len, hash, flat, size);
    }
    return text;
}

int text_is_space_at(const ShapedText *text, uint32_t offset)
{
    UChar32 cp;
    uint32_t i = offset;
    U8_NEXT(text->text, i, text->len, cp);
    return u_isWhitespace(cp) || cp == '\n';
}
