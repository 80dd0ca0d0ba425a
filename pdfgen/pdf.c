/* pdf.c — the document: a laid-out Document and its tree into a tagged
 * PDF.  See pdf.h.  The layers below, each calling only those under it:
 *     pdf_page.c     page content, marked content, links
 *     pdf_tags.c     the structure tree      pdf_fonts.c  fonts
 *     pdf_poppler.c  extraction workarounds  pdf_objects.c  libharu
 *     pdf_buf.c      bytes and numbers */
#include "pdf.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "diag.h"
#include "pdf_buf.h"
#include "pdf_fonts.h"
#include "pdf_objects.h"
#include "pdf_page.h"
#include "pdf_tags.h"

/* ------------------------------------------------------------------ */
/* Validation: everything a writer could trip over, checked before any
 * output exists. */

/* "U+00E9 'é'" for the character at byte at, for error messages. */
static void describe_char(const GlyphSpan *s, uint32_t at, char out[32])
{
    uint32_t cp = 0;
    size_t len = at < s->text_end ? utf8_decode((const unsigned char *)s->text + at,
                                                s->text_end - at, &cp) : 0;
    if (len && cp >= 0x20 && cp != 0x7F)
        snprintf(out, 32, "U+%04X '%.*s'", (unsigned)cp, (int)len, s->text + at);
    else if (len)
        snprintf(out, 32, "U+%04X", (unsigned)cp);
    else
        snprintf(out, 32, "byte %u", (unsigned)at);
}

static int check_span(FontUses *fonts, const GlyphSpan *s, size_t page)
{
    FontUse *fu;
    if (s->glyph_count == 0)
        return 0;
    if (register_font(fonts, s->font, &fu))
        return -1;
    if (!s->text || s->text_begin > s->text_end || s->text_end > s->line_end ||
        !(s->size > 0) || !isfinite(s->size) || !isfinite(s->x) || !isfinite(s->y)) {
        diag_error(NULL, "pdf: malformed text box on page %zu", page + 1);
        return -1;
    }
    if (s->hyphen && (s->hyphen_gid == 0 || s->hyphen_gid >= fu->glyph_count)) {
        diag_error(NULL, "pdf: hyphen glyph out of range on page %zu", page + 1);
        return -1;
    }
    for (size_t i = 0; i < s->glyph_count; i++) {
        const Glyph *g = &s->glyphs[i];
        if (g->cluster < s->text_begin || g->cluster > s->text_end) {
            diag_error(NULL, "pdf: glyph cluster %u outside its text [%u, %u) "
                       "on page %zu", g->cluster, s->text_begin, s->text_end, page + 1);
            return -1;
        }
        if (g->gid == 0 || g->gid >= fu->glyph_count) {
            char what[32];
            describe_char(s, g->cluster, what);
            if (g->gid == 0)
                diag_error(NULL, "pdf: font %s has no glyph for %s (page %zu)",
                           font_name(s->font), what, page + 1);
            else
                diag_error(NULL, "pdf: glyph id %u out of range for font %s (%s)",
                           g->gid, font_name(s->font), what);
            return -1;
        }
    }
    return 0;
}

static int validate(const Document *d, FontUses *fonts)
{
    if (d->page_count == 0 || !(d->width >= 3 && d->width <= 14400) ||
        !(d->height >= 3 && d->height <= 14400)) {
        diag_error(NULL, "pdf: document has no pages or an invalid page size");
        return -1;
    }
    if (!d->tree || !d->tree->root) {
        diag_error(NULL, "pdf: document has no structure tree");
        return -1;
    }
    for (size_t p = 0; p < d->page_count; p++)
        for (size_t i = 0; i < d->pages[p].box_count; i++) {
            const Box *b = &d->pages[p].boxes[i];
            if (b->node && b->node->id > d->tree->node_count) {
                diag_error(NULL, "pdf: a box on page %zu points outside the tree", p + 1);
                return -1;
            }
            if (b->kind == BOX_TEXT && !b->artifact && (!b->node || b->node->kind != NODE_TEXT)) {
                diag_error(NULL, "pdf: text on page %zu belongs to no TEXT node", p + 1);
                return -1;
            }
            if (b->kind == BOX_TEXT && check_span(fonts, &b->u.text, p))
                return -1;
        }
    for (size_t i = 0; i < d->bookmark_count; i++)
        if (d->bookmarks[i].page >= d->page_count || !d->bookmarks[i].title) {
            diag_error(NULL, "pdf: bookmark %zu has no title or points past the "
                       "last page", i + 1);
            return -1;
        }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Metadata: the Info dictionary and the same in XMP (PDF/UA wants both,
 * and equal). */

static void xml_text(Buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': buf_str(b, "&amp;"); break;
        case '<': buf_str(b, "&lt;"); break;
        case '>': buf_str(b, "&gt;"); break;
        case '"': buf_str(b, "&quot;"); break;
        default: buf_put(b, s, 1);
        }
    }
}

