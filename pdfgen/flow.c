/* flow.c — the flow engine: a document tree into pages of boxes.  See
 * flow.h.  Two steps: walk the tree into a flow (every line with its
 * spacing and keep rules, and the node each piece of it draws), then cut
 * the flow into pages and draw, page furniture last. */
#include "flow.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "diag.h"
#include "format.h"
#include "paragraph.h"

/* One line of the flow.  piece_nodes maps the shaped text's pieces (one
 * per TEXT leaf) to the leaves, so every box knows what it draws. */
typedef struct FlowLine {
    const ShapedText *text;
    const Line *line;
    const Node *const *piece_nodes;
    TypeStyle style;
    double indent;
    const ShapedText *label_text; /* a list label beside the first line */
    const Line *label;
    const Node *const *label_nodes;
    double label_indent;
    const ShapedText *tail_text; /* an at_end TEXT at the end edge, dot leaders before it */
    const Line *tail;
    const Node *const *tail_nodes;
    double end_inset;            /* from the end edge to where the tail ends */
    double space_before;
    double pad_before, pad_after; /* inside a box, kept even at a page top */
    bool keep_with_next;
    bool rtl;   /* set from the right edge: its paragraph reads right to left */
    size_t box; /* 1-based index into Flow.boxes, 0 for none */
    const Node *bookmark;
    const Node *figure; /* a FIGURE drawn in place of text: add_figure */
} FlowLine;

typedef struct Memo Memo;

typedef struct Flow {
    Memo *memo; /* NULL: nothing remembered (page furniture) */
    Arena *arena;
    Shaper *shaper;
    double measure;
    FlowLine *lines;
    size_t count, cap;
    const Node **boxes; /* decorated containers, in flow order */
    size_t box_count, box_cap;
    size_t open_box;    /* 1-based, 0 when none is open */
    bool failed;
    bool rtl;            /* right-to-left document: lines set from the right edge */
    const char *doc_lang;
    /* How hard the flow is pulled together to spare a nearly empty last
     * page: space between blocks scaled by spacing, and type that may
     * shrink at its min_size. */
    double spacing;
    bool shrink_type;
    bool keep_next_line; /* set by a heading: its paragraph's first line keeps too */
} Flow;

static FlowLine *push_line(Flow *flow)
{
    flow->lines =
        arena_reserve_raw(flow->arena, flow->lines, flow->count, &flow->cap, sizeof *flow->lines);
    FlowLine *line = &flow->lines[flow->count++];
    memset(line, 0, sizeof *line);
    line->box = flow->open_box;
    return line;
}

static double box_pad(const Flow *flow)
{
    return flow->open_box ? flow->boxes[flow->open_box - 1]->deco.pad : 0;
}

static bool decorated(const Node *node)
{
    return node->deco.pad > 0 || node->deco.fill || node->deco.line_width > 0;
}

/* The block's TEXT leaves, inline links' included, as pieces to shape. */
typedef struct Pieces {
    TextPiece *pieces;
    const Node **nodes;
    size_t count;
} Pieces;

/* An at_end TEXT is set apart from its block's other text (add_block). */
static size_t count_texts(const Node *node)
{
    size_t n = 0;
    for (const Node *c = node->first_child; c; c = c->next)
        n += c->kind == NODE_TEXT ? !c->at_end : count_texts(c);
    return n;
}

static void append_piece(Flow *flow, const Node *c, Pieces *out)
{
    /* a web address or phone number is never hyphenated; text in
     * another language (a citation in English) by its own rules */
    bool other = strcmp(c->lang, flow->doc_lang) != 0;
    out->pieces[out->count] = (TextPiece){c->utf8, c->font, c->pos, c->parent->kind == NODE_LINK,
                                          other ? c->lang : NULL};
    out->nodes[out->count++] = c;
}

static void append_pieces(Flow *flow, const Node *node, Pieces *out)
{
    for (const Node *c = node->first_child; c; c = c->next) {
        if (c->kind != NODE_TEXT)
            append_pieces(flow, c, out);
        else if (!c->at_end)
            append_piece(flow, c, out);
    }
}

/* Fills an empty *out: the block's pieces, or an at_end TEXT's own.
 * Counted first and allocated to size: a block has a piece or two, and a
 * long list (a booklet's contents) thousands of blocks. */
static void collect_pieces(Flow *flow, const Node *node, Pieces *out)
{
    size_t n = node->kind == NODE_TEXT ? 1 : count_texts(node);
    *out = (Pieces){0};
    if (n == 0)
        return;
    out->pieces = arena_array(flow->arena, n, sizeof *out->pieces);
    out->nodes = arena_array(flow->arena, n, sizeof *out->nodes);
    if (node->kind == NODE_TEXT)
        append_piece(flow, node, out);
    else
        append_pieces(flow, node, out);
}

/* The block's at_end TEXT, directly in it or in one of its links. */
static const Node *tail_of(const Node *block)
{
    for (const Node *c = block->first_child; c; c = c->next) {
        if (c->kind == NODE_TEXT && c->at_end)
            return c;
        for (const Node *d = c->kind == NODE_LINK ? c->first_child : NULL; d; d = d->next)
            if (d->kind == NODE_TEXT && d->at_end)
                return d;
    }
    return NULL;
}

/* What the attempts of one flow_layout share, by node id: a block's
 * shaped text does not change with the spacing between blocks or the type
 * size, nor its lines unless the size or measure changes.  Shaping and
 * setting are pure, so an attempt that finds them here lays out exactly
 * as one that works them out again. */
typedef struct Shaped {
    bool done;
    ParagraphDirection direction;
    const ShapedText *text;
    Pieces pieces;
} Shaped;

