/* pdf_page.c — a page's boxes into its content stream.  See pdf_page.h.
 * Right-to-left text is written so that extractors (poppler above all)
 * read it in logical order: see pdf_poppler.c and draw_direction_marker. */
#include "pdf_page.h"

#include "alloc.h"
#include "diag.h"
#include "pdf_fonts.h"
#include "pdf_poppler.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hb.h>

struct Writer {
    PdfDoc *doc;
    FontUses *fonts;
    Tags *tags;
    bool rtl_doc;        /* the sheet's language is written right to left */
    long strong_balance; /* the page's left-to-right less right-to-left letters so far */
    Buf out;             /* operators not yet in the page's content stream */
    U16 text;            /* scratch: one cluster's text */
    uint32_t *clusters;
    bool *seen;
    size_t clusters_cap;
    uint8_t *units;      /* per glyph of the span: poppler's scan (see scan_span) */
    size_t units_cap;
    int8_t *line_state;  /* per box of the page: state at its left end, -1 unknown */
    size_t line_state_cap;
    /* content-stream state of the current page */
    PdfObj page;
    size_t page_no; /* 1-based */
    const FontUse *tf_font;
    int64_t tf_size;
    int64_t rgb[3];
    bool rgb_valid;
};


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
    /* Content of a TEXT leaf is marked inside the text object, sequence
     * by sequence, never nested: a cluster that needs ActualText gets a
     * sequence (and MCID) of its own that carries it, because poppler
     * 22.12 ends the enclosing sequence at a nested one's EMC (its
     * -struct-text then loses the rest of the line).  Artifacts (leaf
     * NULL) are marked around the text object by the page instead. */
    Tags *tags;
    const Node *leaf;
    bool marked; /* a sequence of leaf is open */
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
        w->clusters = xreallocarray(w->clusters, n, sizeof *w->clusters);
        w->seen = xreallocarray(w->seen, n, sizeof *w->seen);
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




static void end_marked(Tj *t)
{
    if (!t->marked)
        return;
    tj_close(t);
    buf_str(t->b, "EMC\n");
    t->marked = false;
}

/* Opens a marked-content sequence of the leaf's element: "/P<</MCID 4",
 * left for the caller to add to and close with ">>BDC". */
static int begin_marked(Tj *t)
{
    int mcid = tags_mcid(t->tags, t->leaf);
    if (mcid < 0)
        return -1;
    buf_str(t->b, "/");
    buf_str(t->b, node_kind_name(node_element(t->leaf)->kind));
    buf_str(t->b, "<</MCID ");
    buf_uint(t->b, (uint64_t)mcid);
    return 0;
}

/* Before plain glyphs of tagged content: a sequence is open. */
static int ensure_marked(Tj *t)
{
    if (!t->leaf || t->marked)
        return 0;
    tj_close(t);
    if (begin_marked(t))
        return -1;
    buf_str(t->b, ">>BDC\n");
    t->marked = true;
    return 0;
}

static int begin_actual_text(Tj *t, const U16 *text)
{
    tj_close(t);
    if (t->leaf) {
        end_marked(t);
        if (begin_marked(t))
            return -1;
        buf_str(t->b, "/ActualText");
    } else {
        buf_str(t->b, "/Span<</ActualText");
    }
    if (text->len) {
        buf_str(t->b, "<FEFF");
        buf_u16_hex(t->b, text->units, text->len);
        buf_str(t->b, ">");
    } else {
        buf_str(t->b, "()");
    }
    buf_str(t->b, ">>BDC\n");
    return 0;
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
    tj_glyph(t, g, glyph_code(fu, g->gid), font_use_glyph(fu, g->gid)->width, pen,
             stretch ? end : pen + g->x_advance, g->x_offset == 0 && !stretch);
}











static bool only_spaces(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ')
            return false;
    return true;
}

/* Whether a span is set right to left: its bidi level says, as text.c
 * resolved it. */