static void xml_alt(Buf *b, const char *element, const char *value)
{
    buf_str(b, "<");
    buf_str(b, element);
    buf_str(b, "><rdf:Alt><rdf:li xml:lang=\"x-default\">");
    xml_text(b, value);
    buf_str(b, "</rdf:li></rdf:Alt></");
    buf_str(b, element);
    buf_str(b, ">\n");
}

static void xml_date(Buf *b, const char *element, const DocInfo *in)
{
    char s[32];
    snprintf(s, sizeof s, "%04d-%02d-%02dT%02d:%02d:%02dZ", in->year, in->month, in->day,
             in->hour, in->minute, in->second);
    buf_str(b, "<");
    buf_str(b, element);
    buf_str(b, ">");
    buf_str(b, s);
    buf_str(b, "</");
    buf_str(b, element);
    buf_str(b, ">\n");
}

/* Without xpacket's id attribute the packet would not be found by some
 * readers; its value is the one the XMP specification fixes. */
static int write_xmp(PdfDoc *doc, const DocInfo *in)
{
    Buf b = {0};
    buf_str(&b, "<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
                "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n"
                "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
                "<rdf:Description rdf:about=\"\""
                " xmlns:dc=\"http://purl.org/dc/elements/1.1/\""
                " xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\""
                " xmlns:pdfuaid=\"http://www.aiim.org/pdfua/ns/id/\""
                " xmlns:pdfgen=\"https://pdfs.example.org/ns/pdfgen/1.0/\"");
    if (in->keywords)
        buf_str(&b, " xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\"");
    buf_str(&b, ">\n<pdfuaid:part>1</pdfuaid:part>\n");
    if (in->title)
        xml_alt(&b, "dc:title", in->title);
    if (in->subject)
        xml_alt(&b, "dc:description", in->subject);
    if (in->author) {
        buf_str(&b, "<dc:creator><rdf:Seq><rdf:li>");
        xml_text(&b, in->author);
        buf_str(&b, "</rdf:li></rdf:Seq></dc:creator>\n");
    }
    if (in->lang) {
        buf_str(&b, "<dc:language><rdf:Bag><rdf:li>");
        xml_text(&b, in->lang);
        buf_str(&b, "</rdf:li></rdf:Bag></dc:language>\n");
    }
    if (in->keywords) {
        buf_str(&b, "<pdf:Keywords>");
        xml_text(&b, in->keywords);
        buf_str(&b, "</pdf:Keywords>\n");
    }
    if (in->review_status) {
        /* the translation's review status, for tools: draft, stale, reviewed, source */
        buf_str(&b, "<pdfgen:ReviewStatus>");
        xml_text(&b, in->review_status);
        buf_str(&b, "</pdfgen:ReviewStatus>\n");
    }
    if (in->creator) {
        buf_str(&b, "<xmp:CreatorTool>");
        xml_text(&b, in->creator);
        buf_str(&b, "</xmp:CreatorTool>\n");
    }
    if (in->year > 0) {
        xml_date(&b, "xmp:CreateDate", in);
        xml_date(&b, "xmp:ModifyDate", in);
    }
    buf_str(&b, "</rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"r\"?>");
    /* Compressed: PDF/UA-1, the only conformance claimed, allows a filtered
     * Metadata stream (PDF/A-1 would not), and readers find it through the
     * catalog; only byte scanners for raw XMP packets would miss it. */
    PdfObj s = pdfo_stream(doc, true);
    int bad = !s || pdfo_stream_write(doc, s, b.data, b.len);
    bad |= pdfo_put_name(s, "Type", "Metadata");
    bad |= pdfo_put_name(s, "Subtype", "XML");
    bad |= pdfo_put(pdfo_catalog(doc), "Metadata", s);
    buf_free(&b);
    return pdfo_check(doc, "XMP metadata", bad);
}

