/* pdf_tags.c — the structure tree.  See pdf_tags.h. */
#include "pdf_tags.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* One piece of content of a node: a marked-content sequence (mcid >= 0)
 * or an annotation (obj). */
typedef struct Piece {
    PdfObj page;
    int mcid;
    PdfObj obj;
} Piece;

typedef struct NodeTags {
    PdfObj element;
    PdfObj page; /* the element's /Pg: the page of its first content */
    Piece *content;
    size_t count, cap;
} NodeTags;

struct Tags {
    PdfDoc *doc;
    const char *root_lang; /* the document's: the catalog's /Lang */
    /* A document of parts (a booklet): top is its Document node, not in
     * any part's tree; each part's root is a Sect under it. */
    const Node *top;
    NodeTags top_tags;
    PdfObj *parts; /* references to the parts' elements, in order */
    size_t part_count, part_cap;
    const Tree *tree; /* the part being written */
    NodeTags *nodes; /* by Node.id in tree */
    PdfObj root;
    /* The ParentTree's /Nums; of a document of parts, each part's own, a
     * leaf of the tree written with the part (kids: references to them). */
    PdfObj nums, kids;
    int part_first_key;
    PdfObj page, page_parents; /* the current page and its MCIDs' elements */
    int next_mcid;
    int next_key; /* ParentTree keys: pages and annotations, ascending */
    bool failed;
    bool handed_over; /* nums, kids and parts are in the tree (tags_finish) */
};

Tags *tags_new(PdfDoc *doc, const Node *top)
{
    Tags *tags = xcalloc(1, sizeof *tags);
    tags->doc = doc;
    tags->top = top;
    tags->root_lang = top ? top->lang : NULL;
    tags->root = pdfo_indirect_dict(doc);
    tags->nums = pdfo_array(doc);
    tags->kids = top ? pdfo_array(doc) : NULL;
    if (pdfo_check(doc, "structure tree", !tags->root || !tags->nums || (top && !tags->kids) ||
                                              pdfo_put_name(tags->root, "Type", "StructTreeRoot"))) {
        tags_free(tags);
        return NULL;
    }
    return tags;
}

static void free_part(Tags *tags)
{
    for (unsigned i = 0; tags->tree && i <= tags->tree->node_count; i++)
        free(tags->nodes[i].content);
    free(tags->nodes);
    tags->nodes = NULL;
    tags->tree = NULL;
}

void tags_free(Tags *tags)
{
    if (!tags)
        return;
    free_part(tags);
    /* a document abandoned before its end: what no object holds yet */
    if (!tags->handed_over) {
        pdfo_discard(tags->doc, tags->nums);
        pdfo_discard(tags->doc, tags->kids);
        for (size_t i = 0; i < tags->part_count; i++)
            pdfo_discard(tags->doc, tags->parts[i]);
    }
    free(tags->top_tags.content);
    free(tags->parts);
    free(tags);
}

int tags_part(Tags *tags, const Tree *tree)
{
    if (tags->tree && tags_part_end(tags))
        return -1;
    tags->tree = tree;
    tags->nodes = xcalloc((size_t)tree->node_count + 1, sizeof *tags->nodes);
    tags->part_first_key = tags->next_key;
    if (!tags->nums && !(tags->nums = pdfo_array(tags->doc)))
        return pdfo_check(tags->doc, "structure tree", true);
    if (!tags->root_lang)
        tags->root_lang = tree->root->lang;
    return 0;
}

static NodeTags *slot(Tags *tags, const Node *node)
{
    return node == tags->top ? &tags->top_tags : &tags->nodes[node->id];
}

static int finish_node(Tags *tags, const Node *node);

/* In a document of parts, the parent tree outlives the parts' objects
 * and so refers to them by number. */
static PdfObj lasting(Tags *tags, PdfObj obj)
{
    return tags->top ? pdfo_ref(tags->doc, obj) : obj;
}


