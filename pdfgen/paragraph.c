/* paragraph.c — greedy line breaking over shaped glyphs.  See paragraph.h. */
#include "paragraph.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

/* The paragraph's glyphs flattened in logical order, with a running sum
 * of advances so any candidate line's width is one subtraction. */
typedef struct Flat {
    size_t count;
    const ShapedRun **run;
    size_t *index;     /* glyph index within its run (visual order) */
    uint32_t *cluster;
    double *sum;       /* sum[i] = width of glyphs [0, i) in points */
    double *sum_scale; /* points per font unit of glyph i */
    size_t *first_at;  /* [b], b <= the text's length: glyph_at(f, 0, b) */
} Flat;

static Flat flatten(Arena *arena, const ShapedText *text, double size)
{
    Flat f = {0};
    for (size_t r = 0; r < text->run_count; r++)
        f.count += text->runs[r].glyph_count;
    f.run = arena_array(arena, f.count + 1, sizeof *f.run);
    f.index = arena_array(arena, f.count + 1, sizeof *f.index);
    f.cluster = arena_array(arena, f.count + 1, sizeof *f.cluster);
    f.sum = arena_array(arena, f.count + 1, sizeof *f.sum);
    f.sum_scale = arena_array(arena, f.count + 1, sizeof *f.sum_scale);
    size_t k = 0;
    for (size_t r = 0; r < text->run_count; r++) {
        const ShapedRun *run = &text->runs[r];
        double scale = size / run->font->upem;
        /* HarfBuzz gives right-to-left runs last character first: walk
         * them backwards so the flat list is in logical order. */
        for (size_t j = 0; j < run->glyph_count; j++, k++) {
            size_t g = run->level & 1 ? run->glyph_count - 1 - j : j;
            f.run[k] = run;
            f.index[k] = g;
            f.cluster[k] = run->glyphs[g].cluster;
            f.sum[k + 1] = f.sum[k] + run->glyphs[g].x_advance * scale;
            f.sum_scale[k] = scale;
        }
    }
    f.cluster[f.count] = text->len;
    /* The first glyph whose cluster is at or after each byte, asked of
     * every byte by line breaking (a scan from the first glyph each time
     * took 3% of a build): a byte not reached by glyph i's cluster nor
     * any before it is first reached at glyph i. */
    f.first_at = arena_array(arena, (size_t)text->len + 1, sizeof *f.first_at);
    size_t b = 0;
    for (size_t i = 0; i < f.count; i++)
        while (b <= text->len && b <= f.cluster[i])
            f.first_at[b++] = i;
    while (b <= text->len)
        f.first_at[b++] = f.count;
    return f;
}

/* First glyph whose cluster is at or after byte b. */
static size_t glyph_at(const Flat *f, size_t from, uint32_t b)
{
    while (from < f->count && f->cluster[from] < b)
        from++;
    return from;
}

static size_t trim_spaces(const Flat *f, const ShapedText *text, size_t start, size_t end)
{
    while (end > start && text_is_space_at(text, f->cluster[end - 1]))
        end--;
    return end;
}

/* Unicode bidi rule L2: from the highest level down to the lowest odd
 * one, reverse every sequence of slices at that level or above. */
static void reorder_visually(LineSlice *slices, size_t n)
{
    uint8_t highest = 0, lowest_odd = 255;
    for (size_t i = 0; i < n; i++) {
        uint8_t level = slices[i].run->level;
        if (level > highest)
            highest = level;
        if ((level & 1) && level < lowest_odd)
            lowest_odd = level;
    }
    for (int level = highest; level >= lowest_odd && level > 0; level--) {
        for (size_t i = 0; i < n;) {
            if (slices[i].run->level < level) {
                i++;
                continue;
            }
            size_t j = i;
            while (j < n && slices[j].run->level >= level)
                j++;
            for (size_t a = i, b = j - 1; a < b; a++, b--) {
                LineSlice t = slices[a];
                slices[a] = slices[b];
                slices[b] = t;
            }
            i = j;
        }
    }
}

