/* glossary.c — the "Words to know" template: a language's glossary into
 * a document tree.  See glossary.h.  Like sheet.c it says what each piece
 * is and how it looks; the flow engine decides where it goes. */
#include "glossary.h"

#include <string.h>
#include <unicode/uloc.h>

#include "collate.h"
#include "format.h"

#define INK {0.10f, 0.11f, 0.12f}
#define BRAND {0.04f, 0.30f, 0.42f}
#define MUTED {0.33f, 0.35f, 0.38f}
#define DRAFT_FILL {1.0f, 0.96f, 0.84f}
#define DRAFT_EDGE {0.78f, 0.56f, 0.0f}

/* The sheets' type: 12 pt body, the same heading colours. */
static const TypeStyle BODY = {STYLE_REGULAR, 12, 16.5, INK};
static const TypeStyle BODY_ITALIC = {STYLE_ITALIC, 12, 16.5, INK};
static const TypeStyle TITLE = {STYLE_BOLD, 26, 31, BRAND};
static const TypeStyle LETTER = {STYLE_BOLD, 18, 23, BRAND};
static const TypeStyle TERM = {STYLE_BOLD, 12.5, 17, INK};
static const TypeStyle FOOTER = {STYLE_REGULAR, 9.5, 12, MUTED};

typedef struct Builder {
    Tree *tree;
    Arena *arena;
} Builder;

static Node *block(Builder *b, Node *parent, NodeKind kind, const Text *text, TypeStyle type,
                   double space_before)
{
    Node *node = tree_add(b->tree, parent, kind, text->pos);
    node->type = type;
    node->space_before = space_before;
    tree_add_text(b->tree, node, text->utf8, type.font, text->pos);
    return node;
}

static Node *artifact(Builder *b, Furniture role, SourcePos pos)
{
    Node *node = tree_add(b->tree, b->tree->root, NODE_ARTIFACT, pos);
    node->furniture = role;
    node->type = FOOTER;
    return node;
}

static void furniture(Builder *b, const Glossary *g, const Strings *s)
{
    Node *head = artifact(b, FURNITURE_HEAD, g->title.pos);
    tree_add_text(b->tree, head, g->title.utf8, STYLE_BOLD, g->title.pos);
    tree_add_text(b->tree, head, " \xC2\xB7 ", STYLE_REGULAR, s->series.pos); /* middle dot */
    tree_add_text(b->tree, head, s->series.utf8, STYLE_REGULAR, s->series.pos);
    Node *rule = artifact(b, FURNITURE_FOOT_RULE, s->page_of.pos);
    rule->deco = (Decoration){.fill = true, .fill_color = MUTED};
    Node *start = artifact(b, FURNITURE_FOOT_START, g->title.pos);
    tree_add_text(b->tree, start, g->title.utf8, FOOTER.font, g->title.pos);
    Node *end = artifact(b, FURNITURE_FOOT_END, s->page_of.pos);
    tree_add_text(b->tree, end, s->page_of.utf8, FOOTER.font, s->page_of.pos);
}

/* One Sect per letter, one Sect per term inside it: the term keeps with
 * its definition, and a short definition is never split. */
static bool sections(Builder *b, const Glossary *g, const char *locale)
{
    const char **keys = arena_array(b->arena, g->term_count ? g->term_count : 1, sizeof *keys);
    for (size_t i = 0; i < g->term_count; i++)
        keys[i] = g->terms[i].reading.utf8 ? g->terms[i].reading.utf8 : g->terms[i].term.utf8;
    Index index;
    if (collate_index(b->arena, locale, keys, g->term_count, &index) != 0)
        return false;
    for (size_t s = 0; s < index.count; s++) {
        const IndexSection *section = &index.sections[s];
        const GlossaryTerm *first = &g->terms[section->items[0]];
        Node *sect = tree_add(b->tree, b->tree->root, NODE_SECT, first->term.pos);
        Text letter = {(char *)section->label, first->term.pos};
        Node *h2 = block(b, sect, NODE_H2, &letter, LETTER, s == 0 ? 18 : 16);
        h2->keep_with_next = true;
        h2->bookmark = true;
        for (size_t i = 0; i < section->count; i++) {
            const GlossaryTerm *t = &g->terms[section->items[i]];
            Node *entry = tree_add(b->tree, sect, NODE_SECT, t->term.pos);
            entry->space_before = i == 0 ? 4 : 9;
            Node *term = block(b, entry, NODE_P, &t->term, TERM, 0);
            term->keep_with_next = true;
            block(b, entry, NODE_P, &t->definition, BODY, 1);
        }
    }
    return true;
}

Tree *glossary_tree(Arena *arena, const GlossaryRequest *request)
{
    const Language *language = request->language;
    const Glossary *g = &language->glossary;
    const Strings *s = &language->strings;
    if (!g->file)
        return NULL;
    Builder b = {.arena = arena};
    b.tree = tree_new(arena, s->locale.utf8,
                      uloc_isRightToLeft(s->locale.utf8) ? DIR_RTL : DIR_LTR,
                      (SourcePos){g->file, 1, 1});
    b.tree->root->type = BODY;
    block(&b, b.tree->root, NODE_H1, &g->title, TITLE, 0);
    if (g->draft_notice.utf8) {
        Node *note = block(&b, b.tree->root, NODE_NOTE, &g->draft_notice, BODY_ITALIC, 12);
        note->deco = (Decoration){.pad = 10, .fill = true, .fill_color = DRAFT_FILL,
                                  .line_width = 1, .stroke = DRAFT_EDGE, .radius = 4};
        note->keep_together = true;
    }
    block(&b, b.tree->root, NODE_P, &g->intro, BODY, 12);
    if (!sections(&b, g, s->locale.utf8))
        return NULL;
    furniture(&b, g, s);
    return b.tree;
}

/* The glossary is as new as the newest sheet it explains. */
static const Date *latest_revision(const Language *language)
{
    const Date *latest = NULL;
    for (size_t i = 0; i < language->drug_count; i++) {
        const Date *d = &language->drugs[i].last_revised;
        if (!latest || d->year > latest->year ||
            (d->year == latest->year &&
             (d->month > latest->month || (d->month == latest->month && d->day > latest->day))))
            latest = d;
    }
    return latest;
}

Document *glossary_document(Arena *arena, Shaper *shaper, const GlossaryRequest *request)
{
    const Language *language = request->language;
    const Strings *s = &language->strings;
    Tree *tree = glossary_tree(arena, request);
    if (!tree)
        return NULL;
    PageGeometry geometry = page_geometry(request->paper);
    Document *doc = flow_layout(arena, shaper, tree, &geometry);
    if (!doc)
        return NULL;
    const Date *date = latest_revision(language);
    doc->info = (DocInfo){
        .title = arena_printf(arena, "%s: %s", language->glossary.title.utf8, s->sheet_title.utf8),
        .author = s->author.utf8,
        .subject = language->glossary.intro.utf8,
        .creator = request->creator,
        .lang = s->locale.utf8,
        .year = date ? date->year : 0,
        .month = date ? date->month : 0,
        .day = date ? date->day : 0,
    };
    return doc;
}