int tags_part_end(Tags *tags)
{
    if (!tags->tree)
        return 0;
    int bad = 0;
    if (tags->top) {
        /* The part's elements are done: the Sect's kids, and the Sect
         * one of the Document's. */
        const Node *root = tags->tree->root;
        PdfObj e = tags->nodes[root->id].element;
        if (e) {
            bad |= finish_node(tags, root);
            if (tags->part_count == tags->part_cap) {
                tags->part_cap = tags->part_cap ? tags->part_cap * 2 : 16;
                tags->parts = xreallocarray(tags->parts, tags->part_cap, sizeof *tags->parts);
            }
            tags->parts[tags->part_count++] = lasting(tags, e);
            bad |= !tags->parts[tags->part_count - 1];
        }
        if (tags->next_key > tags->part_first_key) {
            PdfObj leaf = pdfo_indirect_dict(tags->doc), limits = pdfo_array(tags->doc);
            bad |= !leaf || !limits;
            bad |= pdfo_push_int(limits, tags->part_first_key);
            bad |= pdfo_push_int(limits, tags->next_key - 1);
            bad |= pdfo_put(leaf, "Limits", limits);
            bad |= pdfo_put(leaf, "Nums", tags->nums);
            bad |= pdfo_push(tags->kids, leaf ? pdfo_ref(tags->doc, leaf) : NULL);
            tags->nums = NULL; /* the next part's is made with its first key */
        }
        free_part(tags);
    }
    return pdfo_check(tags->doc, "structure tree", bad);
}

/* The node's element, made on first use with its ancestors'. */
static PdfObj element(Tags *tags, const Node *node)
{
    NodeTags *nt = slot(tags, node);
    if (nt->element)
        return nt->element;
    PdfObj parent = node->parent ? element(tags, node->parent) : tags->root;
    /* The Document of parts gets its kids at the end, when the parts'
     * elements are long written. */
    PdfObj e = node == tags->top ? pdfo_late_dict(tags->doc) : pdfo_indirect_dict(tags->doc);
    /* /Type /StructElem is optional (ISO 32000-1, 14.7.2): 18 bytes an
     * element saved. */
    int bad = !parent || !e;
    bad |= pdfo_put_name(e, "S", node_kind_name(node->kind));
    bad |= pdfo_put(e, "P", parent);
    /* The document's language is the catalog's /Lang; an element says its
     * own only where it differs, e.g. an English citation on an Arabic
     * sheet, so a screen reader switches voice there and back. */
    const char *lang = node->parent ? node->parent->lang : tags->root_lang;
    if (node->parent && strcmp(lang, node->lang) != 0)
        bad |= pdfo_put_text(tags->doc, e, "Lang", node->lang);
    if (node->kind == NODE_FIGURE && node->alt)
        bad |= pdfo_put_text(tags->doc, e, "Alt", node->alt);
    if (bad) {
        tags->failed = true;
        return NULL;
    }
    nt->element = e;
    return e;
}

static void add_content(Tags *tags, const Node *node, Piece c)
{
    NodeTags *nt = slot(tags, node);
    if (nt->count == nt->cap) {
        nt->cap = nt->cap ? nt->cap * 2 : 4;
        nt->content = xreallocarray(nt->content, nt->cap, sizeof *nt->content);
    }
    nt->content[nt->count++] = c;
    /* The element's /Pg: the page of its first content. */
    NodeTags *owner = slot(tags, node_element(node));
    if (!owner->page)
        owner->page = c.page;
}

int tags_page(Tags *tags, PdfObj page)
{
    tags->page = page;
    tags->next_mcid = 0;
    tags->page_parents = tags->top ? pdfo_indirect_array(tags->doc) : pdfo_array(tags->doc);
    int key = tags->next_key++;
    int bad = !tags->page_parents || pdfo_put_int(page, "StructParents", key);
    bad |= pdfo_push_int(tags->nums, key);
    bad |= pdfo_push(tags->nums, lasting(tags, tags->page_parents));
    return pdfo_check(tags->doc, "structure tree", bad);
}

int tags_mcid(Tags *tags, const Node *leaf)
{
    PdfObj e = element(tags, node_element(leaf));
    if (pdfo_check(tags->doc, "structure element", !e || pdfo_push(tags->page_parents, e)))
        return -1;
    int mcid = tags->next_mcid++;
    add_content(tags, leaf, (Piece){tags->page, mcid, NULL});
    return mcid;
}

