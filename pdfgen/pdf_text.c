/* pdf_text.c — a page's boxes into its content stream; the text as TJ
 * arrays of glyph codes.
 * In: the Writer (pdf_internal.h) with the page to write; every text box
 *     already validated and its font registered.
 * Out: the page with its rectangles and text: each span one text object,
 *     kerning and shaping offsets as TJ adjustments from absolute
 *     positions; each glyph shown marked used in its FontUse with its
 *     width, and its ToUnicode text recorded when unambiguous, ActualText
 *     around it otherwise.  Right-to-left text is written so that
 *     extractors (poppler above all) read it in logical order: see RLM and
 *     draw_direction_marker. */
#include "diag.h"
#include "pdf_internal.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hb.h>
#include <hpdf.h>
#include <hpdf_objects.h>
#include <hpdf_pages.h>
#include <hpdf_streams.h>

/* A bfchar destination may hold at most 512 bytes; longer cluster text is
 * left to ActualText alone. */
#define MAX_MAP_UNITS 256

/* ------------------------------------------------------------------ */
/* Text: one TJ stream per span, positions kept exact */

/* The pen as shaped (font units) and as the viewer will place it
 * (micro-em: 1/1000 of a TJ unit), so every adjustment is computed from
 * absolute positions and rounding never accumulates. */
typedef struct Tj {
    Buf *b;
    const Font *font;
    double size;
    bool in_array, in_hex;
    int64_t pen;   /* font units: where the next cluster starts */
    int64_t shown; /* micro-em */
    int64_t rise;  /* Ts in effect, milli-points */
    int64_t tc;    /* Tc in effect, milli-points */
} Tj;

static void tj_close(Tj *t)
{
    if (t->in_hex)
        buf_str(t->b, ">");
    if (t->in_array)
        buf_str(t->b, "]TJ\n");
    t->in_hex = t->in_array = false;
}

/* Ts and Tc are operators of their own, so the TJ array is closed first. */
static void tj_set(Tj *t, int64_t *state, int64_t value, const char *op)
{
    if (*state == value)
        return;
    tj_close(t);
    buf_milli(t->b, value);
    buf_str(t->b, op);
    *state = value;
}

static int64_t font_units_to_micro_em(const Tj *t, int64_t units)
{
    return div_round(units * 1000000, t->font->upem);
}

/* A glyph moved by x_offset (a mark, typically) ends its advance away from
 * where the next glyph starts.  Extractors such as poppler read that gap
 * as a word space, so character spacing stretches the glyph's own advance
 * to end exactly at end (font units).  Returns Tc in milli-points. */
static int64_t end_spacing(const Tj *t, int64_t start, int32_t width, int64_t end)
{
    return to_milli((double)(font_units_to_micro_em(t, end) - start - (int64_t)width * 1000) *
                    t->size / 1e6);
}

/* Shows glyph g with its pen at pen (font units); natural_end says
 * whether it may end where its own advance takes it or must be stretched
 * to end. */
static void tj_glyph(Tj *t, const Glyph *g, unsigned code, int32_t width, int64_t pen,
                     int64_t end, bool natural_end)
{
    int64_t want = font_units_to_micro_em(t, pen + g->x_offset);
    tj_set(t, &t->rise, to_milli((double)g->y_offset * t->size / t->font->upem), " Ts\n");
    tj_set(t, &t->tc, natural_end ? 0 : end_spacing(t, want, width, end), " Tc\n");
    int64_t adjust = t->shown - want; /* TJ numbers move the pen left */
    if (!t->in_array) {
        buf_str(t->b, "[");
        t->in_array = true;
    }
    if (adjust) {
        if (t->in_hex)
            buf_str(t->b, ">");
        t->in_hex = false;
        buf_milli(t->b, adjust);
    }
    if (!t->in_hex) {
        buf_str(t->b, "<");
        t->in_hex = true;
    }
    buf_hex4(t->b, code);
    t->shown = want + (int64_t)width * 1000 + to_milli((double)t->tc / t->size);
}

/* The text state the next span assumes. */
static void tj_end(Tj *t)
{
    tj_close(t);
    tj_set(t, &t->rise, 0, " Ts\n");
    tj_set(t, &t->tc, 0, " Tc\n");
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The span's distinct cluster values, ascending, so that "the next larger
 * cluster" is found the same way for LTR and RTL runs. */
static int sort_clusters(Writer *w, const GlyphSpan *s, size_t *count)
{
    size_t n = s->glyph_count;
    if (n > w->clusters_cap) {
        uint32_t *c = realloc(w->clusters, n * sizeof *c);
        if (c)
            w->clusters = c;
        bool *seen = realloc(w->seen, n * sizeof *seen);
        if (seen)
            w->seen = seen;
        if (!c || !seen)
            return out_of_memory();
        w->clusters_cap = n;
    }
    bool sorted = true;
    for (size_t i = 0; i < n; i++) {
        w->clusters[i] = s->glyphs[i].cluster;
        sorted &= i == 0 || w->clusters[i - 1] <= w->clusters[i];
    }
    if (!sorted)
        qsort(w->clusters, n, sizeof *w->clusters, cmp_u32);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || w->clusters[u - 1] != w->clusters[i])
            w->clusters[u++] = w->clusters[i];
    memset(w->seen, 0, u * sizeof *w->seen);
    *count = u;
    return 0;
}