typedef struct SetLines {
    bool done;
    double size, measure;
    bool justify;
    Lines lines;
} SetLines;

struct Memo {
    Shaped *shaped;
    SetLines *set;
    unsigned count; /* entries: the tree's node_count + 1 */
};

static const ShapedText *shape_uncached(Flow *flow, const Node *block, Pieces *pieces,
                                        ParagraphDirection direction);

static const ShapedText *shape_in(Flow *flow, const Node *block, Pieces *pieces,
                                  ParagraphDirection direction)
{
    Shaped *m = flow->memo && block->id < flow->memo->count ? &flow->memo->shaped[block->id]
                                                            : NULL;
    if (m && m->done && m->direction == direction) {
        *pieces = m->pieces;
        if (!m->text)
            flow->failed = true;
        return m->text;
    }
    const ShapedText *text = shape_uncached(flow, block, pieces, direction);
    if (m)
        *m = (Shaped){true, direction, text, *pieces};
    return text;
}

/* ---- lines set before ------------------------------------------------------
 * A booklet sets every sheet of its language again, paragraph for
 * paragraph as the sheet did: the lines a paragraph was set in are kept
 * with the shaper (shaper_remember), under everything paragraph_set reads
 * (the shaped text field by field: bytes, break, grapheme and hyphenation
 * points, runs and glyphs; the size, measure and justification), and
 * copied from there: the same lines, now pointing into this text's runs. */

static size_t put(char *out, size_t at, const void *p, size_t n)
{
    memcpy(out + at, p, n);
    return at + n;
}

enum { KEY_GLYPH_SIZE = 6 * sizeof(int32_t), KEY_RUN_SIZE = sizeof(const Font *) + 5 * sizeof(uint32_t) };

/* What lines_key writes, counted without walking the glyphs. */
static size_t lines_key_len(const ShapedText *t)
{
    size_t len = sizeof(double) * 2 + 2 + sizeof t->lang + sizeof t->len + 4 * ((size_t)t->len + 1) +
                 sizeof t->run_count;
    for (size_t r = 0; r < t->run_count; r++)
        len += KEY_RUN_SIZE + sizeof t->runs[r].glyph_count +
               t->runs[r].glyph_count * (size_t)KEY_GLYPH_SIZE;
    return len;
}

/* Writes the key, lines_key_len(t) bytes, to out; returns its length. */
static size_t lines_key(char *out, const ShapedText *t, double size, double measure, bool justify)
{
    size_t at = 0, len = (size_t)t->len + 1;
    unsigned char flags[2] = {justify, (unsigned char)t->rtl};
    at = put(out, at, &size, sizeof size);
    at = put(out, at, &measure, sizeof measure);
    at = put(out, at, flags, sizeof flags);
    at = put(out, at, &t->lang, sizeof t->lang);
    at = put(out, at, &t->len, sizeof t->len);
    at = put(out, at, t->text, len);
    at = put(out, at, t->breaks, len);
    at = put(out, at, t->grapheme, len);
    at = put(out, at, t->hyph, len);
    at = put(out, at, &t->run_count, sizeof t->run_count);
    for (size_t r = 0; r < t->run_count; r++) {
        const ShapedRun *run = &t->runs[r];
        uint32_t fields[5] = {run->begin, run->end, run->level, (uint32_t)run->script,
                              (uint32_t)run->piece};
        _Static_assert(sizeof run->font + sizeof fields == KEY_RUN_SIZE, "a run's key");
        at = put(out, at, &run->font, sizeof run->font);
        at = put(out, at, fields, sizeof fields);
        at = put(out, at, &run->glyph_count, sizeof run->glyph_count);
        for (size_t g = 0; g < run->glyph_count; g++) {
            const Glyph *gl = &run->glyphs[g];
            int32_t v[6] = {(int32_t)gl->gid, gl->x_advance, gl->x_offset, gl->y_offset,
                            (int32_t)gl->cluster, gl->unsafe_to_break};
            _Static_assert(sizeof v == KEY_GLYPH_SIZE, "a glyph's key");
            at = put(out, at, v, sizeof v);
        }
    }
    return at;
}

/* Lines in one block: the Line array, the slices, their glyphs; the
 * pointers as offsets into the block, a slice's run as its index. */
static void *flatten_lines(const ShapedText *t, const Lines *lines, size_t *size)
{
    size_t slices = 0, glyphs = 0;
    for (size_t i = 0; i < lines->count; i++) {
        slices += lines->lines[i].slice_count;
        for (size_t k = 0; k < lines->lines[i].slice_count; k++)
            glyphs += lines->lines[i].slices[k].count;
    }
    size_t at_slices = lines->count * sizeof(Line);
    size_t at_glyphs = at_slices + slices * sizeof(LineSlice);
    *size = at_glyphs + glyphs * sizeof(Glyph);
    char *block = xmalloc(*size ? *size : 1);
    Line *l = (Line *)block;
    LineSlice *sl = (LineSlice *)(block + at_slices);
    Glyph *gl = (Glyph *)(block + at_glyphs);
    for (size_t i = 0; i < lines->count; i++) {
        l[i] = lines->lines[i];
        l[i].slices = (LineSlice *)(uintptr_t)((char *)sl - block);
        for (size_t k = 0; k < lines->lines[i].slice_count; k++, sl++) {
            *sl = lines->lines[i].slices[k];
            if (sl->count)
                memcpy(gl, sl->glyphs, sl->count * sizeof *gl);
            sl->glyphs = (const Glyph *)(uintptr_t)((char *)gl - block);
            sl->run = (const ShapedRun *)(uintptr_t)(sl->run - t->runs);
            gl += sl->count;
        }
    }
    return block;
}

