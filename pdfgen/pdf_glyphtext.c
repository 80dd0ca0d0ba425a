/* pdf_glyphtext.c — sharing a cluster's text out over its glyphs.  See
 * pdf_glyphtext.h. */
#include "pdf_glyphtext.h"

#include <hb.h>

#define VIRAMA_DEVANAGARI 0x094D

static bool is_virama(uint32_t cp)
{
    /* Every Indic script's virama (and Myanmar's asat) is a nonspacing
     * mark of combining class 9. */
    hb_unicode_funcs_t *uf = hb_unicode_funcs_get_default();
    return cp == VIRAMA_DEVANAGARI || hb_unicode_combining_class(uf, cp) == HB_UNICODE_COMBINING_CLASS_VIRAMA;
}

bool glyphtext_ignorable(uint32_t cp)
{
    return cp == 0x200B || cp == 0x200E || cp == 0x200F || cp == 0x2060 || cp == 0xFEFF ||
           cp == 0x061C || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
           (cp >= 0xFE00 && cp <= 0xFE0F);
}

static void set_guessed(bool *guessed, size_t g)
{
    if (guessed)
        guessed[g] = true;
}

static bool nominal_is(const Font *font, uint32_t cp, uint32_t gid)
{
    hb_codepoint_t g;
    if (hb_font_get_nominal_glyph(font->hb, cp, &g) && g == gid)
        return true;
    hb_codepoint_t mirror = hb_unicode_mirroring(hb_unicode_funcs_get_default(), cp);
    return mirror != cp && hb_font_get_nominal_glyph(font->hb, mirror, &g) && g == gid;
}

/* The next run of code points no glyph has claimed, from *k; false when
 * there is none. */
static bool next_run(const size_t *owner, const uint32_t *cps, size_t n, size_t *k, size_t *begin,
                     size_t *end)
{
    while (*k < n && (owner[*k] != NO_GLYPH || glyphtext_ignorable(cps[*k])))
        (*k)++;
    if (*k == n)
        return false;
    *begin = *k;
    while (*k < n && owner[*k] == NO_GLYPH && !glyphtext_ignorable(cps[*k]))
        (*k)++;
    *end = *k;
    return true;
}

bool glyphtext_silent(const Font *font, const Glyph *g)
{
    hb_glyph_extents_t e;
    return g->x_advance == 0 && hb_font_get_glyph_extents(font->hb, g->gid, &e) &&
           e.width == 0 && e.height == 0;
}

/* Which glyphs of the cluster (a bit each, in visual order) go missing
 * when it is shaped without code point skip: those it takes part in.  A
 * glyph that is some code point's own glyph, or draws nothing, is left
 * out. */
static uint32_t vanishing_glyphs(hb_buffer_t *buffer, const Font *font, const uint32_t *cps,
                                 size_t n, size_t skip, const Glyph *glyphs, size_t m,
                                 const size_t *owner)
{
    hb_buffer_reset(buffer);
    hb_buffer_set_content_type(buffer, HB_BUFFER_CONTENT_TYPE_UNICODE);
    for (size_t k = 0; k < n; k++)
        if (k != skip)
            hb_buffer_add(buffer, cps[k], (unsigned)k);
    hb_buffer_guess_segment_properties(buffer);
    hb_shape(font->hb, buffer, NULL, 0);
    if (!hb_buffer_allocation_successful(buffer))
        return 0;
    unsigned count;
    hb_glyph_info_t *info = hb_buffer_get_glyph_infos(buffer, &count);
    bool taken[64] = {0};
    uint32_t gone = 0;
    for (size_t g = 0; g < m; g++) {
        bool nominal = false;
        for (size_t k = 0; k < n && !nominal; k++)
            nominal = owner[k] == g && nominal_is(font, cps[k], glyphs[g].gid);
        if (nominal || glyphtext_silent(font, &glyphs[g]))
            continue;
        bool present = false;
        for (unsigned r = 0; r < count && r < 64 && !present; r++)
            if (!taken[r] && info[r].codepoint == glyphs[g].gid) {
                taken[r] = true;
                present = true;
            }
        if (!present)
            gone |= 1u << g;
    }
    return gone;
}

/* Step 2 of the partition: each code point the cmap left unclaimed goes
 * to the glyph that vanishes without it, the most particular one when
 * several do (a vowel sign's width variant vanishes whatever consonant of
 * the conjunct goes; the conjunct's own glyph only for its parts). */
