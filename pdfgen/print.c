/* print.c — bleed, trim and crop marks.  See print.h. */
#include "print.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MM (72.0 / 25.4)
#define MARK_GAP 3.0     /* between the bleed edge and a mark, points */
#define MARK_LENGTH 18.0 /* points */
#define MARK_WIDTH 0.25  /* points: hairline */

double print_parse_bleed(const char *text)
{
    /* Decimal digits and at most one point, as the help shows: strtod
     * alone would also take " 3mm", "+3mm", "3e0mm" and hexadecimal
     * ("0x10mm" as 16 mm). */
    size_t digits = strspn(text, "0123456789");
    if (text[digits] == '.')
        digits += 1 + strspn(text + digits + 1, "0123456789");
    if (digits == 0 || (digits == 1 && text[0] == '.'))
        return -1;
    char *end = NULL;
    double value = strtod(text, &end);
    if (end != text + digits || !isfinite(value))
        return -1;
    double points;
    if (strcmp(end, "mm") == 0)
        points = value * MM;
    else if (strcmp(end, "pt") == 0)
        points = value;
    else if (strcmp(end, "in") == 0)
        points = value * 72.0;
    else
        return -1;
    return points > 0 && points <= 20 * MM + 1e-9 ? points : -1;
}

static Box *push(Arena *arena, Page *page)
{
    page->boxes = arena_reserve(arena, page->boxes, page->box_count, &page->box_cap,
                                sizeof *page->boxes);
    Box *box = &page->boxes[page->box_count++];
    memset(box, 0, sizeof *box);
    return box;
}

static void mark(Arena *arena, Page *page, double x, double y, double width, double height)
{
    Box *box = push(arena, page);
    box->kind = BOX_RECT;
    box->artifact = true;
    box->u.rect = (RectBox){.x = x, .y = y, .width = width, .height = height, .fill = 1,
                            .fill_color = {0, 0, 0}};
}

/* Two marks at each corner of the trim box, along its edges' lines,
 * beginning MARK_GAP outside the bleed. */
static void crop_marks(Arena *arena, Page *page, double m, double w, double h, double bleed)
{
    double out = bleed + MARK_GAP, half = MARK_WIDTH / 2;
    const double xs[2] = {m, m + w}, ys[2] = {m, m + h};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            double x = xs[i], y = ys[j];
            double hx = i == 0 ? x - out - MARK_LENGTH : x + out;
            double vy = j == 0 ? y - out - MARK_LENGTH : y + out;
            mark(arena, page, hx, y - half, MARK_LENGTH, MARK_WIDTH); /* horizontal */
            mark(arena, page, x - half, vy, MARK_WIDTH, MARK_LENGTH); /* vertical */
        }
}

void print_add_bleed(Arena *arena, Document *doc, double bleed)
{
    double m = bleed + MARK_GAP + MARK_LENGTH + 3; /* trim box to the sheet's edge */
    double w = doc->width, h = doc->height;
    for (size_t p = 0; p < doc->page_count; p++) {
        Page *page = &doc->pages[p];
        for (size_t i = 0; i < page->box_count; i++) {
            Box *b = &page->boxes[i];
            if (b->kind == BOX_TEXT) {
                b->u.text.x += m;
                b->u.text.y += m;
            } else {
                b->u.rect.x += m;
                b->u.rect.y += m;
            }
        }
        crop_marks(arena, page, m, w, h, bleed);
    }
    for (size_t i = 0; i < doc->bookmark_count; i++)
        doc->bookmarks[i].y += m;
    doc->width = w + 2 * m;
    doc->height = h + 2 * m;
    doc->trim = (PrintBox){true, m, m, m + w, m + h};
    doc->bleed = (PrintBox){true, m - bleed, m - bleed, m + w + bleed, m + h + bleed};
}