static bool span_is_rtl(const Page *p, size_t k)
{
    return p->boxes[k].u.text.level & 1;
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
    if (!u16_from_utf8(&w->text, s->text + lo, *end - lo, true)) {
        diag_error(NULL, "pdf: invalid UTF-8 in text at byte %u", lo);
        return -1;
    }
    /* A cluster split into two runs (unusual shaping) must not be
     * extracted twice: its second run stands for nothing. */
    if (w->seen[k])
        w->text.len = 0;
    for (; k <= k_hi; k++)
        w->seen[k] = true;
    poppler_rtl_cluster_text(&w->text, j - i == 1);
    return 0;
}

/* A unit of a left-to-right span gets LRM marks (see RLM). */
static bool wants_lrm(const Writer *w, const GlyphSpan *s, uint32_t end)
{
    return w->rtl_doc && only_spaces(s->text + end, s->line_end - end) &&
           poppler_all_weak_not_digits(&w->text);
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
        w->units = xrealloc(w->units, n);
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
            bool f = poppler_scan_unit(&w->text, rtl, lrm, &state);
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
    if (font_map_cluster(fu, font_use_glyph(fu, g[lead].gid), &w->text, single, &wrap))
        return -1;
    /* Marks for poppler (see RLM); the ToUnicode entry stays plain.  On a
     * left-to-right sheet every weak character set right to left gets
     * them. */
    if (rtl ? (w->rtl_doc ? w->units[i] & UNIT_FENCE : poppler_has_weak(&w->text))
            : wants_lrm(w, s, end)) {
        poppler_fence(&w->text, rtl ? RLM : LRM);
        wrap = true;
    }
    poppler_count_strong(&w->strong_balance, &w->text);
    if (wrap ? begin_actual_text(t, &w->text) : ensure_marked(t))
        return -1;
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

/* Appends the operators collected in w->out to the page's content stream. */
static int flush_to_page(Writer *w)
{
    Buf *b = &w->out;
    int rc = pdfo_check(w->doc, "page content", pdfo_page_write(w->doc, w->page, b->data, b->len));
    b->len = 0;
    return rc;
}

static void rgb(Buf *b, Color c, const char *op)
{
    buf_num(b, c.r);
    buf_str(b, " ");
    buf_num(b, c.g);
    buf_str(b, " ");
    buf_num(b, c.b);
    buf_str(b, op);
}

static void point(Buf *b, double x, double y)
{
    buf_num(b, x);
    buf_str(b, " ");
    buf_num(b, y);
    buf_str(b, " ");
}

static void curve(Buf *b, double x1, double y1, double x2, double y2, double x3, double y3)
{
    point(b, x1, y1);
    point(b, x2, y2);
    point(b, x3, y3);
    buf_str(b, "c\n");
}

/* A rectangle, its corners rounded by quarter circles when r->radius. */
static void draw_rect(Writer *w, const RectBox *r)
{
    Buf *b = &w->out;
    bool stroke = r->line_width > 0;
    if (!r->fill && !stroke)
        return;
    if (r->fill)
        rgb(b, r->fill_color, " rg\n");
    if (stroke) {
        rgb(b, r->stroke, " RG\n");
        buf_num(b, r->line_width);
        buf_str(b, " w\n");
    }
    double x0 = r->x, y0 = r->y, x1 = r->x + r->width, y1 = r->y + r->height;
    double rad = r->radius;
    if (rad > r->width / 2)
        rad = r->width / 2;
    if (rad > r->height / 2)
        rad = r->height / 2;
    if (rad > 0) {
        double k = rad * 0.5522847498; /* Bezier handle for a quarter circle */
        point(b, x0 + rad, y0);
        buf_str(b, "m\n");
        point(b, x1 - rad, y0);
        buf_str(b, "l\n");
        curve(b, x1 - rad + k, y0, x1, y0 + rad - k, x1, y0 + rad);
        point(b, x1, y1 - rad);
        buf_str(b, "l\n");
        curve(b, x1, y1 - rad + k, x1 - rad + k, y1, x1 - rad, y1);
        point(b, x0 + rad, y1);
        buf_str(b, "l\n");
        curve(b, x0 + rad - k, y1, x0, y1 - rad + k, x0, y1 - rad);
        point(b, x0, y0 + rad);
        buf_str(b, "l\n");
        curve(b, x0, y0 + rad - k, x0 + rad - k, y0, x0 + rad, y0);
        buf_str(b, "h\n");
    } else {
        point(b, x0, y0);
        point(b, r->width, r->height);
        buf_str(b, "re\n");
    }
    buf_str(b, r->fill && stroke ? "B\n" : r->fill ? "f\n" : "S\n");
    w->rgb_valid = false; /* the text's fill colour is no longer current */
}

/* Box k of page p; leaf: the TEXT node it is content of, NULL for an
 * artifact. */
static int draw_text(Writer *w, const Page *p, size_t k, const Node *leaf)
{
    const GlyphSpan *s = &p->boxes[k].u.text;
    if (s->glyph_count == 0)
        return 0;
    bool rtl = span_is_rtl(p, k), ltr;
    if (w->rtl_doc && scan_line(w, p, k, &ltr))
        return -1;
    FontUse *fu = font_use(w->fonts, s->font);
    if (font_resource(w->fonts, fu, w->page, w->page_no))
        return -1;
    Buf *b = &w->out;
    buf_str(b, "BT\n");
    text_state(w, fu, s);
    buf_str(b, "1 0 0 1 ");
    buf_num(b, s->x);
    buf_str(b, " ");
    buf_num(b, s->y);
    buf_str(b, " Tm\n");
    Tj t = {.b = b, .font = fu->font, .size = s->size, .tags = w->tags, .leaf = leaf};
    if (emit_glyphs(w, &t, fu, s, rtl))
        return -1;
    end_marked(&t);
    buf_str(b, "ET\n");
    return 0;
}

/* poppler (22.12) reads a whole page in one direction, that of the
 * majority of its letters (RLM and LRM count).  On a right-to-left sheet a
 * page that is mostly Latin citations would be read left to right, and
 * every Arabic line on it would come out in visual order, words and all.
 * So such a page ends with one invisible glyph (a space, no ink, in render
 * mode 3) whose ActualText holds enough RLMs to tip the balance, with a
 * margin because poppler may classify a few characters differently from
 * HarfBuzz, placed at the right end of the page's first right-to-left
 * line.  It is an artifact: no part of the content, so screen readers and
 * the structure tree skip it, while poppler's text extraction, which reads
 * artifacts too, still counts its marks. */
enum { DIRECTION_MARGIN = 16 };

static int draw_direction_marker(Writer *w, const Page *p)
{
    long balance = w->strong_balance;
    const GlyphSpan *anchor = NULL;
    for (size_t i = 0; i < p->box_count && !anchor; i++) {
        const GlyphSpan *s = &p->boxes[i].u.text;
        size_t n = s->glyph_count;
        if (p->boxes[i].kind == BOX_TEXT && n > 1 && (s->level & 1))
            anchor = s;
    }
    if (!anchor || balance < -DIRECTION_MARGIN)
        return 0;
    hb_codepoint_t gid;
    if (!hb_font_get_nominal_glyph(anchor->font->hb, ' ', &gid))
        return 0;
    FontUse *fu = font_use(w->fonts, anchor->font);
    if (font_resource(w->fonts, fu, w->page, w->page_no))
        return -1;
    int64_t adv = 0;
    for (size_t i = 0; i < anchor->glyph_count; i++)
        adv += anchor->glyphs[i].x_advance;
    Buf *b = &w->out;
    buf_str(b, "/Artifact BMC\nBT\n");
    text_state(w, fu, anchor);
    buf_str(b, "3 Tr\n1 0 0 1 ");
    buf_num(b, anchor->x + (double)adv * anchor->size / anchor->font->upem);
    buf_str(b, " ");
    buf_num(b, anchor->y);
    buf_str(b, " Tm\n/Span<</ActualText<FEFF");
    for (long i = 0; i <= balance + DIRECTION_MARGIN; i++)
        buf_hex4(b, RLM);
    buf_str(b, ">>>BDC\n<");
    font_use_glyph(fu, gid);
    unsigned code = glyph_code(fu, gid);
    buf_hex4(b, code);
    buf_str(b, ">Tj\nEMC\n0 Tr\nET\nEMC\n");
    return flush_to_page(w);
}

/* ---- marked content ----------------------------------------------------- */

/* Artifacts say what they are: page furniture is pagination, decoration
 * is layout. */
static void begin_artifact(Buf *b, const Node *node)
{
    if (node && node->kind == NODE_ARTIFACT && node->furniture == FURNITURE_HEAD)
        buf_str(b, "/Artifact<</Type/Pagination/Subtype/Header>>BDC\n");
    else if (node && node->kind == NODE_ARTIFACT)
        buf_str(b, "/Artifact<</Type/Pagination/Subtype/Footer>>BDC\n");
    else
        buf_str(b, "/Artifact<</Type/Layout>>BDC\n");
}


/* ---- links --------------------------------------------------------------- */

/* The extent of a text box: its advance, and the font's ascent and
 * descent around the baseline. */
static void span_extent(const GlyphSpan *s, double *x0, double *y0, double *x1, double *y1)
{
    int64_t adv = 0;
    for (size_t i = 0; i < s->glyph_count; i++)
        adv += s->glyphs[i].x_advance;
    double scale = s->size / s->font->upem;
    *x0 = s->x;
    *x1 = s->x + (double)adv * scale;
    *y0 = s->y + s->font->descender * scale;
    *y1 = s->y + s->font->ascender * scale;
}

static const Node *link_of(const Box *box)
{
    if (box->kind != BOX_TEXT || box->artifact || !box->node || !box->node->parent)
        return NULL;
    return box->node->parent->kind == NODE_LINK ? box->node->parent : NULL;
}

/* One annotation for a link's text on this page: a quadrilateral per line
 * (a URL broken over two lines is one link), /Rect around them all. */
static int write_link(Writer *w, const Page *p, const Node *link, PdfObj annots)
{
    double qx0[64], qy0[64], qx1[64], qy1[64], base[64];
    size_t quads = 0;
    for (size_t i = 0; i < p->box_count; i++) {
        if (link_of(&p->boxes[i]) != link || p->boxes[i].u.text.glyph_count == 0)
            continue;
        double x0, y0, x1, y1;
        span_extent(&p->boxes[i].u.text, &x0, &y0, &x1, &y1);
        size_t q = 0;
        while (q < quads && base[q] != p->boxes[i].u.text.y)
            q++;
        if (q == quads) {
            if (quads == 64)
                continue;
            base[q] = p->boxes[i].u.text.y;
            qx0[q] = x0, qy0[q] = y0, qx1[q] = x1, qy1[q] = y1;
            quads++;
        }
        qx0[q] = x0 < qx0[q] ? x0 : qx0[q];
        qx1[q] = x1 > qx1[q] ? x1 : qx1[q];
        qy0[q] = y0 < qy0[q] ? y0 : qy0[q];
        qy1[q] = y1 > qy1[q] ? y1 : qy1[q];
    }
    if (quads == 0)
        return 0;
    PdfDoc *d = w->doc;
    PdfObj annot = pdfo_indirect_dict(d), rect = pdfo_array(d), quad = pdfo_array(d);
    PdfObj border = pdfo_array(d), action = pdfo_dict(d);
    double rx0 = qx0[0], ry0 = qy0[0], rx1 = qx1[0], ry1 = qy1[0];
    int bad = !annot || !rect || !quad || !border || !action;
    for (size_t q = 0; q < quads; q++) {
        rx0 = qx0[q] < rx0 ? qx0[q] : rx0;
        ry0 = qy0[q] < ry0 ? qy0[q] : ry0;
        rx1 = qx1[q] > rx1 ? qx1[q] : rx1;
        ry1 = qy1[q] > ry1 ? qy1[q] : ry1;
        /* upper left, upper right, lower left, lower right, as readers
         * expect them in practice */
        double pts[8] = {qx0[q], qy1[q], qx1[q], qy1[q], qx0[q], qy0[q], qx1[q], qy0[q]};
        for (int k = 0; k < 8; k++)
            bad |= pdfo_push_real(quad, (double)to_milli(pts[k]) / 1000);
    }
    double r[4] = {rx0, ry0, rx1, ry1};
    for (int k = 0; k < 4; k++)
        bad |= pdfo_push_real(rect, (double)to_milli(r[k]) / 1000);
    for (int k = 0; k < 3; k++)
        bad |= pdfo_push_int(border, 0);
    bad |= pdfo_put_name(annot, "Type", "Annot");
    bad |= pdfo_put_name(annot, "Subtype", "Link");
    bad |= pdfo_put(annot, "Rect", rect);
    bad |= pdfo_put(annot, "QuadPoints", quad);
    bad |= pdfo_put(annot, "Border", border);
    bad |= pdfo_put_int(annot, "F", 4); /* printed */
    bad |= pdfo_put_text(d, annot, "Contents", link->alt ? link->alt : link->uri);
    bad |= pdfo_put_name(action, "S", "URI");
    bad |= pdfo_put(action, "URI", pdfo_ascii(d, link->uri));
    bad |= pdfo_put(annot, "A", action);
    bad |= pdfo_put(annot, "P", w->page);
    bad |= pdfo_push(annots, annot);
    if (pdfo_check(d, "link", bad))
        return -1;
    return tags_annotation(w->tags, link, annot);
}

/* Every link with text on the page, in reading order; the page then has
 * /Annots and, for keyboard users, tabs in structure order. */
static int write_links(Writer *w, const Page *p)
{
    PdfObj annots = NULL;
    for (size_t i = 0; i < p->box_count; i++) {
        const Node *link = link_of(&p->boxes[i]);
        bool first = link != NULL;
        for (size_t j = 0; j < i && first; j++)
            first = link_of(&p->boxes[j]) != link;
        if (!first)
            continue;
        if (!annots) {
            annots = pdfo_array(w->doc);
            if (pdfo_check(w->doc, "links", !annots || pdfo_put(w->page, "Annots", annots) ||
                                                pdfo_put_name(w->page, "Tabs", "S")))
                return -1;
        }
        if (write_link(w, p, link, annots))
            return -1;
    }
    return 0;
}

/* ---- the page ------------------------------------------------------------ */

Writer *page_writer_new(PdfDoc *doc, FontUses *fonts, Tags *tags, bool rtl_doc)
{
    Writer *w = xcalloc(1, sizeof *w);
    w->doc = doc;
    w->fonts = fonts;
    w->tags = tags;
    w->rtl_doc = rtl_doc;
    return w;
}

void page_writer_free(Writer *w)
{
    if (!w)
        return;
    buf_free(&w->out);
    u16_free(&w->text);
    free(w->clusters);
    free(w->seen);
    free(w->units);
    free(w->line_state);
    free(w);
}

int page_write(Writer *w, const Document *doc, size_t index)
{
    const Page *p = &doc->pages[index];
    w->page = pdfo_add_page(w->doc, doc->width, doc->height);
    if (pdfo_check(w->doc, "page", !w->page) || tags_page(w->tags, w->page))
        return -1;
    w->page_no = index + 1;
    w->strong_balance = 0;
    w->tf_font = NULL;
    w->rgb_valid = false;
    w->out.len = 0;
    if (p->box_count > w->line_state_cap) {
        w->line_state = xrealloc(w->line_state, p->box_count);
        w->line_state_cap = p->box_count;
    }
    if (p->box_count)
        memset(w->line_state, -1, p->box_count);
    /* Artifacts are marked around their drawing, runs of one kind in one
     * sequence; content text marks itself (see Tj). */
    const Node *open = NULL;
    bool is_open = false;
    for (size_t i = 0; i < p->box_count; i++) {
        const Box *box = &p->boxes[i];
        if (box->kind == BOX_TEXT && box->u.text.glyph_count == 0)
            continue;
        bool artifact = box->artifact || !box->node;
        if (is_open && (!artifact || box->node != open)) {
            buf_str(&w->out, "EMC\n");
            is_open = false;
        }
        if (artifact && !is_open) {
            begin_artifact(&w->out, box->node);
            open = box->node;
            is_open = true;
        }
        if (box->kind == BOX_TEXT) {
            if (draw_text(w, p, i, artifact ? NULL : box->node))
                return -1;
        } else {
            draw_rect(w, &box->u.rect);
        }
    }
    if (is_open)
        buf_str(&w->out, "EMC\n");
    if (flush_to_page(w))
        return -1;
    if (w->rtl_doc && draw_direction_marker(w, p))
        return -1;
    return write_links(w, p);
}