static Line make_line(Arena *arena, const Flat *f, size_t start, size_t end, uint32_t text_end)
{
    Line line = {0};
    size_t n = 0;
    for (size_t i = start; i < end; i++)
        if (i == start || f->run[i] != f->run[i - 1])
            n++;
    line.slices = arena_array(arena, n ? n : 1, sizeof *line.slices);
    for (size_t i = start; i < end; i++) {
        if (i == start || f->run[i] != f->run[i - 1]) {
            LineSlice *s = &line.slices[line.slice_count++];
            s->run = f->run[i];
            s->glyphs = NULL;
            s->hyphen = false;
            s->first = f->index[i];
            s->text_begin = f->cluster[i];
        }
        LineSlice *s = &line.slices[line.slice_count - 1];
        if (f->index[i] < s->first)
            s->first = f->index[i]; /* right-to-left: visual start moves left */
        s->count++;
        s->width += f->sum[i + 1] - f->sum[i];
        s->text_end = i + 1 < end ? f->cluster[i + 1] : text_end;
    }
    line.width = f->sum[end] - f->sum[start];
    for (size_t k = 0; k < line.slice_count; k++)
        line.slices[k].glyphs = line.slices[k].run->glyphs + line.slices[k].first;
    reorder_visually(line.slices, line.slice_count);
    return line;
}

/* A line that ends in a hard hyphen reads fine on paper, but text
 * extraction (poppler, and the readers built on it) takes a hyphen at the
 * end of a line for a soft one and drops it: "Hippel-Lindau" would be found
 * and copied as "HippelLindau".  So a line never ends right after one. */
static int after_hyphen(const ShapedText *text, uint32_t b)
{
    const char *t = text->text;
    return (b >= 1 && t[b - 1] == '-') ||
           (b >= 3 && (unsigned char)t[b - 3] == 0xE2 && (unsigned char)t[b - 2] == 0x80 &&
            (unsigned char)t[b - 1] == 0x90);
}

/* The furthest break inside a phrase (BREAK_IN_PHRASE) after start that
 * still fits, or 0. */
static size_t phrase_fallback_end(const Flat *f, const ShapedText *text, size_t start,
                                  size_t limit, double measure)
{
    size_t best = 0;
    for (size_t e = start + 1; e < limit && f->sum[e] - f->sum[start] <= measure; e++)
        if (f->cluster[e] != f->cluster[e - 1] && text->breaks[f->cluster[e]] == BREAK_IN_PHRASE &&
            !after_hyphen(text, f->cluster[e]))
            best = e;
    return best;
}

/* Where a line must end inside a word or phrase wider than the line: at
 * the locale's last break opportunity inside the phrase that fits, else
 * at the furthest grapheme boundary that fits; at least one grapheme so
 * the paragraph always advances. */
static size_t emergency_end(const Flat *f, const ShapedText *text, size_t start, size_t limit,
                            double measure)
{
    size_t best = phrase_fallback_end(f, text, start, limit, measure);
    if (best)
        return best;
    for (size_t e = start + 1; e <= limit; e++) {
        if (e < f->count && (!text->grapheme[f->cluster[e]] || after_hyphen(text, f->cluster[e])))
            continue;
        if (f->sum[e] - f->sum[start] > measure && best)
            break;
        best = e;
    }
    return best ? best : limit;
}

/* The lines in arena, the working memory (the flattened glyphs) in work. */
static Lines break_lines(Arena *arena, Arena *work, const ShapedText *text, double size,
                         double measure)
{
    Flat f = flatten(work, text, size);
    size_t cap = 0;
    Lines out = {NULL, 0};
    size_t start = 0;
    while (start < f.count) {
        size_t fit_end = 0, next = f.count;
        uint32_t fit_text_end = text->len;
        size_t first_candidate = f.count;
        for (uint32_t b = f.cluster[start] + 1; b <= text->len; b++) {
            if (b < text->len && (!text_breaks_at(text, b) || after_hyphen(text, b)))
                continue;
            size_t e = glyph_at(&f, start, b);
            size_t trimmed = trim_spaces(&f, text, start, e);
            if (first_candidate == f.count)
                first_candidate = e;
            if (f.sum[trimmed] - f.sum[start] > measure)
                break;
            fit_end = trimmed;
            fit_text_end = trimmed < f.count ? f.cluster[trimmed] : text->len;
            next = e;
            if (b < text->len && text->breaks[b] == BREAK_MANDATORY)
                break;
        }
        if (!fit_end) {
            /* Not even the first word fits: break inside it. */
            fit_end = emergency_end(&f, text, start, first_candidate, measure);
            next = fit_end;
            fit_text_end = fit_end < f.count ? f.cluster[fit_end] : text->len;
        }
        out.lines = arena_reserve(arena, out.lines, out.count, &cap, sizeof *out.lines);
        out.lines[out.count++] = make_line(arena, &f, start, fit_end, fit_text_end);
        start = next;
        while (start < f.count && text_is_space_at(text, f.cluster[start]))
            start++;
    }
    return out;
}

