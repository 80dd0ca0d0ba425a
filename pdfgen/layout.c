/* layout.c — the fact-sheet template: content in, pages of boxes out.
 * See layout.h.  Two steps: build a flow (every line of the sheet with its
 * spacing and keep rules), then cut the flow into pages and draw. */
#include "layout.h"

#include <string.h>

#include "content.h"
#include "diag.h"
#include "format.h"
#include "paragraph.h"

#define INK {0.10f, 0.11f, 0.12f}
#define BRAND {0.04f, 0.30f, 0.42f}
#define MUTED {0.33f, 0.35f, 0.38f}
#define WHITE {1.0f, 1.0f, 1.0f}
#define BAND_TINT {0.80f, 0.90f, 0.94f}
#define HELP_FILL {0.91f, 0.95f, 0.97f}
#define DRAFT_FILL {1.0f, 0.96f, 0.84f}
#define DRAFT_EDGE {0.78f, 0.56f, 0.0f}

typedef struct Style {
    FontStyle font;
    double size, leading;
    Color color;
} Style;

/* Body type at 12 pt: the floor for patient material that may be read by
 * people with low vision; references may go smaller. */
static const Style BODY = {STYLE_REGULAR, 12, 16.5, INK};
static const Style BODY_ITALIC = {STYLE_ITALIC, 12, 16.5, INK};
static const Style HEADING = {STYLE_BOLD, 15, 19, BRAND};
static const Style DRUG_NAME = {STYLE_BOLD, 26, 31, BRAND};
static const Style DRUG_CLASS = {STYLE_REGULAR, 13, 18, MUTED};
static const Style SERIES = {STYLE_REGULAR, 12, 16, BAND_TINT};
static const Style TITLE = {STYLE_BOLD, 20, 25, WHITE};
static const Style HELP_HEADING = {STYLE_BOLD, 14, 19, BRAND};
static const Style PHONE = {STYLE_BOLD, 20, 27, BRAND};
static const Style REFERENCE = {STYLE_REGULAR, 9, 11.5, INK};
static const Style FOOTER = {STYLE_REGULAR, 9.5, 12, MUTED};
static const Style RUNNING_HEAD = {STYLE_REGULAR, 9.5, 12, MUTED};

enum { MAX_BOXES = 8 };

typedef struct BoxStyle {
    double pad;
    int fill;
    Color fill_color;
    double line_width;
    Color stroke;
    double radius;
} BoxStyle;

typedef struct FlowLine {
    const ShapedText *text;
    const Line *line;
    Style style;
    double indent;
    const ShapedText *marker_text; /* a bullet or number beside the first line */
    const Line *marker;
    double marker_indent;
    double space_before, space_after;
    double pad_before, pad_after; /* inside a box, kept even at a page top */
    int keep_with_next;
    int box; /* 1-based index into Flow.boxes, 0 for none */
    const char *bookmark;
} FlowLine;

typedef struct Flow {
    Arena *arena;
    Shaper *shaper;
    double measure;
    FlowLine *lines;
    size_t count, cap;
    BoxStyle boxes[MAX_BOXES];
    int box_count;
    int open_box;
    size_t box_first_line;
    int failed;
    int rtl; /* right-to-left language: lines set from the right edge */
    int keep_next_line; /* set by a heading: its paragraph's first line keeps too */
    ParagraphDirection direction; /* of the paragraphs being added */
} Flow;

static FlowLine *push_line(Flow *flow)
{
    flow->lines = arena_reserve(flow->arena, flow->lines, flow->count, &flow->cap, sizeof *flow->lines);
    FlowLine *line = &flow->lines[flow->count++];
    memset(line, 0, sizeof *line);
    line->box = flow->open_box;
    return line;
}

static double box_pad(const Flow *flow)
{
    return flow->open_box ? flow->boxes[flow->open_box - 1].pad : 0;
}

static const ShapedText *shape(Flow *flow, const TextPiece *pieces, size_t count)
{
    const ShapedText *text = text_shape(flow->shaper, flow->arena, pieces, count, flow->direction);
    if (!text)
        flow->failed = 1;
    return text;
}