static Lines unflatten_lines(Arena *arena, const ShapedText *t, const void *flat, size_t size,
                             size_t count)
{
    char *block = arena_alloc_raw(arena, size ? size : 1);
    if (size)
        memcpy(block, flat, size);
    Lines lines = {(Line *)block, count};
    for (size_t i = 0; i < count; i++) {
        Line *l = &lines.lines[i];
        l->slices = (LineSlice *)(block + (uintptr_t)l->slices);
        for (size_t k = 0; k < l->slice_count; k++) {
            LineSlice *s = &l->slices[k];
            s->glyphs = (const Glyph *)(block + (uintptr_t)s->glyphs);
            s->run = t->runs + (uintptr_t)s->run;
        }
    }
    return lines;
}

static Lines set_remembered(Flow *flow, const ShapedText *text, double size, double measure,
                            const SetOptions *set)
{
    if (!flow->shaper)
        return paragraph_set(flow->arena, text, size, measure, set);
    size_t key_len = lines_key_len(text);
    char *key = arena_alloc_raw(flow->arena, key_len);
    size_t written = lines_key(key, text, size, measure, set->justify);
    assert(written == key_len);
    (void)written;
    size_t value_len;
    const char *value = shaper_recall(flow->shaper, key, key_len, &value_len);
    if (value) {
        size_t count;
        memcpy(&count, value, sizeof count);
        return unflatten_lines(flow->arena, text, value + sizeof count, value_len - sizeof count,
                               count);
    }
    Lines lines = paragraph_set(flow->arena, text, size, measure, set);
    /* kept as the number of lines, then the lines */
    size_t flat_len;
    void *flat = flatten_lines(text, &lines, &flat_len);
    char *kept = xmalloc(sizeof lines.count + flat_len);
    memcpy(kept, &lines.count, sizeof lines.count);
    memcpy(kept + sizeof lines.count, flat, flat_len);
    free(flat);
    shaper_remember(flow->shaper, key, key_len, kept, sizeof lines.count + flat_len);
    return lines;
}

static Lines set_block(Flow *flow, const Node *block, const ShapedText *text, double size,
                       double measure, const SetOptions *set)
{
    SetLines *m = flow->memo && block->id < flow->memo->count ? &flow->memo->set[block->id]
                                                              : NULL;
    if (m && m->done && m->size == size && m->measure == measure && m->justify == set->justify)
        return m->lines;
    Lines lines = set_remembered(flow, text, size, measure, set);
    if (m)
        *m = (SetLines){true, size, measure, set->justify, lines};
    return lines;
}

static const ShapedText *shape_uncached(Flow *flow, const Node *block, Pieces *pieces,
                                        ParagraphDirection direction)
{
    memset(pieces, 0, sizeof *pieces);
    collect_pieces(flow, block, pieces);
    if (pieces->count == 0)
        return NULL;
    /* titles and headings break between phrases (text.h) */
    TextUnit unit = block->kind == NODE_H1 || block->kind == NODE_H2 || block->phrases
                        ? TEXT_BY_PHRASES
                        : TEXT_BY_WORDS;
    const ShapedText *text = text_shape_by(flow->shaper, flow->arena, pieces->pieces,
                                           pieces->count, direction, unit);
    if (!text)
        flow->failed = true;
    return text;
}

static const ShapedText *shape_block(Flow *flow, const Node *block, Pieces *pieces)
{
    return shape_in(flow, block, pieces,
                    block->dir_from_text ? DIRECTION_FROM_TEXT : DIRECTION_OF_DOCUMENT);
}

/* Adds one block's lines; returns the index of its first flow line. */
static TypeStyle type_of(const Flow *flow, const Node *block)
{
    TypeStyle t = block->type;
    if (flow->shrink_type && block->min_size > 0 && block->min_size < t.size) {
        t.leading *= block->min_size / t.size;
        t.size = block->min_size;
    }
    return t;
}

/* Dot leaders: at least this many ems between an entry and its page
 * number, the dots this far apart and this big (ems), on a grid from the
 * page's left edge so that they line up from entry to entry. */
#define LEADER_MIN 1.5
#define LEADER_PITCH 0.45
#define LEADER_DOT 0.1

static size_t add_block(Flow *flow, const Node *block, double indent, double space_before)
{
    size_t first = flow->count;
    Pieces pieces;
    const ShapedText *text = shape_block(flow, block, &pieces);
    if (!text)
        return first;
    space_before *= flow->spacing;
    TypeStyle type = type_of(flow, block);
    const TypeStyle *style = &type;
    double measure = flow->measure - indent - 2 * box_pad(flow);
    /* A page number at the end: the rest wraps short of it and of the
     * shortest leader. */
    const Node *tail = tail_of(block);
    Pieces tail_pieces = {0};
    const ShapedText *tail_text =
        tail ? shape_in(flow, tail, &tail_pieces, DIRECTION_OF_DOCUMENT) : NULL;
    Lines tail_lines = {0};
    if (tail_text) {
        tail_lines = paragraph_break(flow->arena, tail_text, style->size, measure);
        if (tail_lines.count)
            measure -= tail_lines.lines[0].width + LEADER_MIN * style->size;
    }
    SetOptions set = {.justify = block->justify};
    Lines lines = set_block(flow, block, text, style->size, measure, &set);
    for (size_t i = 0; i < lines.count; i++) {
        FlowLine *line = push_line(flow);
        /* An English citation on an Arabic sheet reads left to right, so
         * it is set from the left, its number on the left too. */
        line->rtl = text->rtl;
        line->text = text;
        line->line = &lines.lines[i];
        line->piece_nodes = pieces.nodes;
        line->style = *style;
        line->indent = indent + box_pad(flow);
        line->space_before = i == 0 ? space_before : 0;
        /* No orphan and no widow: the first line waits for the second, the
         * second-to-last goes with the last. */
        line->keep_with_next = lines.count >= 2 && (i == 0 || i + 2 == lines.count);
        if (i == 0 && flow->keep_next_line)
            line->keep_with_next = true;
        if (i + 1 == lines.count && tail_lines.count) {
            line->tail_text = tail_text;
            line->tail = &tail_lines.lines[0];
            line->tail_nodes = tail_pieces.nodes;
            line->end_inset = box_pad(flow);
        }
    }
    flow->keep_next_line = false;
    if (block->keep_with_next) {
        /* A heading goes to the next page with at least two lines of what
         * it introduces, never alone at the bottom. */
        for (size_t i = first; i < flow->count; i++)
            flow->lines[i].keep_with_next = true;
        flow->keep_next_line = true;
    }
    if (block->bookmark && first < flow->count)
        flow->lines[first].bookmark = block;
    return first;
}