/* Only the lines are kept: a contents list of a thousand entries would
 * otherwise hold a thousand paragraphs' working memory until its layout
 * ends. */
Lines paragraph_break(Arena *arena, const ShapedText *text, double size, double measure)
{
    Arena work = {0};
    Lines out = break_lines(arena, &work, text, size, measure);
    arena_free(&work);
    return out;
}

/* ---- Knuth-Plass ---------------------------------------------------- */

/* A space between words: glue.  TeX's proportions for an interword
 * space: it may grow by half and shrink by a third. */
#define STRETCH 0.5
#define SHRINK (1.0 / 3.0)
/* How loose a line may be, as a multiple of the full stretch, tried in
 * turn until the paragraph can be set. */
static const double TOLERANCES[] = {1.3, 2.0, 4.0, 1e6};
#define LINE_PENALTY 10.0
#define MAX_JUSTIFY 3.0
#define FITNESS_DEMERITS 3000.0
/* A last line of a single word shorter than this share of the measure
 * is a runt. */
#define RUNT_SHARE 0.25
#define RUNT_DEMERITS 1e12
#define HYPHEN_PENALTY 50.0
#define DOUBLE_HYPHEN_DEMERITS 3000.0
#define MAX_HYPHENS_IN_ROW 2

/* The hyphen a font draws at a line end: U+2010 where it has one, unless
 * it is full-width (the CJK faces', meant for CJK text), which would leave
 * a gap after a Latin word. */
static bool hyphen_glyph(const Font *font, uint32_t *gid, int32_t *advance)
{
    hb_codepoint_t g;
    if (!hb_font_get_nominal_glyph(font->hb, 0x2010, &g) || !g ||
        (unsigned)hb_font_get_glyph_h_advance(font->hb, g) >= font->upem)
        if (!hb_font_get_nominal_glyph(font->hb, '-', &g) || !g)
            return false;
    *gid = g;
    *advance = hb_font_get_glyph_h_advance(font->hb, g);
    return true;
}

/* Breaking before glyph e needs no reshaping: it starts a run, or
 * HarfBuzz did not flag it (a ligature or kerning pair across the break,
 * or joining, would be cut).  Breaks it flags are not taken. */
static bool safe_to_break(const Flat *f, size_t e)
{
    return e == 0 || e >= f->count || f->run[e] != f->run[e - 1] ||
           !f->run[e]->glyphs[f->index[e]].unsafe_to_break;
}

/* May the line end before glyph e with a hyphen?  Only inside a run, at a
 * glyph boundary HarfBuzz says is safe, in a font with a hyphen. */
static bool hyphen_break_ok(const Flat *f, size_t e)
{
    uint32_t gid;
    int32_t adv;
    return e > 0 && e < f->count && f->run[e] == f->run[e - 1] &&
           !f->run[e]->glyphs[f->index[e]].unsafe_to_break &&
           f->cluster[e] != f->cluster[e - 1] && !(f->run[e]->level & 1) &&
           hyphen_glyph(f->run[e - 1]->font, &gid, &adv);
}

/* Chinese and Japanese have no spaces: a line is justified by spacing
 * its characters out (JLREQ, CLREQ), up to a quarter em between two, at
 * the places a line may break between them. */
#define CJK_STRETCH 0.25

typedef struct Glue {
    double *width; /* width[k]: of the interword spaces among glyphs [0, k) */
    size_t *count;
    size_t *gaps;  /* gaps[k]: the CJK inter-character gaps before glyphs 1..k-1 */
    bool *gap;     /* gap[k]: a gap before glyph k */
} Glue;