/* Adds one paragraph; returns the index of its first flow line. */
static size_t add_paragraph(Flow *flow, const TextPiece *pieces, size_t count, Style style,
                            double indent, double space_before)
{
    size_t first = flow->count;
    const ShapedText *text = shape(flow, pieces, count);
    if (!text)
        return first;
    double pad = box_pad(flow);
    double measure = flow->measure - indent - 2 * pad;
    Lines lines = paragraph_break(flow->arena, text, style.size, measure);
    for (size_t i = 0; i < lines.count; i++) {
        FlowLine *line = push_line(flow);
        line->text = text;
        line->line = &lines.lines[i];
        line->style = style;
        line->indent = indent + pad;
        line->space_before = i == 0 ? space_before : 0;
        /* No orphan and no widow: the first line waits for the second, the
         * second-to-last goes with the last. */
        line->keep_with_next = lines.count >= 2 && (i == 0 || i + 2 == lines.count);
        if (i == 0 && flow->keep_next_line)
            line->keep_with_next = 1;
    }
    flow->keep_next_line = 0;
    return first;
}

static void add_text(Flow *flow, const Text *text, Style style, double indent, double space_before)
{
    TextPiece piece = {text->utf8, style.font, text->pos};
    add_paragraph(flow, &piece, 1, style, indent, space_before);
}

static void add_generated(Flow *flow, const char *utf8, const SourcePos *pos, Style style,
                          double indent, double space_before)
{
    TextPiece piece = {utf8, style.font, *pos};
    add_paragraph(flow, &piece, 1, style, indent, space_before);
}

static void add_heading(Flow *flow, const char *utf8, const SourcePos *pos, Style style,
                        double space_before)
{
    size_t first = flow->count;
    add_generated(flow, utf8, pos, style, 0, space_before);
    /* A heading goes to the next page with at least two lines of what it
     * introduces, never alone at the bottom. */
    for (size_t i = first; i < flow->count; i++)
        flow->lines[i].keep_with_next = 1;
    flow->keep_next_line = 1;
    if (first < flow->count)
        flow->lines[first].bookmark = utf8;
}

/* A list item: the marker hangs in the left gutter, the text wraps at the
 * indent so each item reads as one block. */
static void add_item(Flow *flow, const TextPiece *marker, const TextPiece *item, Style style,
                     double marker_indent, double text_indent, double space_before,
                     ParagraphDirection direction)
{
    const ShapedText *marker_text = shape(flow, marker, 1);
    flow->direction = direction;
    size_t first = add_paragraph(flow, item, 1, style, text_indent, space_before);
    flow->direction = DIRECTION_OF_DOCUMENT;
    if (!marker_text || first >= flow->count)
        return;
    Lines marker_lines = paragraph_break(flow->arena, marker_text, style.size, flow->measure);
    if (marker_lines.count == 0)
        return;
    flow->lines[first].marker_text = marker_text;
    flow->lines[first].marker = &marker_lines.lines[0];
    flow->lines[first].marker_indent = marker_indent + box_pad(flow);
}

static void add_bullets(Flow *flow, const TextList *list, Style style)
{
    static const char bullet[] = "\xE2\x80\xA2"; /* U+2022 */
    for (size_t i = 0; i < list->count; i++) {
        TextPiece marker = {bullet, STYLE_REGULAR, list->items[i].pos};
        TextPiece item = {list->items[i].utf8, style.font, list->items[i].pos};
        add_item(flow, &marker, &item, style, 6, 22, i == 0 ? 4 : 3, DIRECTION_OF_DOCUMENT);
    }
}

static void begin_box(Flow *flow, BoxStyle style)
{
    flow->boxes[flow->box_count++] = style;
    flow->open_box = flow->box_count;
    flow->box_first_line = flow->count;
}

/* The box's padding goes above its first and below its last line, and
 * every line but the last keeps with the next: a box is never split. */