static const Node *child_of_kind(const Node *node, NodeKind kind)
{
    for (const Node *c = node->first_child; c; c = c->next)
        if (c->kind == kind)
            return c;
    return NULL;
}

/* A list item: the label hangs in the start gutter beside the first line
 * of the body, which wraps at its indent so each item reads as one block. */
static void add_item(Flow *flow, const Node *item)
{
    const Node *label = child_of_kind(item, NODE_LBL);
    const Node *body = child_of_kind(item, NODE_LBODY);
    if (!body)
        return;
    size_t first = add_block(flow, body, body->indent, item->space_before);
    /* the label reads in its item's direction (an English citation's
     * number on an Arabic sheet sits left of it, and reads "3.") */
    Pieces label_pieces;
    const ShapedText *label_text =
        label && first < flow->count
            ? shape_in(flow, label, &label_pieces,
                       flow->lines[first].rtl ? DIRECTION_RTL : DIRECTION_LTR)
            : NULL;
    if (item->keep_together)
        for (size_t i = first; i + 1 < flow->count; i++)
            flow->lines[i].keep_with_next = true;
    if (!label_text || first >= flow->count)
        return;
    Lines label_lines = paragraph_break(flow->arena, label_text, type_of(flow, label).size,
                                        flow->measure);
    if (label_lines.count == 0)
        return;
    FlowLine *line = &flow->lines[first];
    line->label_text = label_text;
    line->label = &label_lines.lines[0];
    line->label_nodes = label_pieces.nodes;
    line->label_indent = item->label_indent + box_pad(flow);
}

static void flow_node(Flow *flow, const Node *node);

/* A decorated container: its padding goes above its first and below its
 * last line; kept together, every line but the last keeps with the next. */
static void add_container(Flow *flow, const Node *node)
{
    bool boxed = decorated(node) && !flow->open_box;
    if (boxed) {
        size_t cap = flow->box_cap;
        flow->boxes = arena_reserve(flow->arena, flow->boxes, flow->box_count, &cap, sizeof *flow->boxes);
        flow->box_cap = cap;
        flow->boxes[flow->box_count++] = node;
        flow->open_box = flow->box_count;
    }
    size_t first = flow->count;
    if (node_is_block(node))
        add_block(flow, node, node->indent, node->space_before);
    else
        for (const Node *c = node->first_child; c; c = c->next)
            flow_node(flow, c);
    if (boxed)
        flow->open_box = 0;
    if (first == flow->count)
        return;
    if (node->space_before > 0)
        flow->lines[first].space_before = node->space_before * flow->spacing;
    if (boxed) {
        flow->lines[first].pad_before = node->deco.pad;
        flow->lines[flow->count - 1].pad_after = node->deco.pad;
    }
    if (node->keep_together)
        for (size_t i = first; i + 1 < flow->count; i++)
            flow->lines[i].keep_with_next = true;
}

/* ---- figures: a grid of modules in a line of their own ---------------- */

static void add_figure(Flow *flow, const Node *figure)
{
    if (!figure->modules || figure->modules_per_side == 0 || !(figure->figure_size > 0))
        return;
    FlowLine *line = push_line(flow);
    line->figure = figure;
    line->style = figure->type;
    line->style.leading = figure->figure_size;
    line->indent = figure->indent + box_pad(flow);
    line->space_before = figure->space_before;
    line->keep_with_next = figure->keep_with_next;
}

static Box *push_box(Arena *arena, Page *page);

/* One rectangle per run of dark modules in a row, each pointing at the
 * figure: content, not decoration (pdf_page.c marks them as the
 * Figure's). */
static void draw_figure(Arena *arena, Page *page, const Node *figure, double x, double top)
{
    unsigned n = figure->modules_per_side;
    double module = figure->figure_size / (n + 8);
    for (unsigned row = 0; row < n; row++)
        for (unsigned col = 0; col < n;) {
            if (!figure->modules[row * n + col]) {
                col++;
                continue;
            }
            unsigned end = col;
            while (end < n && figure->modules[row * n + end])
                end++;
            Box *box = push_box(arena, page);
            box->kind = BOX_RECT;
            box->node = figure;
            box->u.rect = (RectBox){.x = x + (4 + col) * module,
                                    .y = top - (4 + row + 1) * module,
                                    .width = (end - col) * module,
                                    .height = module,
                                    .fill = 1,
                                    .fill_color = {0, 0, 0}};
            col = end;
        }
}

