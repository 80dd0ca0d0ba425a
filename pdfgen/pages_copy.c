/* pages_copy.c — a laid-out Document moved into another arena.  See
 * pages_copy.h. */
#include "pages_copy.h"

#include <string.h>

typedef struct Copier {
    Arena *to;
    /* by node id: the original and its copy */
    const Node **from_nodes;
    Node **to_nodes;
    unsigned node_count;
    /* the last string copied: the spans of a paragraph share its text, and
     * most nodes their language */
    const char *last_text, *last_text_copy;
    const char *last_lang, *last_lang_copy;
} Copier;

static const char *copy_string(Copier *c, const char *s)
{
    return s ? arena_strndup(c->to, s, strlen(s)) : NULL;
}

static const char *copy_shared(Copier *c, const char *s, const char **last, const char **last_copy)
{
    if (s != *last) {
        *last = s;
        *last_copy = copy_string(c, s);
    }
    return *last_copy;
}

static Node *copy_node(Copier *c, const Node *node, Node *parent)
{
    Node *n = arena_alloc(c->to, sizeof *n);
    *n = *node;
    n->parent = parent;
    n->first_child = n->last_child = n->next = NULL;
    n->lang = copy_shared(c, node->lang, &c->last_lang, &c->last_lang_copy);
    n->utf8 = copy_string(c, node->utf8);
    n->uri = copy_string(c, node->uri);
    n->dest = copy_string(c, node->dest);
    n->anchor = copy_string(c, node->anchor);
    n->alt = copy_string(c, node->alt);
    if (node->modules) {
        size_t size = (size_t)node->modules_per_side * node->modules_per_side;
        unsigned char *modules = arena_alloc(c->to, size ? size : 1);
        memcpy(modules, node->modules, size);
        n->modules = modules;
    }
    if (node->id <= c->node_count) {
        c->from_nodes[node->id] = node;
        c->to_nodes[node->id] = n;
    }
    return n;
}

static Node *copy_subtree(Copier *c, const Node *node, Node *parent)
{
    Node *n = copy_node(c, node, parent);
    for (const Node *child = node->first_child; child; child = child->next) {
        Node *k = copy_subtree(c, child, n);
        if (n->last_child)
            n->last_child->next = k;
        else
            n->first_child = k;
        n->last_child = k;
    }
    return n;
}

/* The copy of a node a box draws: the tree's, or (a node the tree does not
 * reach, which layout never draws) a copy of its own. */
static const Node *copied(Copier *c, const Node *node)
{
    if (!node)
        return NULL;
    if (node->id <= c->node_count && c->from_nodes[node->id] == node)
        return c->to_nodes[node->id];
    const Node *parent = node->parent && node->parent->id <= c->node_count &&
                                 c->from_nodes[node->parent->id] == node->parent
                             ? c->to_nodes[node->parent->id]
                             : NULL;
    return copy_node(c, node, (Node *)parent);
}

static Tree *copy_tree(Copier *c, const Tree *tree)
{
    Tree *t = arena_alloc(c->to, sizeof *t);
    *t = *tree;
    t->arena = c->to;
    t->keep_whole = NULL; /* for the layout, which is done */
    t->number_locale = copy_string(c, tree->number_locale);
    t->root = copy_subtree(c, tree->root, NULL);
    return t;
}

static void copy_box(Copier *c, Box *to, const Box *from)
{
    *to = *from;
    to->node = copied(c, from->node);
    if (from->kind != BOX_TEXT)
        return;
    GlyphSpan *s = &to->u.text;
    if (s->glyph_count) {
        Glyph *glyphs = arena_array(c->to, s->glyph_count, sizeof *glyphs);
        memcpy(glyphs, from->u.text.glyphs, s->glyph_count * sizeof *glyphs);
        s->glyphs = glyphs;
    }
    s->text = copy_shared(c, from->u.text.text, &c->last_text, &c->last_text_copy);
    s->lang = copy_shared(c, from->u.text.lang, &c->last_lang, &c->last_lang_copy);
}

Document *document_copy(Arena *to, const Document *doc)
{
    Copier c = {.to = to};
    Document *d = arena_alloc(to, sizeof *d);
    *d = *doc;
    if (doc->tree) {
        c.node_count = doc->tree->node_count;
        c.from_nodes = arena_array(to, (size_t)c.node_count + 1, sizeof *c.from_nodes);
        c.to_nodes = arena_array(to, (size_t)c.node_count + 1, sizeof *c.to_nodes);
        d->tree = copy_tree(&c, doc->tree);
    }
    d->pages = doc->page_count ? arena_array(to, doc->page_count, sizeof *d->pages) : NULL;
    for (size_t p = 0; p < doc->page_count; p++) {
        const Page *from = &doc->pages[p];
        Page *page = &d->pages[p];
        *page = (Page){.box_count = from->box_count, .box_cap = from->box_count};
        page->boxes = from->box_count ? arena_array(to, from->box_count, sizeof *page->boxes)
                                      : NULL;
        for (size_t b = 0; b < from->box_count; b++)
            copy_box(&c, &page->boxes[b], &from->boxes[b]);
    }
    if (doc->bookmark_count) {
        d->bookmarks = arena_array(to, doc->bookmark_count, sizeof *d->bookmarks);
        for (size_t i = 0; i < doc->bookmark_count; i++) {
            d->bookmarks[i] = doc->bookmarks[i];
            d->bookmarks[i].title = copy_string(&c, doc->bookmarks[i].title);
        }
        if (doc->bookmark_levels) {
            unsigned *levels = arena_array(to, doc->bookmark_count, sizeof *levels);
            memcpy(levels, doc->bookmark_levels, doc->bookmark_count * sizeof *levels);
            d->bookmark_levels = levels;
        }
    }
    if (doc->page_label_count) {
        d->page_labels = arena_array(to, doc->page_label_count, sizeof *d->page_labels);
        for (size_t i = 0; i < doc->page_label_count; i++) {
            d->page_labels[i] = doc->page_labels[i];
            d->page_labels[i].prefix = copy_string(&c, doc->page_labels[i].prefix);
        }
    }
    /* A string added to DocInfo must be copied here too, or the copy
     * would point into the arena the caller frees next. */
    _Static_assert(sizeof(DocInfo) == 7 * sizeof(const char *) + 6 * sizeof(int),
                   "DocInfo changed: copy its new fields");
    DocInfo *info = &d->info;
    info->title = copy_string(&c, doc->info.title);
    info->author = copy_string(&c, doc->info.author);
    info->subject = copy_string(&c, doc->info.subject);
    info->creator = copy_string(&c, doc->info.creator);
    info->lang = copy_string(&c, doc->info.lang);
    info->keywords = copy_string(&c, doc->info.keywords);
    info->review_status = copy_string(&c, doc->info.review_status);
    return d;
}