static bool wide_at(const ShapedText *text, uint32_t at)
{
    UChar32 c;
    uint32_t i = at;
    U8_NEXT(text->text, i, text->len, c);
    int w = u_getIntPropertyValue(c, UCHAR_EAST_ASIAN_WIDTH);
    return (w == U_EA_WIDE || w == U_EA_FULLWIDTH) &&
           u_getIntPropertyValue(c, UCHAR_HANGUL_SYLLABLE_TYPE) == U_HST_NOT_APPLICABLE;
}

static Glue glue_of(Arena *arena, const Flat *f, const ShapedText *text)
{
    Glue g = {arena_array(arena, f->count + 1, sizeof *g.width),
              arena_array(arena, f->count + 1, sizeof *g.count),
              arena_array(arena, f->count + 2, sizeof *g.gaps),
              arena_array(arena, f->count + 1, sizeof *g.gap)};
    for (size_t k = 0; k < f->count; k++) {
        bool space = text_is_space_at(text, f->cluster[k]) && f->sum[k + 1] > f->sum[k];
        g.width[k + 1] = g.width[k] + (space ? f->sum[k + 1] - f->sum[k] : 0);
        g.count[k + 1] = g.count[k] + space;
        g.gap[k] = k > 0 && f->cluster[k] != f->cluster[k - 1] && text_breaks_at(text, f->cluster[k]) &&
                   !(f->run[k]->level & 1) && wide_at(text, f->cluster[k - 1]) &&
                   wide_at(text, f->cluster[k]);
        g.gaps[k + 1] = g.gaps[k] + g.gap[k];
    }
    g.gaps[f->count + 1] = g.gaps[f->count];
    return g;
}

/* The CJK gaps strictly inside the line [s, t). */
static size_t gaps_inside(const Glue *g, size_t s, size_t t)
{
    return t > s + 1 ? g->gaps[t] - g->gaps[s + 1] : 0;
}

/* A feasible break: the line ending here, and the best way to get to it. */
typedef struct KpNode {
    size_t next;      /* glyph that starts the next line */
    size_t end;       /* glyph after the line's last one, spaces trimmed */
    uint32_t text_end;
    double demerits;
    double ratio;
    int fitness;
    size_t prev;      /* index into the node list, SIZE_MAX for the start */
    bool active;
    bool hyphen;      /* the line ends with an added hyphen */
    int hyphens_in_row;
} KpNode;

static int fitness_of(double r)
{
    return r < -0.5 ? 0 : r <= 0.5 ? 1 : r <= 1 ? 2 : 3;
}

/* Does the line [start, end) hold more than one word: a space, or a
 * place between two CJK characters? */
static bool has_break_inside(const Flat *f, const Glue *g, const ShapedText *text, size_t start,
                             size_t end)
{
    for (size_t k = start + 1; k < end; k++)
        if (text_is_space_at(text, f->cluster[k]) || g->gap[k])
            return true;
    return false;
}