static void flow_node(Flow *flow, const Node *node)
{
    if (node->kind == NODE_ARTIFACT || node->kind == NODE_TEXT)
        return; /* furniture is set page by page; TEXT belongs to a block */
    if (node->kind == NODE_FIGURE)
        add_figure(flow, node);
    else if (node_is_block(node) && !decorated(node) && !node->keep_together)
        add_block(flow, node, node->indent, node->space_before);
    else if (node->kind == NODE_LI)
        add_item(flow, node);
    else
        add_container(flow, node);
}

/* ---- pagination and drawing ------------------------------------------- */

PageGeometry page_geometry(Paper paper)
{
    PageGeometry g;
    if (paper == PAPER_A4) {
        g.width = 595.276;
        g.height = 841.89;
    } else {
        g.width = 612;
        g.height = 792;
    }
    /* 0.75 in sides survive every office printer's unprintable edge. */
    g.left = 54;
    g.right = g.width - 54;
    g.top = g.height - 48;
    g.bottom = 64; /* the footer sits below this */
    return g;
}

static Box *push_box(Arena *arena, Page *page)
{
    page->boxes =
        arena_reserve_raw(arena, page->boxes, page->box_count, &page->box_cap, sizeof *page->boxes);
    Box *box = &page->boxes[page->box_count++];
    memset(box, 0, sizeof *box);
    return box;
}

/* The line's slices become boxes in logical order (reading order: the
 * order the page writer marks and draws them in), each at its place in the
 * visual order. */
static void draw_line(Arena *arena, Page *page, const ShapedText *text, const Line *line,
                      const Node *const *piece_nodes, const TypeStyle *style, double x,
                      double baseline, bool artifact)
{
    size_t n = line->slice_count;
    uint32_t line_end = 0;
    double *xs = arena_array(arena, n, sizeof *xs);
    size_t *order = arena_array(arena, n, sizeof *order);
    for (size_t i = 0; i < n; i++) {
        if (line->slices[i].text_end > line_end)
            line_end = line->slices[i].text_end;
        xs[i] = x;
        x += line->slices[i].width;
        /* insertion by text position: a line has a handful of slices */
        size_t k = i;
        while (k > 0 && line->slices[order[k - 1]].text_begin > line->slices[i].text_begin) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = i;
    }
    for (size_t o = 0; o < n; o++) {
        const LineSlice *slice = &line->slices[order[o]];
        Box *box = push_box(arena, page);
        box->kind = BOX_TEXT;
        box->node = piece_nodes[slice->run->piece];
        box->artifact = artifact;
        box->u.text = (GlyphSpan){
            .font = slice->run->font,
            .size = style->size,
            .color = style->color,
            .x = xs[order[o]],
            .y = baseline,
            .glyphs = slice->glyphs,
            .glyph_count = slice->count,
            .text = text->text,
            .text_begin = slice->text_begin,
            .text_end = slice->text_end,
            .line_end = line_end,
            .lang = text->lang,
            .level = slice->run->level,
            .hyphen = slice->hyphen,
            .hyphen_gid = slice->hyphen_gid,
            .hyphen_advance = slice->hyphen_advance,
        };
    }
}

/* Where the baseline sits inside a line box: the font's ascent scaled, with
 * the extra leading split above and below. */
static double baseline_offset(const FlowLine *fl)
{
    const Font *font = fl->line->slice_count ? fl->line->slices[0].run->font : NULL;
    double asc = font ? (double)font->ascender / font->upem : 0.9;
    double desc = font ? (double)-font->descender / font->upem : 0.25;
    return (fl->style.leading - (asc + desc) * fl->style.size) / 2 + asc * fl->style.size;
}

typedef struct BoxExtent {
    bool used;
    double top, bottom;
} BoxExtent;

typedef struct Paginator {
    Arena *arena;
    const Flow *flow;
    PageGeometry g;
    Document *doc;
    size_t page_cap, bookmark_cap;
    BoxExtent **extents; /* per page, per decorated container */
    double last_y;       /* where the flow ended on the last page */
    size_t break_before; /* a line that starts a page whatever fits (0: none) */
} Paginator;

static void new_page(Paginator *p)
{
    Document *doc = p->doc;
    size_t pages_cap = p->page_cap; /* the two arrays grow in step */
    doc->pages = arena_reserve(p->arena, doc->pages, doc->page_count, &pages_cap, sizeof *doc->pages);
    p->extents = arena_reserve(p->arena, p->extents, doc->page_count, &p->page_cap, sizeof *p->extents);
    p->extents[doc->page_count] = arena_array(p->arena, p->flow->box_count + 1, sizeof **p->extents);
    doc->page_count++;
}

/* The heading's words, for its outline entry. */
static const char *node_words(Arena *arena, const Node *node)
{
    size_t n = 0;
    for (const Node *c = node->first_child; c; c = c->next)
        if (c->kind == NODE_TEXT)
            n += strlen(c->utf8);
    char *s = arena_alloc(arena, n + 1), *at = s;
    for (const Node *c = node->first_child; c; c = c->next)
        if (c->kind == NODE_TEXT) {
            size_t k = strlen(c->utf8);
            memcpy(at, c->utf8, k);
            at += k;
        }
    return s;
}

static void add_bookmark(Paginator *p, const Node *node, double y)
{
    Document *doc = p->doc;
    doc->bookmarks = arena_reserve(p->arena, doc->bookmarks, doc->bookmark_count, &p->bookmark_cap,
                                   sizeof *doc->bookmarks);
    doc->bookmarks[doc->bookmark_count++] =
        (Bookmark){node_words(p->arena, node), doc->page_count - 1, y};
}

static double group_height(const Flow *flow, size_t i, bool at_top)
{
    double h = 0;
    for (size_t k = i; k < flow->count; k++) {
        const FlowLine *fl = &flow->lines[k];
        h += (k == i && at_top ? 0 : fl->space_before) + fl->pad_before + fl->style.leading +
             fl->pad_after;
        if (!fl->keep_with_next)
            break;
    }
    return h;
}