static int write_info(PdfDoc *doc, const DocInfo *in)
{
    const struct {
        const char *key, *value;
    } items[] = {{"Title", in->title},
                 {"Author", in->author},
                 {"Subject", in->subject},
                 {"Keywords", in->keywords},
                 {"Creator", in->creator}};
    PdfObj info = pdfo_info(doc);
    int bad = !info;
    for (size_t i = 0; i < sizeof items / sizeof items[0] && !bad; i++)
        if (items[i].value)
            bad |= pdfo_put_text(doc, info, items[i].key, items[i].value);
    if (!bad && in->year > 0)
        bad |= pdfo_set_dates(doc, in->year, in->month, in->day, in->hour, in->minute,
                              in->second);
    return pdfo_check(doc, "document info", bad);
}

static int write_catalog(PdfDoc *doc, const DocInfo *in)
{
    PdfObj catalog = pdfo_catalog(doc);
    PdfObj prefs = pdfo_dict(doc);
    int bad = !catalog || !prefs;
    if (in->lang)
        bad |= pdfo_put_text(doc, catalog, "Lang", in->lang);
    bad |= pdfo_put_bool(prefs, "DisplayDocTitle", true);
    bad |= pdfo_put(catalog, "ViewerPreferences", prefs);
    return pdfo_check(doc, "catalog", bad);
}

/* ------------------------------------------------------------------ */
/* The writer: parts appended one after the other, each forgotten once its
 * pages are written; what the end needs of them is kept as small records. */

/* An outline entry: a Bookmark at its page in the whole document. */
typedef struct Outline {
    char *title;
    size_t page;
    double y;
    unsigned level;
} Outline;

/* A named destination: an anchored node's first line. */
typedef struct Anchor {
    char *name;
    size_t page;
    double top;
} Anchor;

struct PdfWriter {
    PdfDoc *doc;
    bool parts; /* written a part at a time (a booklet) */
    char *path;
    FontUses fonts;
    Tags *tags;
    Writer *pages;
    size_t page_count;
    PrintBox trim, bleed; /* every page's (print.c), as the parts said */
    Outline *outline;
    size_t outline_count, outline_cap;
    PageLabel *labels; /* prefixes owned */
    size_t label_count, label_cap;
    Anchor *anchors;
    size_t anchor_count, anchor_cap;
};

/* Grows *items (of size bytes each) to hold one more than count. */
static void *grow(void *items, size_t count, size_t *cap, size_t size)
{
    if (count < *cap)
        return items;
    *cap = *cap ? *cap * 2 : 16;
    return xreallocarray(items, *cap, size);
}

/* Nested entries go under the last entry one level up; the top levels of
 * a nested outline are shown open. */
enum { MAX_OUTLINE_LEVELS = 8 };

static int write_outline(PdfWriter *w)
{
    bool nested = false;
    for (size_t i = 0; i < w->outline_count; i++)
        nested |= w->outline[i].level > 0;
    PdfOutlineItem *items = xreallocarray(NULL, w->outline_count ? w->outline_count : 1,
                                          sizeof *items);
    bool last[MAX_OUTLINE_LEVELS] = {false};
    for (size_t i = 0; i < w->outline_count; i++) {
        const Outline *b = &w->outline[i];
        unsigned level = b->level;
        if (level >= MAX_OUTLINE_LEVELS)
            level = MAX_OUTLINE_LEVELS - 1;
        while (level > 0 && !last[level - 1])
            level--;
        items[i] = (PdfOutlineItem){b->title, b->page, b->y, level, nested && level < 2};
        last[level] = true;
        for (unsigned k = level + 1; k < MAX_OUTLINE_LEVELS; k++)
            last[k] = false;
    }
    int rc = pdfo_outline_write(w->doc, items, w->outline_count, w->path);
    free(items);
    return rc;
}