static bool kp_try(Arena *arena, const Flat *f, const Glue *g, const ShapedText *text,
                   double size, double measure, double tolerance, bool can_shrink,
                   bool hyphenate, bool final_try, KpNode **out, size_t *out_count)
{
    size_t cap = 64, count = 0;
    KpNode *nodes = arena_array(arena, cap, sizeof *nodes);
    nodes[count++] = (KpNode){.next = 0, .prev = SIZE_MAX, .active = true, .fitness = 1};
    for (uint32_t b = 1; b <= text->len; b++) {
        bool last = b == text->len;
        size_t e = f->first_at[b];
        bool hyphen = hyphenate && !last && text->hyph && text->hyph[b] && hyphen_break_ok(f, e);
        bool plain = !hyphen && (last || (text_breaks_at(text, b) && !after_hyphen(text, b) &&
                                          safe_to_break(f, e)));
        if (!plain && !hyphen)
            continue;
        bool forced = last || text->breaks[b] == BREAK_MANDATORY;
        size_t t = hyphen ? e : trim_spaces(f, text, 0, e);
        double hyphen_width = 0;
        if (hyphen) {
            uint32_t gid;
            int32_t adv;
            hyphen_glyph(f->run[e - 1]->font, &gid, &adv);
            hyphen_width = adv * f->sum_scale[e - 1];
        }
        KpNode best = {.demerits = -1};
        for (size_t a = 0; a < count; a++) {
            KpNode *from = &nodes[a];
            if (!from->active || from->next > t || (from->next == e && !last))
                continue;
            size_t s = from->next;
            if (hyphen && from->hyphens_in_row >= MAX_HYPHENS_IN_ROW)
                continue;
            double w = f->sum[t] - f->sum[s] + hyphen_width;
            double space = g->width[t] - g->width[s];
            double stretch = space * STRETCH + gaps_inside(g, s, t) * CJK_STRETCH * size;
            double r;
            /* ragged lines are set as they are: no shrinking */
            if (w > measure)
                r = space > 0 && can_shrink ? (measure - w) / (space * SHRINK) : -1e9;
            else if (forced)
                r = 0; /* the last line is not stretched */
            else
                r = stretch > 0 ? (measure - w) / stretch : 1e9;
            if (r < -1) {
                from->active = false; /* only wider from here on */
                continue;
            }
            if (r > tolerance && can_shrink)
                continue;
            /* A ragged line is weighed by how short it falls, not by how
             * far its spaces would have to stretch: fuller lines first. */
            double badness;
            if (can_shrink) {
                badness = 100 * fabs(r) * r * r;
            } else {
                double shortfall = forced ? 0 : (measure - w) / measure;
                badness = 1000 * shortfall * shortfall;
            }
            double d = (LINE_PENALTY + badness) * (LINE_PENALTY + badness);
            int fit = fitness_of(r);
            if (abs(fit - from->fitness) > 1)
                d += FITNESS_DEMERITS;
            if (hyphen)
                d += HYPHEN_PENALTY * HYPHEN_PENALTY;
            if (hyphen && from->hyphen)
                d += DOUBLE_HYPHEN_DEMERITS;
            if (last && from->prev != SIZE_MAX && !has_break_inside(f, g, text, s, t) &&
                w < RUNT_SHARE * measure) {
                /* a runt: only when no looser setting avoids it */
                if (!final_try)
                    continue;
                d += RUNT_DEMERITS;
            }
            d += from->demerits;
            if (best.demerits < 0 || d < best.demerits)
                best = (KpNode){.next = e, .end = t, .demerits = d, .ratio = r, .fitness = fit,
                                .prev = a, .active = true, .hyphen = hyphen,
                                .hyphens_in_row = hyphen ? from->hyphens_in_row + 1 : 0};
        }
        if (forced)
            for (size_t a = 0; a < count; a++)
                nodes[a].active = false;
        if (best.demerits < 0) {
            if (forced)
                return false;
            continue;
        }
        best.text_end = t < f->count ? f->cluster[t] : text->len;
        while (best.next < f->count && text_is_space_at(text, f->cluster[best.next]))
            best.next++;
        nodes = arena_reserve(arena, nodes, count, &cap, sizeof *nodes);
        nodes[count++] = best;
        if (last)
            break;
    }
    if (count < 2 || nodes[count - 1].next < f->count)
        return false;
    *out = nodes;
    *out_count = count;
    return true;
}

/* Widens or narrows the line's interword spaces by ratio, in font units
 * on copies of its glyphs, the rounding carried so the line ends at the
 * measure. */