/* A line's at_end text at the end edge (the left one in a right-to-left
 * line), and dot leaders (artifacts) from the line's text to it. */
static void draw_tail(Paginator *p, Page *page, const FlowLine *fl, double x, double baseline)
{
    double width = fl->tail->width, size = fl->style.size;
    double tail_x = fl->rtl ? p->g.left + fl->end_inset : p->g.right - fl->end_inset - width;
    draw_line(p->arena, page, fl->tail_text, fl->tail, fl->tail_nodes, &fl->style, tail_x,
              baseline, false);
    double gap = 0.3 * size, pitch = LEADER_PITCH * size, dot = LEADER_DOT * size;
    double from = fl->rtl ? tail_x + width + gap : x + fl->line->width + gap;
    double to = (fl->rtl ? x - gap : tail_x - gap) - dot;
    for (double k = ceil((from - p->g.left) / pitch); p->g.left + k * pitch <= to; k++) {
        Box *box = push_box(p->arena, page);
        box->kind = BOX_RECT;
        box->node = fl->tail_nodes[0];
        box->artifact = true;
        box->u.rect = (RectBox){.x = p->g.left + k * pitch, .y = baseline, .width = dot,
                                .height = dot, .fill = 1, .fill_color = fl->style.color};
    }
}

static void paginate(Paginator *p)
{
    const Flow *flow = p->flow;
    double y = p->g.top;
    bool page_empty = true;
    new_page(p);
    for (size_t i = 0; i < flow->count; i++) {
        const FlowLine *fl = &flow->lines[i];
        double usable = p->g.top - p->g.bottom;
        double need = group_height(flow, i, page_empty);
        bool group_fits = need <= usable;
        bool forced = i == p->break_before && i > 0;
        if (!page_empty && (forced || ((y - need < p->g.bottom - 0.01) &&
            (group_fits || y - (fl->space_before + fl->style.leading) < p->g.bottom)))) {
            new_page(p);
            y = p->g.top;
            page_empty = true;
        }
        double top = y - (page_empty ? 0 : fl->space_before) - fl->pad_before;
        Page *page = &p->doc->pages[p->doc->page_count - 1];
        /* Right-to-left documents mirror: indents and labels are measured
         * from the right edge. */
        double width = fl->figure ? fl->figure->figure_size : fl->line->width;
        double x = fl->rtl ? p->g.right - fl->indent - width : p->g.left + fl->indent;
        double baseline = fl->figure ? top : top - baseline_offset(fl);
        if (fl->figure)
            draw_figure(p->arena, page, fl->figure, x, top);
        else
            draw_line(p->arena, page, fl->text, fl->line, fl->piece_nodes, &fl->style, x,
                      baseline, false);
        if (fl->label) {
            double lx = fl->rtl ? p->g.right - fl->label_indent - fl->label->width
                                  : p->g.left + fl->label_indent;
            draw_line(p->arena, page, fl->label_text, fl->label, fl->label_nodes, &fl->style, lx,
                      baseline, false);
        }
        if (fl->tail)
            draw_tail(p, page, fl, x, baseline);
        if (fl->bookmark)
            add_bookmark(p, fl->bookmark, top);
        double box_bottom = top - fl->style.leading - fl->pad_after;
        if (fl->box) {
            BoxExtent *e = &p->extents[p->doc->page_count - 1][fl->box - 1];
            if (!e->used)
                e->top = top + fl->pad_before;
            e->bottom = box_bottom;
            e->used = true;
        }
        y = box_bottom;
        page_empty = false;
    }
    p->last_y = y;
}

/* The decorations go under the text: first in each page's boxes. */
static void draw_decorations(Paginator *p)
{
    for (size_t pg = 0; pg < p->doc->page_count; pg++) {
        Page *page = &p->doc->pages[pg];
        Page merged = {0};
        for (size_t b = 0; b < p->flow->box_count; b++) {
            const BoxExtent *e = &p->extents[pg][b];
            if (!e->used)
                continue;
            const Node *node = p->flow->boxes[b];
            const Decoration *d = &node->deco;
            Box *box = push_box(p->arena, &merged);
            box->kind = BOX_RECT;
            box->node = node;
            box->artifact = true;
            box->u.rect = (RectBox){p->g.left, e->bottom, p->g.right - p->g.left,
                                    e->top - e->bottom, d->radius, d->line_width, d->stroke,
                                    d->fill, d->fill_color};
        }
        for (size_t i = 0; i < page->box_count; i++)
            *push_box(p->arena, &merged) = page->boxes[i];
        *page = merged;
    }
}

/* ---- page furniture ---------------------------------------------------- */

static const Node *furniture(const Tree *tree, Furniture role)
{
    for (const Node *c = tree->root->first_child; c; c = c->next)
        if (c->kind == NODE_ARTIFACT && c->furniture == role)
            return c;
    return NULL;
}

/* A furniture node's lines on page pg: {page} and {pages} in the node's
 * locale's digits.  Returns -1 when the text cannot be set. */