static void end_box(Flow *flow, double space_before)
{
    double pad = flow->boxes[flow->open_box - 1].pad;
    if (flow->box_first_line < flow->count) {
        flow->lines[flow->box_first_line].space_before = space_before;
        flow->lines[flow->box_first_line].pad_before = pad;
        flow->lines[flow->count - 1].pad_after = pad;
        for (size_t i = flow->box_first_line; i + 1 < flow->count; i++)
            flow->lines[i].keep_with_next = 1;
    }
    flow->open_box = 0;
}

static const char *expand1(Arena *arena, const Text *template_text, const char *name,
                           const char *value)
{
    const char *names[] = {name};
    const char *values[] = {value};
    return format_template(arena, template_text->utf8, names, values, 1);
}

static void build_flow(Flow *flow, const SheetRequest *request)
{
    const Strings *s = &request->language->strings;
    const Drug *drug = request->drug;
    Arena *arena = flow->arena;

    begin_box(flow, (BoxStyle){.pad = 14, .fill = 1, .fill_color = BRAND, .radius = 6});
    add_text(flow, &s->series, SERIES, 0, 0);
    add_text(flow, &s->sheet_title, TITLE, 0, 2);
    end_box(flow, 0);

    if (s->draft_notice.utf8) {
        begin_box(flow, (BoxStyle){.pad = 10, .fill = 1, .fill_color = DRAFT_FILL,
                                   .line_width = 1, .stroke = DRAFT_EDGE, .radius = 4});
        add_text(flow, &s->draft_notice, BODY_ITALIC, 0, 0);
        end_box(flow, 12);
    }

    add_text(flow, &drug->name, DRUG_NAME, 0, 16);
    /* "Drug type: {class}": the label part bold, each language with its
     * own punctuation and spacing around the value. */
    const char *label = s->drug_class_label.utf8, *slot = strstr(label, "{class}");
    TextPiece class_pieces[] = {
        {arena_strndup(arena, label, (size_t)(slot - label)), STYLE_BOLD, s->drug_class_label.pos},
        {drug->drug_class.utf8, STYLE_REGULAR, drug->drug_class.pos},
        {slot + strlen("{class}"), STYLE_REGULAR, s->drug_class_label.pos},
    };
    add_paragraph(flow, class_pieces, 3, DRUG_CLASS, 0, 2);

    add_heading(flow, s->label_targeted_drugs.utf8, &s->label_targeted_drugs.pos, HEADING, 16);
    add_text(flow, &drug->targeted_drugs, BODY, 0, 4);
    add_heading(flow, expand1(arena, &s->label_how_it_works, "drug", drug->name.utf8),
                &s->label_how_it_works.pos, HEADING, 12);
    add_text(flow, &drug->how_it_works, BODY, 0, 4);
    add_heading(flow, s->label_how_it_is_taken.utf8, &s->label_how_it_is_taken.pos, HEADING, 12);
    add_text(flow, &drug->how_it_is_taken, BODY, 0, 4);
    if (drug->who_it_is_for.utf8) {
        add_heading(flow, s->label_who_it_is_for.utf8, &s->label_who_it_is_for.pos, HEADING, 12);
        add_text(flow, &drug->who_it_is_for, BODY, 0, 4);
    }
    add_heading(flow, s->label_common_side_effects.utf8, &s->label_common_side_effects.pos,
                HEADING, 12);
    add_bullets(flow, &drug->common_side_effects, BODY);
    add_heading(flow, s->label_serious_side_effects.utf8, &s->label_serious_side_effects.pos,
                HEADING, 12);
    add_bullets(flow, &drug->serious_side_effects, BODY);

    begin_box(flow, (BoxStyle){.pad = 14, .fill = 1, .fill_color = HELP_FILL, .line_width = 1.2,
                               .stroke = BRAND, .radius = 6});
    add_heading(flow, s->helpline_heading.utf8, &s->helpline_heading.pos, HELP_HEADING, 0);
    add_text(flow, &s->helpline_text, BODY, 0, 3);
    add_text(flow, &s->helpline_phone, PHONE, 0, 6);
    add_text(flow, &s->helpline_reach, BODY, 0, 2);
    end_box(flow, 20);

    add_text(flow, &s->disclaimer, BODY_ITALIC, 0, 12);

    add_heading(flow, s->label_references.utf8, &s->label_references.pos, HEADING, 16);
    for (size_t i = 0; i < drug->references.count; i++) {
        const Text *id = &drug->references.items[i];
        const Reference *ref = content_reference(request->content, id->utf8);
        if (!ref)
            continue; /* the loader has reported it */
        TextPiece number = {arena_printf(arena, "%s.", format_number(arena, s->locale.utf8, (long)i + 1)),
                            STYLE_REGULAR, id->pos};
        TextPiece item = {ref->text.utf8, STYLE_REGULAR, ref->text.pos};
        /* Citations are quoted as published (in English): on a right-to-
         * left sheet they keep their own direction, so their punctuation
         * stays where it belongs. */
        add_item(flow, &number, &item, REFERENCE, 0, 16, i == 0 ? 4 : 3, DIRECTION_FROM_TEXT);
    }
}