/* /PageLabels: a number tree of the ranges, in ascending pages. */
static int write_page_labels(PdfWriter *w)
{
    PdfDoc *doc = w->doc;
    if (w->label_count == 0)
        return 0;
    PdfObj labels = pdfo_dict(doc), nums = pdfo_array(doc);
    int bad = !labels || !nums;
    for (size_t i = 0; i < w->label_count && !bad; i++) {
        const PageLabel *l = &w->labels[i];
        PdfObj range = pdfo_dict(doc);
        bad |= !range || l->page > INT32_MAX || l->start < 1;
        if (bad)
            break;
        if (l->style != PAGE_LABEL_NONE)
            bad |= pdfo_put_name(range, "S", l->style == PAGE_LABEL_ROMAN_LOW ? "r" : "D");
        if (l->prefix)
            bad |= pdfo_put_text(doc, range, "P", l->prefix);
        if (l->start != 1)
            bad |= pdfo_put_int(range, "St", l->start);
        bad |= pdfo_push_int(nums, (int32_t)l->page);
        bad |= pdfo_push(nums, range);
    }
    if (!bad) {
        bad |= pdfo_put(labels, "Nums", nums);
        bad |= pdfo_put(pdfo_catalog(doc), "PageLabels", labels);
    }
    return pdfo_check(doc, "page labels", bad);
}

/* /TrimBox and /BleedBox on every page, for print shops (print.c). */
static int put_box(PdfDoc *doc, PdfObj page, const char *key, const PrintBox *box)
{
    PdfObj a = pdfo_array(doc);
    int bad = !a;
    if (!bad) {
        bad |= pdfo_push_real(a, box->x0);
        bad |= pdfo_push_real(a, box->y0);
        bad |= pdfo_push_real(a, box->x1);
        bad |= pdfo_push_real(a, box->y1);
        bad |= pdfo_put(page, key, a);
    }
    return bad;
}

static int write_print_boxes(PdfWriter *w, size_t from, size_t to)
{
    PdfDoc *doc = w->doc;
    int bad = 0;
    for (size_t i = from; i < to && !bad && (w->trim.set || w->bleed.set); i++) {
        PdfObj page = pdfo_page(doc, i);
        bad |= !page;
        if (!bad && w->trim.set)
            bad |= put_box(doc, page, "TrimBox", &w->trim);
        if (!bad && w->bleed.set)
            bad |= put_box(doc, page, "BleedBox", &w->bleed);
    }
    return pdfo_check(doc, "print boxes", bad);
}

/* /Names /Dests: every anchored node's first line (its first box), for
 * the GoTo links to it; names in byte order, as a name tree must be. */
static const Node *anchored(const Node *node)
{
    for (; node; node = node->parent)
        if (node->anchor)
            return node;
    return NULL;
}

static int compare_anchors(const void *a, const void *b)
{
    return strcmp(((const Anchor *)a)->name, ((const Anchor *)b)->name);
}

/* The part's anchors not seen before, at their pages in the document. */
static void collect_anchors(PdfWriter *w, const Document *d)
{
    for (size_t p = 0; p < d->page_count; p++)
        for (size_t i = 0; i < d->pages[p].box_count; i++) {
            const Box *b = &d->pages[p].boxes[i];
            const Node *node = b->kind == BOX_TEXT && !b->artifact ? anchored(b->node) : NULL;
            bool seen = false;
            for (size_t k = 0; node && k < w->anchor_count && !seen; k++)
                seen = strcmp(w->anchors[k].name, node->anchor) == 0;
            if (!node || seen)
                continue;
            w->anchors = grow(w->anchors, w->anchor_count, &w->anchor_cap, sizeof *w->anchors);
            w->anchors[w->anchor_count++] = (Anchor){xstrdup(node->anchor), w->page_count + p,
                                                     b->u.text.y + b->u.text.size};
        }
}

static int write_destinations(PdfWriter *w)
{
    PdfDoc *doc = w->doc;
    Anchor *anchors = w->anchors;
    size_t count = w->anchor_count;
    if (count == 0)
        return 0;
    qsort(anchors, count, sizeof *anchors, compare_anchors);
    PdfObj names = pdfo_dict(doc), dests = pdfo_dict(doc), list = pdfo_array(doc);
    int bad = !names || !dests || !list;
    for (size_t i = 0; i < count && !bad; i++) {
        PdfObj dest = pdfo_array(doc), page = pdfo_page(doc, anchors[i].page);
        bad |= !dest || !page;
        if (bad)
            break;
        bad |= pdfo_push(dest, page);
        bad |= pdfo_push_name(dest, "XYZ");
        bad |= pdfo_push_real(dest, 0);
        bad |= pdfo_push_real(dest, anchors[i].top);
        bad |= pdfo_push_null(doc, dest);
        bad |= pdfo_push(list, pdfo_ascii(doc, anchors[i].name));
        bad |= pdfo_push(list, dest);
    }
    if (!bad) {
        bad |= pdfo_put(dests, "Names", list);
        bad |= pdfo_put(names, "Dests", dests);
        bad |= pdfo_put(pdfo_catalog(doc), "Names", names);
    }
    return pdfo_check(doc, "named destinations", bad);
}