static int furniture_lines(Paginator *p, Shaper *shaper, const Node *node, size_t pg,
                           const ShapedText **text, Lines *lines, const Node *const **nodes)
{
    Pieces pieces = {0};
    Flow scratch = {.arena = p->arena, .doc_lang = node->lang};
    collect_pieces(&scratch, node, &pieces);
    const char *names[] = {"page", "pages"};
    const Tree *tree = p->doc->tree;
    const char *locale = tree->number_locale ? tree->number_locale : node->lang;
    long first = tree->page_first ? tree->page_first : 1;
    long total = tree->page_total ? tree->page_total : (long)p->doc->page_count;
    const char *values[] = {format_page_number(p->arena, locale, first + (long)pg),
                            format_page_number(p->arena, locale, total)};
    for (size_t i = 0; i < pieces.count; i++)
        if (strchr(pieces.pieces[i].utf8, '{'))
            pieces.pieces[i].utf8 =
                format_template(p->arena, pieces.pieces[i].utf8, names, values, 2);
    *text = text_shape(shaper, p->arena, pieces.pieces, pieces.count, DIRECTION_OF_DOCUMENT);
    if (!*text)
        return -1;
    *lines = paragraph_break(p->arena, *text, node->type.size, p->g.right - p->g.left);
    *nodes = pieces.nodes;
    return 0;
}

/* Pages after the first carry the running head, so a page that comes
 * loose from a print run of hundreds still says what it is about.  One
 * line: a long head is cut, not wrapped. */
static int draw_running_head(Paginator *p, Shaper *shaper, const Node *head)
{
    if (!head || p->doc->page_count < 2)
        return 0;
    const ShapedText *text;
    Lines lines;
    const Node *const *nodes;
    if (furniture_lines(p, shaper, head, 1, &text, &lines, &nodes))
        return -1;
    if (lines.count == 0)
        return 0;
    const Line *line = &lines.lines[0];
    for (size_t pg = 1; pg < p->doc->page_count; pg++)
        draw_line(p->arena, &p->doc->pages[pg], text, line, nodes, &head->type,
                  p->flow->rtl ? p->g.right - line->width : p->g.left, p->g.top + 10, true);
    return 0;
}

/* The footer: a rule, the start text at the start edge and the end text
 * at the other, mirrored on right-to-left pages.  The end text drops
 * below the start text when a translation makes the two collide. */
static int draw_footers(Paginator *p, Shaper *shaper, const Tree *tree)
{
    const Node *rule = furniture(tree, FURNITURE_FOOT_RULE);
    const Node *start = furniture(tree, FURNITURE_FOOT_START);
    const Node *end = furniture(tree, FURNITURE_FOOT_END);
    double measure = p->g.right - p->g.left;
    bool rtl = p->flow->rtl;
    for (size_t pg = 0; pg < p->doc->page_count; pg++) {
        Page *page = &p->doc->pages[pg];
        const ShapedText *start_text = NULL, *end_text = NULL;
        Lines start_lines = {0}, end_lines = {0};
        const Node *const *start_nodes = NULL, *const *end_nodes = NULL;
        if ((start && furniture_lines(p, shaper, start, pg, &start_text, &start_lines, &start_nodes)) ||
            (end && furniture_lines(p, shaper, end, pg, &end_text, &end_lines, &end_nodes)))
            return -1;
        if (rule) {
            Box *box = push_box(p->arena, page);
            box->kind = BOX_RECT;
            box->node = rule;
            box->artifact = true;
            box->u.rect = (RectBox){.x = p->g.left, .y = p->g.bottom - 16, .width = measure,
                                    .height = 0.6, .fill = 1, .fill_color = rule->deco.fill_color};
        }
        double baseline = p->g.bottom - 30;
        for (size_t i = 0; i < start_lines.count; i++) {
            const Line *line = &start_lines.lines[i];
            draw_line(p->arena, page, start_text, line, start_nodes, &start->type,
                      rtl ? p->g.right - line->width : p->g.left,
                      baseline - start->type.leading * (double)i, true);
        }
        double end_baseline = baseline;
        if (end_lines.count && start_lines.count &&
            start_lines.lines[0].width + end_lines.lines[0].width + 12 > measure)
            end_baseline -= start->type.leading * (double)start_lines.count;
        for (size_t i = 0; i < end_lines.count; i++) {
            const Line *line = &end_lines.lines[i];
            draw_line(p->arena, page, end_text, line, end_nodes, &end->type,
                      rtl ? p->g.left : p->g.right - line->width,
                      end_baseline - end->type.leading * (double)i, true);
        }
    }
    return 0;
}

/* A runt: the last line of a paragraph of several, one word, short. */
static bool is_runt(const FlowLine *fl, const FlowLine *prev, double measure)
{
    if (!prev || !fl->line || prev->text != fl->text || fl->line->width >= 0.25 * measure)
        return false;
    /* one word: no space, and not two CJK characters either */
    size_t chars = 0;
    for (size_t k = 0; k < fl->line->slice_count; k++)
        for (uint32_t b = fl->line->slices[k].text_begin + 1; b < fl->line->slices[k].text_end; b++) {
            if (text_is_space_at(fl->text, b))
                return false;
            chars += fl->text->grapheme[b] && text_breaks_at(fl->text, b);
        }
    return chars == 0;
}

static void gather_stats(const Flow *flow, Document *doc, double last_y, const PageGeometry *g)
{
    SetStats *st = &doc->stats;
    for (size_t i = 0; i < flow->count; i++) {
        const FlowLine *fl = &flow->lines[i];
        const Line *ln = fl->line;
        if (!ln)
            continue; /* a figure */
        st->lines++;
        st->justified += ln->justified;
        st->hyphenated += ln->hyphenated;
        if (ln->ratio > st->loosest)
            st->loosest = ln->ratio;
        if (ln->ratio < st->tightest)
            st->tightest = ln->ratio;
        double pad = fl->box ? flow->boxes[fl->box - 1]->deco.pad : 0;
        if (fl->indent + ln->width > flow->measure - pad + 0.01)
            st->overfull++;
        bool last_of_paragraph = i + 1 == flow->count || flow->lines[i + 1].text != fl->text;
        if (last_of_paragraph && i > 0 && is_runt(fl, &flow->lines[i - 1], flow->measure - fl->indent)) {
            st->runts++;

        }
    }
    st->last_page_fill = (g->top - last_y) / (g->top - g->bottom);
}