int tags_annotation(Tags *tags, const Node *link, PdfObj annot)
{
    PdfObj e = element(tags, link);
    int key = tags->next_key++;
    int bad = !e || pdfo_put_int(annot, "StructParent", key);
    bad |= pdfo_push_int(tags->nums, key);
    bad |= pdfo_push(tags->nums, e ? lasting(tags, e) : NULL);
    if (pdfo_check(tags->doc, "link tag", bad))
        return -1;
    add_content(tags, link, (Piece){tags->page, -1, annot});
    return 0;
}

/* A reference to one piece of content, as the element's kid: a bare MCID
 * when it is on the element's own page, an object reference without /Pg
 * then too. */
static int push_content(Tags *tags, PdfObj kids, PdfObj element_page, const Piece *c)
{
    if (c->obj) {
        PdfObj objr = pdfo_dict(tags->doc);
        int bad = pdfo_put_name(objr, "Type", "OBJR");
        bad |= pdfo_put(objr, "Obj", c->obj);
        if (c->page != element_page)
            bad |= pdfo_put(objr, "Pg", c->page);
        return bad | pdfo_push(kids, objr);
    }
    if (c->page == element_page)
        return pdfo_push_int(kids, c->mcid);
    PdfObj mcr = pdfo_dict(tags->doc);
    int bad = pdfo_put_name(mcr, "Type", "MCR");
    bad |= pdfo_put(mcr, "Pg", c->page);
    bad |= pdfo_put_int(mcr, "MCID", c->mcid);
    return bad | pdfo_push(kids, mcr);
}

/* Kids in reading order: the node's TEXT leaves' content and its child
 * elements as they stand in the tree, then its own (a link's OBJR). */
static int finish_node(Tags *tags, const Node *node)
{
    NodeTags *nt = slot(tags, node);
    if (!nt->element)
        return 0;
    PdfObj kids = pdfo_array(tags->doc);
    int bad = !kids;
    /* The Document of parts: their Sects, finished as each part ended. */
    for (size_t i = 0; node == tags->top && i < tags->part_count; i++)
        bad |= pdfo_push(kids, tags->parts[i]);
    for (const Node *c = node == tags->top ? NULL : node->first_child; c; c = c->next) {
        NodeTags *ct = &tags->nodes[c->id];
        if (c->kind == NODE_TEXT) {
            for (size_t i = 0; i < ct->count; i++)
                bad |= push_content(tags, kids, nt->page, &ct->content[i]);
        } else if (ct->element) {
            bad |= pdfo_push(kids, ct->element);
            bad |= finish_node(tags, c);
        }
    }
    for (size_t i = 0; i < nt->count; i++)
        bad |= push_content(tags, kids, nt->page, &nt->content[i]);
    if (nt->page)
        bad |= pdfo_put(nt->element, "Pg", nt->page);
    return bad | pdfo_put(nt->element, "K", kids);
}

int tags_finish(Tags *tags)
{
    PdfDoc *doc = tags->doc;
    if (tags->top && tags_part_end(tags))
        return -1;
    const Node *top = tags->top ? tags->top : tags->tree ? tags->tree->root : NULL;
    PdfObj document = top ? slot(tags, top)->element : NULL;
    PdfObj parent_tree = pdfo_dict(doc);
    PdfObj mark_info = pdfo_dict(doc);
    int bad = tags->failed || !document || !parent_tree || !mark_info;
    if (!bad) {
        tags->handed_over = true;
        bad |= finish_node(tags, top);
        bad |= pdfo_put(tags->root, "K", document);
        if (tags->kids) {
            bad |= pdfo_put(parent_tree, "Kids", tags->kids);
            /* Every part has pages, each with its key: no part's array
             * is left without a leaf. */
            bad |= tags->nums != NULL;
        } else {
            bad |= pdfo_put(parent_tree, "Nums", tags->nums);
        }
        bad |= pdfo_put(tags->root, "ParentTree", parent_tree);
        bad |= pdfo_put_int(tags->root, "ParentTreeNextKey", tags->next_key);
        bad |= pdfo_put(pdfo_catalog(doc), "StructTreeRoot", tags->root);
        bad |= pdfo_put_bool(mark_info, "Marked", true);
        bad |= pdfo_put(pdfo_catalog(doc), "MarkInfo", mark_info);
    }
    return pdfo_check(doc, "structure tree", bad);
}