/* ---- pagination and drawing ------------------------------------------- */

typedef struct Geometry {
    double width, height, left, right, top, bottom;
} Geometry;

static Geometry geometry_for(Paper paper)
{
    Geometry g;
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
    page->boxes = arena_reserve(arena, page->boxes, page->box_count, &page->box_cap, sizeof *page->boxes);
    return &page->boxes[page->box_count++];
}

static void draw_line(Arena *arena, Page *page, const ShapedText *text, const Line *line,
                      const Style *style, double x, double baseline)
{
    for (size_t i = 0; i < line->slice_count; i++) {
        const LineSlice *slice = &line->slices[i];
        Box *box = push_box(arena, page);
        box->kind = BOX_TEXT;
        box->u.text = (GlyphSpan){
            .font = slice->run->font,
            .size = style->size,
            .color = style->color,
            .x = x,
            .y = baseline,
            .glyphs = slice->run->glyphs + slice->first,
            .glyph_count = slice->count,
            .text = text->text,
            .text_begin = slice->text_begin,
            .text_end = slice->text_end,
            .lang = text->lang,
        };
        x += slice->width;
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
    int used;
    double top, bottom;
} BoxExtent;

typedef struct Paginator {
    Arena *arena;
    const Flow *flow;
    Geometry g;
    Document *doc;
    size_t page_cap, bookmark_cap;
    BoxExtent (*extents)[MAX_BOXES];
} Paginator;

static void new_page(Paginator *p)
{
    Document *doc = p->doc;
    size_t pages_cap = p->page_cap; /* the two arrays grow in step */
    doc->pages = arena_reserve(p->arena, doc->pages, doc->page_count, &pages_cap, sizeof *doc->pages);
    p->extents = arena_reserve(p->arena, p->extents, doc->page_count, &p->page_cap, sizeof *p->extents);
    doc->page_count++;
}

static void add_bookmark(Paginator *p, const char *title, double y)
{
    Document *doc = p->doc;
    doc->bookmarks = arena_reserve(p->arena, doc->bookmarks, doc->bookmark_count, &p->bookmark_cap,
                                   sizeof *doc->bookmarks);
    doc->bookmarks[doc->bookmark_count++] = (Bookmark){title, doc->page_count - 1, y};
}

static double group_height(const Flow *flow, size_t i, int at_top)
{
    double h = 0;
    for (size_t k = i; k < flow->count; k++) {
        const FlowLine *fl = &flow->lines[k];
        h += (k == i && at_top ? 0 : fl->space_before) + fl->pad_before + fl->style.leading +
             fl->pad_after + fl->space_after;
        if (!fl->keep_with_next)
            break;
    }
    return h;
}

static void paginate(Paginator *p)
{
    const Flow *flow = p->flow;
    double y = p->g.top;
    int page_empty = 1;
    new_page(p);
    for (size_t i = 0; i < flow->count; i++) {
        const FlowLine *fl = &flow->lines[i];
        double usable = p->g.top - p->g.bottom;
        double need = group_height(flow, i, page_empty);
        int group_fits = need <= usable;
        if (!page_empty && (y - need < p->g.bottom - 0.01) &&
            (group_fits || y - (fl->space_before + fl->style.leading) < p->g.bottom)) {
            new_page(p);
            y = p->g.top;
            page_empty = 1;
        }
        double top = y - (page_empty ? 0 : fl->space_before) - fl->pad_before;
        double baseline = top - baseline_offset(fl);
        Page *page = &p->doc->pages[p->doc->page_count - 1];
        /* Right-to-left sheets mirror: indents, bullets and numbers are
         * measured from the right edge. */
        double x = flow->rtl ? p->g.right - fl->indent - fl->line->width : p->g.left + fl->indent;
        draw_line(p->arena, page, fl->text, fl->line, &fl->style, x, baseline);
        if (fl->marker) {
            double mx = flow->rtl ? p->g.right - fl->marker_indent - fl->marker->width
                                  : p->g.left + fl->marker_indent;
            draw_line(p->arena, page, fl->marker_text, fl->marker, &fl->style, mx, baseline);
        }
        if (fl->bookmark)
            add_bookmark(p, fl->bookmark, top);
        double box_bottom = top - fl->style.leading - fl->pad_after;
        if (fl->box) {
            BoxExtent *e = &p->extents[p->doc->page_count - 1][fl->box - 1];
            if (!e->used)
                e->top = top + fl->pad_before;
            e->bottom = box_bottom;
            e->used = 1;
        }
        y = box_bottom - fl->space_after;
        page_empty = 0;
    }
}

static void draw_boxes(Paginator *p)
{
    for (size_t pg = 0; pg < p->doc->page_count; pg++) {
        Page *page = &p->doc->pages[pg];
        Page merged = {0};
        for (int b = 0; b < p->flow->box_count; b++) {
            const BoxExtent *e = &p->extents[pg][b];
            if (!e->used)
                continue;
            const BoxStyle *s = &p->flow->boxes[b];
            Box *box = push_box(p->arena, &merged);
            box->kind = BOX_RECT;
            box->u.rect = (RectBox){p->g.left, e->bottom, p->g.right - p->g.left,
                                    e->top - e->bottom, s->radius, s->line_width, s->stroke,
                                    s->fill, s->fill_color};
        }
        for (size_t i = 0; i < page->box_count; i++)
            *push_box(p->arena, &merged) = page->boxes[i];
        *page = merged;
    }
}

/* Pages after the first carry the drug's name at the top, so a page that
 * comes loose from a print run of hundreds still says what it is about. */
static int draw_running_heads(Paginator *p, Shaper *shaper, const SheetRequest *request)
{
    if (p->doc->page_count < 2)
        return 0;
    const Strings *s = &request->language->strings;
    const Drug *drug = request->drug;
    TextPiece pieces[] = {
        {drug->name.utf8, STYLE_BOLD, drug->name.pos},
        {" \xC2\xB7 ", STYLE_REGULAR, s->series.pos}, /* middle dot */
        {s->series.utf8, STYLE_REGULAR, s->series.pos},
    };
    const ShapedText *text = text_shape(shaper, p->arena, pieces, 3, DIRECTION_OF_DOCUMENT);
    if (!text)
        return -1;
    Lines lines = paragraph_break(p->arena, text, RUNNING_HEAD.size, p->g.right - p->g.left);
    if (lines.count == 0)
        return 0;
    const Line *line = &lines.lines[0]; /* a long series name is cut, not wrapped */
    int rtl = shaper_is_rtl(shaper);
    for (size_t pg = 1; pg < p->doc->page_count; pg++)
        draw_line(p->arena, &p->doc->pages[pg], text, line, &RUNNING_HEAD,
                  rtl ? p->g.right - line->width : p->g.left, p->g.top + 10);
    return 0;
}

static int draw_footers(Paginator *p, Shaper *shaper, const SheetRequest *request,
                        const char *date)
{
    const Strings *s = &request->language->strings;
    const char *locale = s->locale.utf8;
    const char *pages = format_number(p->arena, locale, (long)p->doc->page_count);
    const char *revised = expand1(p->arena, &s->last_revised, "date", date);
    TextPiece left_piece = {revised, FOOTER.font, s->last_revised.pos};
    const ShapedText *left = text_shape(shaper, p->arena, &left_piece, 1, DIRECTION_OF_DOCUMENT);
    if (!left)
        return -1;
    double measure = p->g.right - p->g.left;
    Lines left_lines = paragraph_break(p->arena, left, FOOTER.size, measure);
    for (size_t pg = 0; pg < p->doc->page_count; pg++) {
        Page *page = &p->doc->pages[pg];
        const char *names[] = {"page", "pages"};
        const char *values[] = {format_number(p->arena, locale, (long)pg + 1), pages};
        TextPiece right_piece = {format_template(p->arena, s->page_of.utf8, names, values, 2),
                                 FOOTER.font, s->page_of.pos};
        const ShapedText *right = text_shape(shaper, p->arena, &right_piece, 1, DIRECTION_OF_DOCUMENT);
        if (!right)
            return -1;
        Lines right_lines = paragraph_break(p->arena, right, FOOTER.size, measure);
        Box *rule = push_box(p->arena, page);
        rule->kind = BOX_RECT;
        rule->u.rect = (RectBox){.x = p->g.left, .y = p->g.bottom - 16, .width = measure,
                                 .height = 0.6, .fill = 1, .fill_color = (Color)MUTED};
        /* The date starts the footer and the page number ends it: left and
         * right, mirrored on right-to-left sheets.  The page number drops
         * below the date when a translation makes the two collide. */
        int rtl = shaper_is_rtl(shaper);
        double baseline = p->g.bottom - 30;
        for (size_t i = 0; i < left_lines.count; i++) {
            const Line *line = &left_lines.lines[i];
            draw_line(p->arena, page, left, line, &FOOTER,
                      rtl ? p->g.right - line->width : p->g.left,
                      baseline - FOOTER.leading * (double)i);
        }
        double right_baseline = baseline;
        if (right_lines.count && left_lines.count &&
            left_lines.lines[0].width + right_lines.lines[0].width + 12 > measure)
            right_baseline -= FOOTER.leading * (double)left_lines.count;
        for (size_t i = 0; i < right_lines.count; i++) {
            const Line *line = &right_lines.lines[i];
            draw_line(p->arena, page, right, line, &FOOTER,
                      rtl ? p->g.left : p->g.right - line->width,
                      right_baseline - FOOTER.leading * (double)i);
        }
    }
    return 0;
}

Document *layout_sheet(Arena *arena, Shaper *shaper, const SheetRequest *request)
{
    const Strings *s = &request->language->strings;
    const Drug *drug = request->drug;
    Geometry g = geometry_for(request->paper);
    Flow flow = {.arena = arena, .shaper = shaper, .measure = g.right - g.left,
                 .rtl = shaper_is_rtl(shaper)};
    build_flow(&flow, request);
    const char *date = format_date(arena, s, &drug->last_revised);
    if (flow.failed || !date)
        return NULL;

    Document *doc = arena_alloc(arena, sizeof *doc);
    doc->width = g.width;
    doc->height = g.height;
    Paginator p = {.arena = arena, .flow = &flow, .g = g, .doc = doc};
    paginate(&p);
    draw_boxes(&p);
    if (draw_footers(&p, shaper, request, date) != 0 ||
        draw_running_heads(&p, shaper, request) != 0)
        return NULL;

    doc->info = (DocInfo){
        .title = arena_printf(arena, "%s: %s", drug->name.utf8, s->sheet_title.utf8),
        .author = s->author.utf8,
        .subject = expand1(arena, &s->subject, "drug", drug->name.utf8),
        .creator = request->creator,
        .lang = s->locale.utf8,
        .year = drug->last_revised.year,
        .month = drug->last_revised.month,
        .day = drug->last_revised.day,
    };
    return doc;
}