/* One attempt at the whole flow, pulled together as hard as level says
 * (0: as designed; 1: tighter space between blocks; 2: tighter still,
 * and type at its min_size).  Returns false when text cannot be set. */
static bool flow_once(Arena *arena, Shaper *shaper, const Tree *tree, const PageGeometry *g,
                      int level, Memo *memo, Flow *flow, Paginator *p)
{
    static const double SPACING[] = {1.0, 0.7, 0.5};
    *flow = (Flow){.memo = memo, .arena = arena, .shaper = shaper, .measure = g->right - g->left,
                   .rtl = tree->root->dir == DIR_RTL, .doc_lang = tree->root->lang,
                   .spacing = SPACING[level],
                   .shrink_type = level >= 2};
    flow_node(flow, tree->root);
    if (flow->failed)
        return false;
    Document *doc = arena_alloc(arena, sizeof *doc);
    doc->width = g->width;
    doc->height = g->height;
    doc->tree = tree;
    *p = (Paginator){.arena = arena, .flow = flow, .g = *g, .doc = doc};
    paginate(p);
    gather_stats(flow, doc, p->last_y, g);
    return true;
}

#define STRANDED_FILL 0.25

/* When pulling together cannot spare the last page, it is filled: the
 * page before gives up its last blocks (from the latest block start that
 * leaves the last page at least a quarter full, without adding a page). */
static void balance_last_page(Arena *arena, const PageGeometry *g, const Flow *flow, Paginator *p)
{
    size_t pages = p->doc->page_count;
    for (size_t c = flow->count; c-- > 1;) {
        const FlowLine *fl = &flow->lines[c];
        /* a block starts here, and the line before does not keep with it */
        if (fl->space_before <= 0 || flow->lines[c - 1].keep_with_next)
            continue;
        Document *doc = arena_alloc(arena, sizeof *doc);
        *doc = (Document){.width = g->width, .height = g->height, .tree = p->doc->tree};
        Paginator q = {.arena = arena, .flow = flow, .g = *g, .doc = doc, .break_before = c};
        paginate(&q);
        if (doc->page_count > pages)
            continue;
        gather_stats(flow, doc, q.last_y, g);
        if (doc->stats.last_page_fill >= STRANDED_FILL) {
            *p = q;
            return;
        }
    }
}

/* A last page less than a quarter full is stranded: before letting it
 * come, the flow is pulled together (flow_once's levels) and the first
 * level that spares the page, or fills it to a quarter, is taken. */

/* Every paragraph of the tree, furniture included, told to the shaper
 * before any is shaped (text.h: shaper_expect). */
static void expect_paragraphs(Flow *flow, const Node *node)
{
    for (const Node *c = node->first_child; c; c = c->next) {
        if (!node_is_block(c)) {
            expect_paragraphs(flow, c);
            continue;
        }
        Pieces pieces = {0};
        collect_pieces(flow, c, &pieces);
        shaper_expect(flow->shaper, pieces.pieces, pieces.count);
        const Node *tail = tail_of(c);
        if (tail) {
            collect_pieces(flow, tail, &pieces);
            shaper_expect(flow->shaper, pieces.pieces, pieces.count);
        }
    }
}

/* flow_layout, without the furniture and decorations unless furnish. */
static Document *lay_out(Arena *arena, Shaper *shaper, const Tree *tree, const PageGeometry *g,
                         bool furnish)
{
    shaper_keep_whole(shaper, tree->keep_whole);
    Flow expecting = {.arena = arena, .shaper = shaper, .doc_lang = tree->root->lang};
    expect_paragraphs(&expecting, tree->root);
    Flow flow;
    Paginator p;
    Memo memo = {.count = tree->node_count + 1};
    memo.shaped = arena_array(arena, memo.count, sizeof *memo.shaped);
    memo.set = arena_array(arena, memo.count, sizeof *memo.set);
    bool ok = flow_once(arena, shaper, tree, g, 0, &memo, &flow, &p);
    for (int level = 1; ok && level <= 2 && p.doc->page_count > 1 &&
                        p.doc->stats.last_page_fill < STRANDED_FILL;
         level++) {
        Flow tighter;
        Paginator q;
        ok = flow_once(arena, shaper, tree, g, level, &memo, &tighter, &q);
        if (ok && (q.doc->page_count < p.doc->page_count ||
                   q.doc->stats.last_page_fill >= STRANDED_FILL)) {
            flow = tighter;
            p = q;
            p.flow = &flow;
        }
    }
    if (!ok) {
        shaper_keep_whole(shaper, NULL);
        return NULL;
    }
    p.flow = &flow;
    if (p.doc->page_count > 1 && p.doc->stats.last_page_fill < STRANDED_FILL)
        balance_last_page(arena, g, &flow, &p);
    int rc = 0;
    if (furnish) {
        draw_decorations(&p);
        rc = draw_footers(&p, shaper, tree) ||
             draw_running_head(&p, shaper, furniture(tree, FURNITURE_HEAD));
    }
    shaper_keep_whole(shaper, NULL);
    return rc ? NULL : p.doc;
}

Document *flow_layout(Arena *arena, Shaper *shaper, const Tree *tree, const PageGeometry *g)
{
    return lay_out(arena, shaper, tree, g, true);
}

Document *flow_paginate(Arena *arena, Shaper *shaper, const Tree *tree, const PageGeometry *g)
{
    return lay_out(arena, shaper, tree, g, false);
}
