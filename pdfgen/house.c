/* house.c — the band on a draft or out-of-date translation.  See house.h. */
#include "house.h"

#include <string.h>


static void band_line(Tree *tree, Node *band, const Text *words, const Strings *of,
                      TypeStyle type, FontStyle font, bool first)
{
    Node *p = tree_add(tree, band, NODE_P, words->pos);
    p->lang = of->locale.utf8;
    p->type = type;
    p->justify = false;
    p->space_before = first ? 0 : 2;
    tree_add_text(tree, p, words->utf8, font, words->pos);
}

/* The band's words, own language then English, unless English is the
 * language (it never has a band) or gives none. */
static void band_lines(Tree *tree, Node *band, const Strings *own, const Strings *english,
                       size_t which, TypeStyle type, bool *first)
{
    const Text *mine = which ? &own->stale_band : &own->draft_band;
    const Text *theirs = english ? (which ? &english->stale_band : &english->draft_band) : NULL;
    TypeStyle bold = type;
    bold.font = STYLE_BOLD;
    if (mine->utf8) {
        band_line(tree, band, mine, own, bold, STYLE_BOLD, *first);
        *first = false;
    }
    if (theirs && theirs->utf8 && english != own) {
        band_line(tree, band, theirs, english, bold, STYLE_BOLD, *first);
        *first = false;
    }
}

Node *house_review_band(Tree *tree, Node *parent, const Language *language, const ReviewStatus *status,
                        const Text *notice, TypeStyle text, double space_before)
{
    if (status->source || (!status->draft && !status->stale))
        return NULL;
    const Language *en = language->source;
    const Strings *own = &language->strings, *english = en ? &en->strings : NULL;
    Node *band = tree_add(tree, parent, NODE_SECT, own->draft_band.pos);
    band->deco = (Decoration){.pad = 10, .fill = true, .fill_color = BAND_FILL,
                              .line_width = 3, .stroke = BAND_EDGE, .radius = 2};
    band->keep_together = true;
    band->space_before = space_before;
    text.color = (Color)INK;
    bool first = true;
    if (status->stale)
        band_lines(tree, band, own, english, 1, text, &first);
    if (status->draft)
        band_lines(tree, band, own, english, 0, text, &first);
    if (status->draft && notice && notice->utf8) {
        Node *note = tree_add(tree, band, NODE_NOTE, notice->pos);
        note->type = text;
        note->justify = false;
        note->space_before = first ? 0 : 6;
        tree_add_text(tree, note, notice->utf8, text.font, notice->pos);
    }
    return band;
}

const char *house_review_keywords(Arena *arena, const Language *language,
                                  const ReviewStatus *status)
{
    if (status->source || (!status->draft && !status->stale))
        return NULL;
    const Strings *own = &language->strings;
    const Strings *english = language->source ? &language->source->strings : own;
    const char *parts[4];
    size_t n = 0;
    if (status->stale) {
        parts[n++] = english->stale_band.utf8;
        parts[n++] = own->stale_band.utf8;
    }
    if (status->draft) {
        parts[n++] = english->draft_band.utf8;
        parts[n++] = own->draft_band.utf8;
    }
    const char *keywords = status->stale ? "stale translation" : "draft translation";
    for (size_t i = 0; i < n; i++)
        if (parts[i] && (i == 0 || !parts[i - 1] || strcmp(parts[i], parts[i - 1]) != 0))
            keywords = arena_printf(arena, "%s; %s", keywords, parts[i]);
    return keywords;
}

DocInfo house_document_info(Arena *arena, const Language *language, const ReviewStatus *review,
                            const char *title, const char *subject, const char *creator,
                            const Date *date)
{
    const Strings *s = &language->strings;
    return (DocInfo){
        .title = title,
        .author = s->author.utf8,
        .subject = subject,
        .creator = creator,
        .lang = s->locale.utf8,
        .review_status = review_status_name(review),
        .keywords = house_review_keywords(arena, language, review),
        .year = date ? date->year : 0,
        .month = date ? date->month : 0,
        .day = date ? date->day : 0,
    };
}