static void writer_free(PdfWriter *w)
{
    if (!w)
        return;
    page_writer_free(w->pages);
    tags_free(w->tags);
    font_uses_free(&w->fonts);
    pdfo_free(w->doc);
    for (size_t i = 0; i < w->outline_count; i++)
        free(w->outline[i].title);
    free(w->outline);
    for (size_t i = 0; i < w->label_count; i++)
        free((char *)w->labels[i].prefix);
    free(w->labels);
    for (size_t i = 0; i < w->anchor_count; i++)
        free(w->anchors[i].name);
    free(w->anchors);
    free(w->path);
    free(w);
}

PdfWriter *pdf_begin(const DocInfo *info, const Node *top, bool rtl, const char *path)
{
    PdfWriter *w = xcalloc(1, sizeof *w);
    w->parts = top != NULL;
    w->path = xstrdup(path);
    w->doc = pdfo_new();
    w->tags = w->doc ? tags_new(w->doc, top) : NULL;
    w->fonts.doc = w->doc;
    w->pages = w->tags ? page_writer_new(w->doc, &w->fonts, w->tags, rtl) : NULL;
    if (!w->pages || write_info(w->doc, info) || write_xmp(w->doc, info) ||
        write_catalog(w->doc, info)) {
        writer_free(w);
        return NULL;
    }
    if (w->parts)
        pdfo_mark(w->doc); /* what follows is the parts' */
    return w;
}

size_t pdf_page_count(const PdfWriter *w) { return w->page_count; }

int pdf_add(PdfWriter *w, const Document *d)
{
    if (validate(d, &w->fonts) || tags_part(w->tags, d->tree))
        return -1;
    for (size_t i = 0; i < d->page_count; i++)
        if (page_write(w->pages, d, i))
            return -1;
    for (size_t i = 0; i < d->bookmark_count; i++) {
        const Bookmark *b = &d->bookmarks[i];
        w->outline = grow(w->outline, w->outline_count, &w->outline_cap, sizeof *w->outline);
        w->outline[w->outline_count++] =
            (Outline){xstrdup(b->title), w->page_count + b->page, b->y,
                      d->bookmark_levels ? d->bookmark_levels[i] : 0};
    }
    for (size_t i = 0; i < d->page_label_count; i++) {
        PageLabel l = d->page_labels[i];
        l.page += w->page_count;
        l.prefix = l.prefix ? xstrdup(l.prefix) : NULL;
        w->labels = grow(w->labels, w->label_count, &w->label_cap, sizeof *w->labels);
        w->labels[w->label_count++] = l;
    }
    collect_anchors(w, d);
    w->trim = d->trim;
    w->bleed = d->bleed;
    w->page_count += d->page_count;
    if (!w->parts)
        return 0;
    /* The part is done: its objects go to the file and are freed. */
    return tags_part_end(w->tags) || write_print_boxes(w, w->page_count - d->page_count,
                                                       w->page_count) ||
                   pdfo_flush(w->doc, w->path)
               ? -1
               : 0;
}

int pdf_end(PdfWriter *w)
{
    int rc = w->page_count == 0 || write_outline(w) || write_page_labels(w) ||
                     write_destinations(w) ||
                     (!w->parts && write_print_boxes(w, 0, w->page_count)) ||
                     tags_finish(w->tags) ||
                     font_uses_write(&w->fonts) || pdfo_save(w->doc, w->path)
                 ? -1
                 : 0;
    if (w->page_count == 0)
        diag_error(NULL, "pdf: document has no pages");
    writer_free(w);
    return rc;
}

void pdf_abandon(PdfWriter *w) { writer_free(w); }

int pdf_write(const Document *d, const char *path)
{
    PdfWriter *w = d->tree && d->tree->root
                       ? pdf_begin(&d->info, NULL, d->tree->root->dir == DIR_RTL, path)
                       : NULL;
    if (!w || pdf_add(w, d)) {
        if (!w && !(d->tree && d->tree->root))
            diag_error(NULL, "pdf: document has no structure tree");
        pdf_abandon(w);
        return -1;
    }
    return pdf_end(w);
}