static size_t cluster_index(const uint32_t *c, size_t n, uint32_t v)
{
    size_t lo = 0, hi = n;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (c[mid] <= v)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static GlyphUse *use_glyph(FontUse *fu, uint32_t gid)
{
    GlyphUse *u = &fu->glyphs[gid];
    if (!u->used) {
        u->used = true;
        u->width = to_1000em(fu->font, font_glyph_advance(fu->font, gid));
    }
    return u;
}

static bool map_equals(const FontUse *fu, const GlyphUse *u, const U16 *t)
{
    return u->map_len == t->len &&
           memcmp(fu->map.units + u->map_off, t->units, t->len * sizeof *t->units) == 0;
}

static int map_assign(FontUse *fu, GlyphUse *u, const U16 *t)
{
    size_t need = fu->map.len + t->len;
    if (need > UINT32_MAX)
        return out_of_memory();
    if (need > fu->map.cap) {
        size_t cap = fu->map.cap ? fu->map.cap : 1024;
        while (cap < need)
            cap *= 2;
        uint16_t *p = realloc(fu->map.units, cap * sizeof *p);
        if (!p)
            return out_of_memory();
        fu->map.units = p;
        fu->map.cap = cap;
    }
    memcpy(fu->map.units + fu->map.len, t->units, t->len * sizeof *t->units);
    u->map_off = (uint32_t)fu->map.len;
    u->map_len = (uint16_t)t->len;
    fu->map.len = need;
    return 0;
}

static void begin_actual_text(Tj *t, const U16 *text)
{
    tj_close(t);
    buf_str(t->b, "/Span<</ActualText");
    if (text->len) {
        buf_str(t->b, "<FEFF");
        buf_u16_hex(t->b, text->units, text->len);
        buf_str(t->b, ">");
    } else {
        buf_str(t->b, "()");
    }
    buf_str(t->b, ">>BDC\n");
}

/* Decides the ToUnicode entry of a cluster's first glyph; returns whether
 * the cluster needs ActualText.  An entry made for a multi-glyph cluster
 * is weak: that cluster carries ActualText anyway, so a later one-glyph
 * cluster may take the entry over instead of being wrapped itself (one
 * "n" + combining diaeresis early on must not wrap every later "n"). */
static int map_cluster(FontUse *fu, GlyphUse *first, const U16 *text, bool single,
                       bool *wrap)
{
    *wrap = !single || text->len == 0 || text->len > MAX_MAP_UNITS;
    if (text->len == 0 || text->len > MAX_MAP_UNITS)
        return 0;
    bool same = first->map_len && map_equals(fu, first, text);
    if (same) {
        first->map_weak &= !single;
        return 0;
    }
    if (first->map_len && !(first->map_weak && single)) {
        *wrap = true;
        return 0;
    }
    first->map_weak = !single;
    return map_assign(fu, first, text);
}

/* The first code point of t with a script of its own decides. */
static bool is_rtl_text(const U16 *t)
{
    hb_unicode_funcs_t *uf = hb_unicode_funcs_get_default();
    for (size_t i = 0; i < t->len; i++) {
        uint32_t cp = t->units[i];
        if (cp >= 0xD800 && cp < 0xDC00 && i + 1 < t->len)
            cp = 0x10000 + ((cp - 0xD800) << 10) + (t->units[++i] - 0xDC00);
        hb_script_t script = hb_unicode_script(uf, cp);
        if (script != HB_SCRIPT_COMMON && script != HB_SCRIPT_INHERITED &&
            script != HB_SCRIPT_UNKNOWN)
            return hb_script_get_horizontal_direction(script) == HB_DIRECTION_RTL;
    }
    return false;
}

/* Reverses by code point: surrogate pairs stay in order. */
static void reverse_text(U16 *t)
{
    for (size_t a = 0, b = t->len; a + 1 < b; a++, b--) {
        uint16_t x = t->units[a];
        t->units[a] = t->units[b - 1];
        t->units[b - 1] = x;
    }
    for (size_t i = 0; i + 1 < t->len; i++)
        if (t->units[i] >= 0xDC00 && t->units[i] < 0xE000 && t->units[i + 1] >= 0xD800 &&
            t->units[i + 1] < 0xDC00) {
            uint16_t x = t->units[i];
            t->units[i] = t->units[i + 1];
            t->units[++i] = x;
        }
}

/* Lam + alef as one glyph: the presentation form (U+FEF5, FEF7, FEF9,
 * FEFB; NFKC gives the two letters back, in logical order), or 0. */
static uint16_t lam_alef_form(const U16 *t)
{
    if (t->len != 2 || t->units[0] != 0x0644)
        return 0;
    switch (t->units[1]) {
    case 0x0622: return 0xFEF5; /* alef with madda above */
    case 0x0623: return 0xFEF7; /* alef with hamza above */
    case 0x0625: return 0xFEF9; /* alef with hamza below */
    case 0x0627: return 0xFEFB;
    default: return 0;
    }
}

/* Right-to-left glyphs are in visual order, and so extractors read them:
 * mupdf outputs them so, poppler reverses each line to logical order, and
 * either takes a glyph's or a span's text along as it stands, so
 * "logical" text for one glyph or cluster would come out backwards
 * (poppler 22.12: lam-alef as alef-lam, every vowel mark before its
 * letter).  Such text is therefore written in visual order, except that
 * lam-alef becomes its presentation form, which reads right either way. */
static void rtl_cluster_text(U16 *t, bool single_glyph)
{
    if (t->len < 2 || !is_rtl_text(t))
        return;
    uint16_t form = single_glyph ? lam_alef_form(t) : 0;
    if (form) {
        t->units[0] = form;
        t->len = 1;
    } else {
        reverse_text(t);
    }
}

/* poppler puts a marked-content span's text at its first glyph's origin,
 * rise included, and ends it where its last glyph ends.  So a cluster that
 * carries ActualText starts with a glyph that sits at the pen on the
 * baseline, if it has one (its base: right to left, the marks come first
 * and a raised one would make the text a stray word above the line). */
static size_t lead_glyph(const Glyph *g, size_t i, size_t j)
{
    for (size_t l = i; l < j; l++)
        if (g[l].x_advance != 0 && g[l].x_offset == 0 && g[l].y_offset == 0)
            return l;
    return i;
}

/* Shows g with its pen at pen; stretched, it ends at end instead of where
 * its advance takes it. */
static void show_glyph(Tj *t, FontUse *fu, const Glyph *g, int64_t pen, bool stretch,
                       int64_t end)
{
    tj_glyph(t, g, glyph_code(fu, g->gid), use_glyph(fu, g->gid)->width, pen,
             stretch ? end : pen + g->x_advance, g->x_offset == 0 && !stretch);
}

/* poppler (22.12) puts a line in reading order by character type alone,
 * over the text as it stands on the page from left to right.  Its types
 * (UnicodeTypeTable.cc) are right-to-left letters, left-to-right letters,
 * "numbers" (digits, Arabic-Indic ones too, and also # $ % + , - . / :
 * and the Arabic comma) and neutrals (the rest: spaces, brackets, quotes,
 * bullets, Arabic vowel marks).  On a page it reads right to left it goes
 * from the right end: a right-to-left piece runs leftwards up to a
 * left-to-right letter or a number, and from there a left-to-right piece
 * runs leftwards over everything but right-to-left letters and comes out
 * as it stands.  So a character set right to left that stands just left
 * of a left-to-right letter or a number (comes right after it in the
 * text) ends up in that piece, on the wrong side: the space after a full
 * stop ("مؤهل. في" came out "مؤهل .في"), or the bracket after a Latin
 * word ("(NETs)" came out "()NETs").  Such a character, and only such a
 * one, is given the ActualText RLM + itself + RLM: the marks are
 * right-to-left characters of their own, invisible and without meaning
 * beyond saying that this stands in right-to-left text, and they end the
 * piece there.  Every mark is also in the text viewers search (a space
 * between two Arabic words with marks around it would make a two-word
 * search fail), so spaces and punctuation with right-to-left letters on
 * both sides carry none.  A line of a left-to-right paragraph on a
 * right-to-left sheet ending in a bracket or quote gets LRM marks there
 * for a like reason ("(Islet Cell Tumors)" came out ")… (Islet Cell
 * Tumors").  Extractors that apply the bidi algorithm themselves read the
 * same text either way. */
#define RLM 0x200F
#define LRM 0x200E

/* Neither a letter nor a mark of some script: punctuation, spaces and
 * digits, Arabic-Indic ones and the Arabic comma and separators included
 * (poppler moves them too). */
static bool is_weak(uint32_t cp)
{
    if (cp == RLM || cp == LRM)
        return false;
    if ((cp >= 0x0660 && cp <= 0x066C) || (cp >= 0x06F0 && cp <= 0x06F9) || cp == 0x060C ||
        cp == 0x061B)
        return true;
    hb_script_t sc = hb_unicode_script(hb_unicode_funcs_get_default(), cp);
    return sc == HB_SCRIPT_COMMON || sc == HB_SCRIPT_UNKNOWN;
}

static bool has_weak(const U16 *t)
{
    for (size_t i = 0; i < t->len; i++)
        if (is_weak(t->units[i]))
            return true;
    return false;
}

/* Weak throughout, digits aside (poppler keeps a digit with the text on
 * its left by itself). */
static bool all_weak_not_digits(const U16 *t)
{
    hb_unicode_funcs_t *uf = hb_unicode_funcs_get_default();
    for (size_t i = 0; i < t->len; i++)
        if (!is_weak(t->units[i]) || hb_unicode_general_category(uf, t->units[i]) ==
                                         HB_UNICODE_GENERAL_CATEGORY_DECIMAL_NUMBER)
            return false;
    return t->len > 0;
}

/* poppler's character types (see RLM). */
typedef enum PopplerType { PT_NEUTRAL, PT_LTR, PT_RTL, PT_NUMBER } PopplerType;

/* The "numbers" of poppler 22.12's type table (as in libpoppler.so.126),
 * in the blocks a sheet may use next to right-to-left text. */
static bool poppler_number(uint32_t cp)
{
    static const uint32_t ranges[][2] = {
        {0x0023, 0x0025}, {0x002B, 0x003A}, {0x00A0, 0x00A0}, {0x00A2, 0x00A5},
        {0x00B0, 0x00B3}, {0x00B9, 0x00B9}, {0x0604, 0x060C}, {0x0659, 0x066C},
        {0x06F0, 0x06F9}, {0x2030, 0x2034}, {0x2044, 0x2044}, {0x2070, 0x2070},
        {0x2072, 0x207B}, {0x2080, 0x208B}, {0x208F, 0x20B1}, {0x2212, 0x2213},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof *ranges; i++)
        if (cp >= ranges[i][0] && cp <= ranges[i][1])
            return true;
    return false;
}

static PopplerType poppler_type(uint32_t cp)
{
    if (poppler_number(cp))
        return PT_NUMBER;
    if (cp == RLM)
        return PT_RTL;
    if (cp == LRM)
        return PT_LTR;
    hb_unicode_funcs_t *uf = hb_unicode_funcs_get_default();
    hb_unicode_general_category_t gc = hb_unicode_general_category(uf, cp);
    bool letter = gc == HB_UNICODE_GENERAL_CATEGORY_DECIMAL_NUMBER ||
                  (gc >= HB_UNICODE_GENERAL_CATEGORY_LOWERCASE_LETTER &&
                   gc <= HB_UNICODE_GENERAL_CATEGORY_UPPERCASE_LETTER);
    if (!letter)
        return PT_NEUTRAL;
    hb_script_t sc = hb_unicode_script(uf, cp);
    bool rtl_block = (cp >= 0x0590 && cp <= 0x08FF) || (cp >= 0xFB1D && cp <= 0xFDFF) ||
                     (cp >= 0xFE70 && cp <= 0xFEFF); /* tatweel is Common */
    if (rtl_block || hb_script_get_horizontal_direction(sc) == HB_DIRECTION_RTL)
        return PT_RTL;
    return PT_LTR;
}

/* poppler's scan passing over one unit's text from right to left; *ltr:
 * a left-to-right piece is open (the nearest character on the right that
 * is not neutral is a left-to-right letter or a number).  A unit set
 * right to left (rtl) that the open piece would take in is to be fenced,
 * and then closes it; one that is not fenced and holds a number opens a
 * piece itself.  A unit with LRM marks (lrm) leaves a piece open.
 * Returns whether the unit is to be fenced; updates *ltr. */
static bool scan_unit(const U16 *t, bool rtl, bool lrm, bool *ltr)
{
    if (lrm) {
        *ltr = true;
        return false;
    }
    bool state = *ltr;
    for (size_t i = t->len; i-- > 0;) {
        uint32_t cp = t->units[i];
        if (cp >= 0xDC00 && cp < 0xE000 && i > 0 && t->units[i - 1] >= 0xD800 &&
            t->units[i - 1] < 0xDC00) {
            i--;
            cp = 0x10000 + ((uint32_t)(t->units[i] - 0xD800) << 10) + (cp - 0xDC00);
        }
        PopplerType ty = poppler_type(cp);
        if (ty == PT_RTL) {
            state = false;
        } else if (rtl && state) {
            *ltr = false;
            return true;
        } else if (ty != PT_NEUTRAL) {
            state = true;
        }
    }
    *ltr = state;
    return false;
}

/* mark + t + mark */
static bool fence(U16 *t, uint16_t mark)
{
    if (!u16_push(t, mark) || !u16_push(t, mark))
        return false;
    memmove(t->units + 1, t->units, (t->len - 2) * sizeof *t->units);
    t->units[0] = mark;
    return true;
}

/* Tallies the page's strong characters as poppler weighs them. */
static void count_strong(Writer *w, const U16 *t)
{
    hb_unicode_funcs_t *uf = hb_unicode_funcs_get_default();
    for (size_t i = 0; i < t->len; i++) {
        uint32_t cp = t->units[i];
        if (cp == RLM) {
            w->strong_balance--;
            continue;
        }
        if (cp == LRM) {
            w->strong_balance++;
            continue;
        }
        hb_unicode_general_category_t gc = hb_unicode_general_category(uf, cp);
        hb_script_t sc = hb_unicode_script(uf, cp);
        if (gc < HB_UNICODE_GENERAL_CATEGORY_LOWERCASE_LETTER ||
            gc > HB_UNICODE_GENERAL_CATEGORY_UPPERCASE_LETTER || sc == HB_SCRIPT_COMMON ||
            sc == HB_SCRIPT_INHERITED || sc == HB_SCRIPT_UNKNOWN)
            continue;
        w->strong_balance += hb_script_get_horizontal_direction(sc) == HB_DIRECTION_RTL ? -1 : 1;
    }
}

static bool only_spaces(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ')
            return false;
    return true;
}

/* Whether a span is set right to left.  A run of several glyphs says so
 * by its clusters, descending on the page.  One glyph alone (a space or a
 * bracket in a fallback font, a lone digit) is judged by its neighbours
 * on the line in the same paragraph: right to left, what stands on its
 * left comes later in the text and what stands on its right earlier. */
static bool span_is_rtl(const Page *p, size_t k)
{
    const GlyphSpan *s = &p->boxes[k].u.text;
    size_t n = s->glyph_count;
    if (n > 1)
        return s->glyphs[0].cluster > s->glyphs[n - 1].cluster;
    if (n == 0)
        return false;
    const GlyphSpan *left = NULL, *right = NULL;
    for (size_t i = 0; i < p->box_count; i++) {
        const GlyphSpan *o = &p->boxes[i].u.text;
        if (i == k || p->boxes[i].kind != BOX_TEXT || o->text != s->text || o->y != s->y ||
            o->glyph_count == 0)
            continue;
        if (o->x < s->x && (!left || o->x > left->x))
            left = o;
        if (o->x > s->x && (!right || o->x < right->x))
            right = o;
    }
    uint32_t c = s->glyphs[0].cluster;
    if (left && left->glyphs[left->glyph_count - 1].cluster > c)
        return true;
    if (right && right->glyphs[0].cluster < c)
        return true;
    return false;
}

static size_t cluster_end(const GlyphSpan *s, size_t i)
{
    size_t j = i + 1;
    while (j < s->glyph_count && s->glyphs[j].cluster == s->glyphs[i].cluster)
        j++;
    return j;
}

static bool takes_no_room(const GlyphSpan *s, size_t i, size_t j)
{
    for (; i < j; i++)
        if (s->glyphs[i].x_advance != 0)
            return false;
    return true;
}

/* The glyphs extracted as one: a cluster, and with it the marks that the
 * shaper made clusters of their own (HarfBuzz's character cluster
 * levels).  poppler takes a zero-width glyph that starts within 0.1 em of
 * the next for a duplicate and breaks the word there ("दे खभाल"), and a
 * raised one for a line of its own, but reads them right inside their
 * base's ActualText.  The base comes before its marks in logical order:
 * right to left, they precede it on the page. */
static size_t unit_end(const GlyphSpan *s, size_t i, bool rtl)
{
    size_t n = s->glyph_count, j = cluster_end(s, i);
    if (rtl) {
        while (j < n && takes_no_room(s, i, j)) {
            i = j;
            j = cluster_end(s, j);
        }
    } else {
        while (j < n && takes_no_room(s, j, cluster_end(s, j)))
            j = cluster_end(s, j);
    }
    return j;
}

/* The text glyphs [i, j) of s stand for, in w->text as extractors are to
 * read it (see rtl_cluster_text), without marks; *end: the byte after it
 * in s->text.  sort_clusters(s) must have been called. */
static int unit_text(Writer *w, const GlyphSpan *s, size_t i, size_t j, size_t nclusters,
                     uint32_t *end)
{
    const Glyph *g = s->glyphs;
    uint32_t lo = g[i].cluster, hi = g[i].cluster;
    for (size_t l = i + 1; l < j; l++) {
        lo = g[l].cluster < lo ? g[l].cluster : lo;
        hi = g[l].cluster > hi ? g[l].cluster : hi;
    }
    size_t k = cluster_index(w->clusters, nclusters, lo);
    size_t k_hi = cluster_index(w->clusters, nclusters, hi);
    *end = k_hi + 1 < nclusters ? w->clusters[k_hi + 1] : s->text_end;
    int ok = u16_from_utf8(&w->text, s->text + lo, *end - lo, true);
    if (ok <= 0) {
        if (ok == 0)
            diag_error(NULL, "pdf: invalid UTF-8 in text at byte %u", lo);
        return ok == 0 ? -1 : out_of_memory();
    }
    /* A cluster split into two runs (unusual shaping) must not be
     * extracted twice: its second run stands for nothing. */
    if (w->seen[k])
        w->text.len = 0;
    for (; k <= k_hi; k++)
        w->seen[k] = true;
    rtl_cluster_text(&w->text, j - i == 1);
    return 0;
}

/* A unit of a left-to-right span gets LRM marks (see RLM). */
static bool wants_lrm(const Writer *w, const GlyphSpan *s, uint32_t end)
{
    return w->rtl_doc && only_spaces(s->text + end, s->text_end - end) &&
           all_weak_not_digits(&w->text);
}

/* w->units, per glyph of the span: */
enum {
    UNIT_START = 1, /* the first glyph of a unit */
    UNIT_FENCE = 2, /* ... and the unit is to be fenced */
    /* While scanning, what scan_unit says for the unit entered with no
     * piece open (SCAN_FENCE, SCAN_OPEN: the state it leaves), and the
     * same shifted by SCAN_IF_OPEN for it entered with one. */
    SCAN_FENCE = 2,
    SCAN_OPEN = 4,
    SCAN_IF_OPEN = 2
};

/* Runs poppler's scan over span s of a right-to-left sheet, entered from
 * the right in state *ltr (see scan_unit): marks in w->units each unit's
 * first glyph, and those of the units to be fenced; leaves in *ltr the
 * state at the span's left end. */
static int scan_span(Writer *w, const GlyphSpan *s, bool rtl, bool *ltr)
{
    size_t n = s->glyph_count, nclusters;
    if (n > w->units_cap) {
        uint8_t *u = realloc(w->units, n);
        if (!u)
            return out_of_memory();
        w->units = u;
        w->units_cap = n;
    }
    if (sort_clusters(w, s, &nclusters))
        return -1;
    memset(w->units, 0, n);
    /* The texts come in the order emit_glyphs makes them (a split
     * cluster's text goes with its first run), the state right to left. */
    for (size_t i = 0, j; i < n; i = j) {
        j = unit_end(s, i, rtl);
        uint32_t end;
        if (unit_text(w, s, i, j, nclusters, &end))
            return -1;
        bool lrm = !rtl && wants_lrm(w, s, end);
        unsigned u = UNIT_START;
        for (int open = 0; open < 2; open++) {
            bool state = open;
            bool f = scan_unit(&w->text, rtl, lrm, &state);
            u |= ((f ? SCAN_FENCE : 0u) | (state ? SCAN_OPEN : 0u)) << (open ? SCAN_IF_OPEN : 0);
        }
        w->units[i] = (uint8_t)u;
    }
    bool state = *ltr;
    for (size_t i = n; i-- > 0;) {
        unsigned u = w->units[i];
        if (!(u & UNIT_START))
            continue;
        u >>= state ? SCAN_IF_OPEN : 0;
        state = u & SCAN_OPEN;
        w->units[i] = UNIT_START | (u & SCAN_FENCE ? UNIT_FENCE : 0);
    }
    *ltr = state;
    return 0;
}

/* The next text box on the right of box k on the same baseline, or
 * SIZE_MAX.  All of them count: a span of another paragraph or column on
 * the line at worst costs a mark poppler would not have needed. */
static size_t right_neighbour(const Page *p, size_t k)
{
    const GlyphSpan *s = &p->boxes[k].u.text;
    size_t r = SIZE_MAX;
    for (size_t i = 0; i < p->box_count; i++) {
        const GlyphSpan *o = &p->boxes[i].u.text;
        if (p->boxes[i].kind != BOX_TEXT || o->glyph_count == 0 || fabs(o->y - s->y) > 0.01 ||
            o->x <= s->x)
            continue;
        if (r == SIZE_MAX || o->x < p->boxes[r].u.text.x)
            r = i;
    }
    return r;
}

/* poppler's scan over box k of page p and the line on its right: fills
 * w->units for box k, and leaves in *ltr the state at its left end. */
static int scan_line(Writer *w, const Page *p, size_t k, bool *ltr)
{
    bool state = false;
    size_t r = right_neighbour(p, k);
    if (r != SIZE_MAX) {
        if (w->line_state[r] < 0 && scan_line(w, p, r, &state))
            return -1;
        state = w->line_state[r] == 1;
    }
    if (scan_span(w, &p->boxes[k].u.text, span_is_rtl(p, k), &state))
        return -1;
    w->line_state[k] = state;
    *ltr = state;
    return 0;
}

/* Glyphs [i, j) are extracted as one (see unit_end).  The lead glyph's
 * ToUnicode entry carries their text when that is unambiguous; otherwise
 * (the glyph already means something else, or there are several glyphs)
 * ActualText says what the glyphs stand for. */
static int emit_cluster(Writer *w, Tj *t, FontUse *fu, const GlyphSpan *s,
                        size_t i, size_t j, size_t nclusters, bool rtl)
{
    const Glyph *g = s->glyphs;
    uint32_t end;
    if (unit_text(w, s, i, j, nclusters, &end))
        return -1;
    bool single = j - i == 1, wrap;
    size_t lead = single ? i : lead_glyph(g, i, j);
    if (map_cluster(fu, use_glyph(fu, g[lead].gid), &w->text, single, &wrap))
        return -1;
    /* Marks for poppler (see RLM); the ToUnicode entry stays plain.  On a
     * left-to-right sheet every weak character set right to left gets
     * them. */
    if (rtl ? (w->rtl_doc ? w->units[i] & UNIT_FENCE : has_weak(&w->text))
            : wants_lrm(w, s, end)) {
        if (!fence(&w->text, rtl ? RLM : LRM))
            return out_of_memory();
        wrap = true;
    }
    count_strong(w, &w->text);
    if (wrap)
        begin_actual_text(t, &w->text);
    /* The lead glyph first, then the others in order, each at its own pen
     * position; when that changed the order, the last one shown is
     * stretched to end where the cluster ends. */
    int64_t lead_pen = t->pen, cluster_end = t->pen;
    for (size_t l = i; l < j; l++) {
        if (l < lead)
            lead_pen += g[l].x_advance;
        cluster_end += g[l].x_advance;
    }
    size_t last = lead == j - 1 && !single ? j - 2 : j - 1;
    show_glyph(t, fu, &g[lead], lead_pen, false, cluster_end);
    int64_t pen = t->pen;
    for (size_t l = i; l < j; l++) {
        if (l != lead)
            show_glyph(t, fu, &g[l], pen, l == last && lead != i, cluster_end);
        pen += g[l].x_advance;
    }
    t->pen = cluster_end;
    if (wrap) {
        /* poppler takes the span's extent from its last glyph, minus the
         * Tc in effect at EMC: reset first, or the stretch is lost. */
        tj_close(t);
        tj_set(t, &t->tc, 0, " Tc\n");
        buf_str(t->b, "EMC\n");
    }
    return 0;
}

static int emit_glyphs(Writer *w, Tj *t, FontUse *fu, const GlyphSpan *s, bool rtl)
{
    size_t nclusters, n = s->glyph_count;
    if (sort_clusters(w, s, &nclusters))
        return -1;
    for (size_t i = 0, j; i < n; i = j) {
        j = unit_end(s, i, rtl);
        if (emit_cluster(w, t, fu, s, i, j, nclusters, rtl))
            return -1;
    }
    tj_end(t);
    return 0;
}

static int font_resource(Writer *w, FontUse *fu)
{
    HPDF_Doc pdf = w->pdf;
    if (!fu->type0) {
        fu->type0 = HPDF_Dict_New(pdf->mmgr);
        if (hpdf_check(w, "font", !fu->type0 || HPDF_Xref_Add(pdf->xref, fu->type0) != HPDF_OK))
            return -1;
    }
    if (fu->on_page == w->page_no)
        return 0;
    /* libharu keeps the page's /Font dictionary in attr->fonts and would
     * make a second one if it did not find ours there. */
    HPDF_PageAttr attr = (HPDF_PageAttr)w->page->attr;
    if (!attr->fonts) {
        HPDF_Dict res = HPDF_Dict_GetItem(w->page, "Resources", HPDF_OCLASS_DICT);
        HPDF_Dict fonts = HPDF_Dict_New(pdf->mmgr);
        if (hpdf_check(w, "font resources",
                       !res || !fonts || HPDF_Dict_Add(res, "Font", fonts) != HPDF_OK))
            return -1;
        attr->fonts = fonts;
    }
    fu->on_page = w->page_no;
    return hpdf_check(w, "font resources",
                      HPDF_Dict_Add(attr->fonts, fu->key, fu->type0) != HPDF_OK);
}

/* Tf and rg persist across text objects, so they are only written when
 * they change. */
static void text_state(Writer *w, const FontUse *fu, const GlyphSpan *s)
{
    Buf *b = &w->out;
    int64_t size = to_milli(s->size);
    if (w->tf_font != fu || w->tf_size != size) {
        buf_str(b, "/");
        buf_str(b, fu->key);
        buf_str(b, " ");
        buf_milli(b, size);
        buf_str(b, " Tf\n");
        w->tf_font = fu;
        w->tf_size = size;
    }
    int64_t rgb[3] = {to_milli(s->color.r), to_milli(s->color.g), to_milli(s->color.b)};
    if (!w->rgb_valid || memcmp(rgb, w->rgb, sizeof rgb) != 0) {
        for (int i = 0; i < 3; i++) {
            buf_milli(b, rgb[i]);
            buf_str(b, " ");
        }
        buf_str(b, "rg\n");
        memcpy(w->rgb, rgb, sizeof rgb);
        w->rgb_valid = true;
    }
}

/* Appends the text operators collected in w->out to the page's content
 * stream. */
static int flush_to_page(Writer *w)
{
    Buf *b = &w->out;
    if (b->oom)
        return out_of_memory();
    HPDF_Stream stream = ((HPDF_PageAttr)w->page->attr)->stream;
    return hpdf_check(w, "page content",
                      HPDF_Stream_Write(stream, (const HPDF_BYTE *)b->data,
                                        (HPDF_UINT)b->len) != HPDF_OK);
}

static int draw_text(Writer *w, const Page *p, size_t k)
{
    const GlyphSpan *s = &p->boxes[k].u.text;
    if (s->glyph_count == 0)
        return 0;
    bool rtl = span_is_rtl(p, k), ltr;
    if (w->rtl_doc && scan_line(w, p, k, &ltr))
        return -1;
    FontUse *fu = font_use(w, s->font);
    if (font_resource(w, fu))
        return -1;
    Buf *b = &w->out;
    b->len = 0;
    buf_str(b, "BT\n");
    text_state(w, fu, s);
    buf_str(b, "1 0 0 1 ");
    buf_num(b, s->x);
    buf_str(b, " ");
    buf_num(b, s->y);
    buf_str(b, " Tm\n");
    Tj t = {.b = b, .font = fu->font, .size = s->size};
    if (emit_glyphs(w, &t, fu, s, rtl))
        return -1;
    buf_str(b, "ET\n");
    return flush_to_page(w);
}

/* poppler (22.12) reads a whole page in one direction, that of the
 * majority of its letters (RLM and LRM count).  On a right-to-left sheet a
 * page that is mostly Latin citations would be read left to right, and
 * every Arabic line on it would come out in visual order, words and all.
 * So such a page ends with one invisible glyph (a space, no ink, in render
 * mode 3) whose ActualText holds enough RLMs to tip the balance, with a
 * margin because poppler may classify a few characters differently from
 * HarfBuzz, placed at the right end of the page's first right-to-left
 * line.  They are formatting characters only: no reader gets other words
 * from them. */
enum { DIRECTION_MARGIN = 16 };

static int draw_direction_marker(Writer *w, const Page *p)
{
    long balance = w->strong_balance;
    const GlyphSpan *anchor = NULL;
    for (size_t i = 0; i < p->box_count && !anchor; i++) {
        const GlyphSpan *s = &p->boxes[i].u.text;
        size_t n = s->glyph_count;
        if (p->boxes[i].kind == BOX_TEXT && n > 1 &&
            s->glyphs[0].cluster > s->glyphs[n - 1].cluster)
            anchor = s;
    }
    if (!anchor || balance < -DIRECTION_MARGIN)
        return 0;
    hb_codepoint_t gid;
    if (!hb_font_get_nominal_glyph(anchor->font->hb, ' ', &gid))
        return 0;
    FontUse *fu = font_use(w, anchor->font);
    if (font_resource(w, fu))
        return -1;
    int64_t adv = 0;
    for (size_t i = 0; i < anchor->glyph_count; i++)
        adv += anchor->glyphs[i].x_advance;
    Buf *b = &w->out;
    b->len = 0;
    buf_str(b, "BT\n");
    text_state(w, fu, anchor);
    buf_str(b, "3 Tr\n1 0 0 1 ");
    buf_num(b, anchor->x + (double)adv * anchor->size / anchor->font->upem);
    buf_str(b, " ");
    buf_num(b, anchor->y);
    buf_str(b, " Tm\n/Span<</ActualText<FEFF");
    for (long i = 0; i <= balance + DIRECTION_MARGIN; i++)
        buf_hex4(b, RLM);
    buf_str(b, ">>>BDC\n<");
    use_glyph(fu, gid);
    unsigned code = glyph_code(fu, gid);
    buf_hex4(b, code);
    buf_str(b, ">Tj\nEMC\n0 Tr\nET\n");
    return flush_to_page(w);
}

int write_page(Writer *w, size_t index)
{
    const Page *p = &w->doc->pages[index];
    w->page = HPDF_AddPage(w->pdf);
    if (hpdf_check(w, "page", !w->page))
        return -1;
    bool bad = HPDF_Page_SetWidth(w->page, (HPDF_REAL)w->doc->width) != HPDF_OK;
    bad |= HPDF_Page_SetHeight(w->page, (HPDF_REAL)w->doc->height) != HPDF_OK;
    if (hpdf_check(w, "page size", bad))
        return -1;
    w->page_no = index + 1;
    w->strong_balance = 0;
    w->tf_font = NULL;
    w->rgb_valid = false;
    if (p->box_count > w->line_state_cap) {
        int8_t *ls = realloc(w->line_state, p->box_count);
        if (!ls)
            return out_of_memory();
        w->line_state = ls;
        w->line_state_cap = p->box_count;
    }
    if (p->box_count)
        memset(w->line_state, -1, p->box_count);
    for (size_t i = 0; i < p->box_count; i++) {
        const Box *box = &p->boxes[i];
        int rc = box->kind == BOX_TEXT ? draw_text(w, p, i) : draw_rect(w, &box->u.rect);
        if (rc)
            return -1;
    }
    return w->rtl_doc ? draw_direction_marker(w, p) : 0;
}