static void assign_by_reshaping(hb_buffer_t *buffer, const Font *font, const uint32_t *cps,
                                size_t n, const Glyph *glyphs, size_t m, size_t *owner,
                                bool *guessed)
{
    uint32_t gone[32] = {0};
    unsigned weight[32] = {0};
    for (size_t k = 0; k < n; k++) {
        if (owner[k] != NO_GLYPH || glyphtext_ignorable(cps[k]))
            continue;
        gone[k] = vanishing_glyphs(buffer, font, cps, n, k, glyphs, m, owner);
        for (size_t g = 0; g < m; g++)
            weight[g] += (gone[k] >> g) & 1u;
    }
    for (size_t k = 0; k < n; k++) {
        size_t best = NO_GLYPH;
        for (size_t g = 0; g < m; g++)
            if (((gone[k] >> g) & 1u) && (best == NO_GLYPH || weight[g] < weight[best]))
                best = g;
        if (best != NO_GLYPH) {
            owner[k] = best;
            set_guessed(guessed, best);
        }
    }
}

void glyphtext_partition(hb_buffer_t *buffer, const Font *font, const uint32_t *cps, size_t n, const Glyph *glyphs,
                         size_t m, size_t *owner, bool *guessed, size_t *order)
{
    /* Nearly every cluster is one code point on one glyph; the steps
     * below come to this for it, at a fraction of the cost. */
    if (n == 1 && m == 1) {
        bool skip = glyphtext_ignorable(cps[0]);
        owner[0] = skip ? NO_GLYPH : 0;
        if (guessed)
            guessed[0] = !skip && !nominal_is(font, cps[0], glyphs[0].gid);
        order[0] = 0;
        return;
    }
    for (size_t k = 0; k < n; k++)
        owner[k] = NO_GLYPH;
    for (size_t g = 0; guessed && g < m; g++)
        guessed[g] = false;
    /* 1. What the cmap says: a glyph that is a character's own glyph
     * stands for the first such character not yet taken. */
    for (size_t g = 0; g < m; g++) {
        for (size_t k = 0; k < n; k++)
            if (owner[k] == NO_GLYPH && !glyphtext_ignorable(cps[k]) && nominal_is(font, cps[k], glyphs[g].gid)) {
                owner[k] = g;
                break;
            }
    }
    /* 2. A code point no glyph is the cmap's glyph for (part of a
     * conjunct, a ligature, a contextual form) belongs to the glyph that
     * goes away when the cluster is shaped without it. */
    if (n > 1 && n <= 32 && m <= 32)
        assign_by_reshaping(buffer, font, cps, n, glyphs, m, owner, guessed);
    /* 3. The rest in runs: each
     * run to the next glyph, in visual order, that stands for nothing yet;
     * a run longer than needed is split after its viramas so that each
     * half form gets its consonant. */
    size_t empty[64], empties = 0;
    for (size_t g = 0; g < m && empties < 64; g++) {
        if (glyphtext_silent(font, &glyphs[g]))
            continue;
        bool any = false;
        for (size_t k = 0; k < n && !any; k++)
            any = owner[k] == g;
        if (!any)
            empty[empties++] = g;
    }
    size_t k = 0, begin, end, next_empty = 0;
    size_t last_owner = NO_GLYPH;
    while (next_run(owner, cps, n, &k, &begin, &end)) {
        if (next_empty == empties) {
            /* no glyph left without text: the run joins the glyph of the
             * code point before it (or after it) */
            size_t to = begin > 0 && owner[begin - 1] != NO_GLYPH ? owner[begin - 1]
                        : end < n && owner[end] != NO_GLYPH ? owner[end]
                        : last_owner != NO_GLYPH ? last_owner : 0;
            for (size_t c = begin; c < end; c++)
                owner[c] = to;
            set_guessed(guessed, to);
            continue;
        }
        /* Split after viramas while glyphs without text remain. */
        size_t c = begin;
        while (c < end) {
            size_t stop = end;
            if (empties - next_empty > 1)
                for (size_t v = c; v + 1 < end; v++)
                    if (is_virama(cps[v])) {
                        stop = v + 1;
                        break;
                    }
            size_t to = empty[next_empty < empties ? next_empty : empties - 1];
            if (next_empty < empties)
                next_empty++;
            for (size_t x = c; x < stop; x++)
                owner[x] = to;
            set_guessed(guessed, to);
            last_owner = to;
            c = stop;
        }
    }
    /* 4. Showing order: by the first code point each glyph stands for; a
     * glyph that stands for nothing goes right after the glyph before it
     * in visual order.  (A cluster of more than 256 glyphs, which no
     * script makes, keeps the visual order.) */
    for (size_t g = 0; g < m; g++)
        order[g] = g;
    if (m > 256)
        return;
    double key[256];
    for (size_t g = 0; g < m; g++) {
        size_t first = SIZE_MAX;
        for (size_t c = 0; c < n && first == SIZE_MAX; c++)
            if (owner[c] == g)
                first = c;
        key[g] = first != SIZE_MAX ? (double)first : g > 0 ? key[g - 1] + 0.001 : -1;
    }
    for (size_t a = 1; a < m; a++) {
        size_t x = order[a], b = a;
        while (b > 0 && key[order[b - 1]] > key[x]) {
            order[b] = order[b - 1];
            b--;
        }
        order[b] = x;
    }
}