static void justify(Arena *arena, Line *line, const Flat *f, const Glue *g,
                    const ShapedText *text, size_t start, size_t end, double ratio, double size)
{
    double carry = 0;
    double total = 0;
    for (size_t k = 0; k < line->slice_count; k++) {
        LineSlice *sl = &line->slices[k];
        Glyph *copy = arena_array(arena, sl->count, sizeof *copy);
        memcpy(copy, sl->run->glyphs + sl->first, sl->count * sizeof *copy);
        double scale = size / sl->run->font->upem;
        double width = 0;
        for (size_t i = start; i < end; i++) {
            if (f->run[i] != sl->run || f->index[i] < sl->first ||
                f->index[i] >= sl->first + sl->count)
                continue;
            Glyph *gl = &copy[f->index[i] - sl->first];
            double want = carry;
            if (text_is_space_at(text, f->cluster[i]) && gl->x_advance > 0)
                want += gl->x_advance * (ratio > 0 ? STRETCH : SHRINK) * ratio;
            /* a CJK gap after this glyph: its advance carries the space */
            if (ratio > 0 && i + 1 < end && g->gap[i + 1])
                want += CJK_STRETCH * sl->run->font->upem * ratio;
            int32_t add = (int32_t)lround(want);
            carry = want - add;
            gl->x_advance += add;
        }
        for (size_t i = 0; i < sl->count; i++)
            width += copy[i].x_advance * scale;
        if (sl->hyphen)
            width += sl->hyphen_advance * scale;
        sl->glyphs = copy;
        sl->width = width;
        total += width;
    }
    line->width = total;
    line->ratio = ratio;
    line->justified = true;
}

/* The hyphen after the line's last glyph in logical order (e - 1). */
static void add_hyphen(Line *line, const Flat *f, size_t e, double size)
{
    for (size_t k = 0; k < line->slice_count; k++) {
        LineSlice *sl = &line->slices[k];
        if (sl->run != f->run[e - 1] || f->index[e - 1] < sl->first ||
            f->index[e - 1] >= sl->first + sl->count)
            continue;
        if (!hyphen_glyph(sl->run->font, &sl->hyphen_gid, &sl->hyphen_advance))
            return;
        double w = sl->hyphen_advance * size / sl->run->font->upem;
        sl->hyphen = true;
        sl->width += w;
        line->width += w;
        line->hyphenated = true;
        return;
    }
}

/* The lines in arena, the working memory (flattened glyphs, glue, the
 * candidate breaks of every try) in work. */
static Lines set_lines(Arena *arena, Arena *work, const ShapedText *text, double size,
                       double measure, const SetOptions *options)
{
    Flat f = flatten(work, text, size);
    if (f.count == 0)
        return break_lines(arena, work, text, size, measure);
    Glue g = glue_of(work, &f, text);
    KpNode *nodes = NULL;
    size_t count = 0;
    bool ok = false;
    for (size_t t = 0; t < sizeof TOLERANCES / sizeof *TOLERANCES && !ok; t++)
        ok = kp_try(work, &f, &g, text, size, measure, TOLERANCES[t], options && options->justify,
                    options && options->justify,
                    t + 1 == sizeof TOLERANCES / sizeof *TOLERANCES, &nodes, &count);
    if (!ok)
        return break_lines(arena, work, text, size, measure);
    size_t lines = 0;
    for (size_t a = count - 1; a != SIZE_MAX && nodes[a].prev != SIZE_MAX; a = nodes[a].prev)
        lines++;
    Lines out = {arena_array(arena, lines, sizeof *out.lines), lines};
    size_t k = lines;
    for (size_t a = count - 1; nodes[a].prev != SIZE_MAX; a = nodes[a].prev) {
        const KpNode *n = &nodes[a], *from = &nodes[n->prev];
        Line line = make_line(arena, &f, from->next, n->end, n->text_end);
        if (n->hyphen)
            add_hyphen(&line, &f, n->end, size);
        bool last_of_para = a == count - 1 ||
                            (n->text_end < text->len && text->breaks[n->text_end] == BREAK_MANDATORY);
        /* a last line is not stretched, but shrunk where it must be */
        line.ratio = last_of_para && n->ratio > 0 ? 0 : n->ratio;
        /* A line that would need its spaces stretched past MAX_JUSTIFY
         * times their give (a long web address with one space beside it)
         * is set ragged instead: gaps that wide read as columns. */
        if (line.ratio > MAX_JUSTIFY)
            line.ratio = 0;
        if (options && options->justify && line.ratio != 0)
            justify(arena, &line, &f, &g, text, from->next, n->end, line.ratio, size);
        out.lines[--k] = line;
    }
    return out;
}

Lines paragraph_set(Arena *arena, const ShapedText *text, double size, double measure,
                    const SetOptions *options)
{
    Arena work = {0};
    Lines out = set_lines(arena, &work, text, size, measure, options);
    arena_free(&work);
    return out;
}
