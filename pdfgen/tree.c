/* tree.c — building and dumping the document tree.  See tree.h. */
#include "tree.h"

#include <string.h>

Tree *tree_new(Arena *arena, const char *lang, Direction dir, SourcePos pos)
{
    Tree *tree = arena_alloc(arena, sizeof *tree);
    tree->arena = arena;
    Node *root = arena_alloc(arena, sizeof *root);
    root->kind = NODE_DOCUMENT;
    root->lang = lang;
    root->dir = dir;
    root->pos = pos;
    root->id = ++tree->node_count;
    tree->root = root;
    return tree;
}

Node *tree_add(Tree *tree, Node *parent, NodeKind kind, SourcePos pos)
{
    Node *node = arena_alloc(tree->arena, sizeof *node);
    node->kind = kind;
    node->parent = parent;
    node->lang = parent->lang;
    node->dir = parent->dir;
    node->dir_from_text = parent->dir_from_text;
    node->type = parent->type;
    node->justify = parent->justify && kind != NODE_LBL;
    node->min_size = parent->min_size;
    node->pos = pos;
    node->id = ++tree->node_count;
    if (parent->last_child)
        parent->last_child->next = node;
    else
        parent->first_child = node;
    parent->last_child = node;
    return node;
}

Node *tree_add_text(Tree *tree, Node *parent, const char *utf8, FontStyle font, SourcePos pos)
{
    Node *text = tree_add(tree, parent, NODE_TEXT, pos);
    text->utf8 = utf8;
    text->font = font;
    return text;
}

const char *node_kind_name(NodeKind kind)
{
    static const char *const names[] = {
        [NODE_DOCUMENT] = "Document", [NODE_SECT] = "Sect", [NODE_H1] = "H1",
        [NODE_H2] = "H2", [NODE_P] = "P", [NODE_L] = "L", [NODE_LI] = "LI",
        [NODE_LBL] = "Lbl", [NODE_LBODY] = "LBody", [NODE_NOTE] = "Note",
        [NODE_LINK] = "Link", [NODE_FIGURE] = "Figure", [NODE_TOC] = "TOC",
        [NODE_TOCI] = "TOCI", [NODE_TEXT] = "Text",
        [NODE_ARTIFACT] = "Artifact",
    };
    return (unsigned)kind < sizeof names / sizeof *names ? names[kind] : "?";
}

const Node *node_element(const Node *node)
{
    return node->kind == NODE_TEXT ? node->parent : node;
}

bool node_is_block(const Node *node)
{
    if (!node->first_child || node->kind == NODE_LINK)
        return false;
    for (const Node *c = node->first_child; c; c = c->next)
        if (c->kind != NODE_TEXT && c->kind != NODE_LINK)
            return false;
    return true;
}

static void dump_quoted(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c < 0x20 || c == 0x7F)
            fprintf(out, "\\x%02X", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

static const char *const furniture_names[] = {
    [FURNITURE_NONE] = "", [FURNITURE_HEAD] = "head", [FURNITURE_FOOT_START] = "foot-start",
    [FURNITURE_FOOT_END] = "foot-end", [FURNITURE_FOOT_RULE] = "foot-rule",
};

static const char *const font_names[] = {
    [STYLE_REGULAR] = "regular", [STYLE_BOLD] = "bold", [STYLE_ITALIC] = "italic",
    [STYLE_BOLD_ITALIC] = "bold-italic", [STYLE_COUNT] = "?",
};

static void dump_node(const Node *n, FILE *out, int depth, const char *strip)
{
    fprintf(out, "%*s%s", depth * 2, "", node_kind_name(n->kind));
    /* Language and direction only where they change: an English citation
     * on an Arabic sheet stands out. */
    const Node *p = n->parent;
    if (!p || strcmp(p->lang, n->lang) != 0)
        fprintf(out, " lang=%s", n->lang);
    if (!p || p->dir != n->dir)
        fprintf(out, " dir=%s", n->dir == DIR_RTL ? "rtl" : "ltr");
    if (n->dir_from_text && (!p || !p->dir_from_text))
        fputs(" dir=from-text", out);
    if (n->kind == NODE_TEXT)
        fprintf(out, " %s", font_names[n->font < STYLE_COUNT ? n->font : STYLE_COUNT]);
    if (n->kind == NODE_ARTIFACT)
        fprintf(out, " %s", furniture_names[n->furniture]);
    if (node_is_block(n))
        fprintf(out, " %gpt/%g", n->type.size, n->type.leading);
    if (n->keep_with_next)
        fputs(" keep-with-next", out);
    if (n->keep_together)
        fputs(" keep-together", out);
    if (n->bookmark)
        fputs(" bookmark", out);
    if (n->justify && node_is_block(n))
        fputs(" justify", out);
    if (n->deco.pad > 0 || n->deco.fill)
        fputs(" box", out);
    if (n->uri)
        fprintf(out, " uri=%s", n->uri);
    if (n->dest)
        fprintf(out, " dest=%s", n->dest);
    if (n->modules)
        fprintf(out, " grid=%ux%u size=%gpt", n->modules_per_side, n->modules_per_side,
                n->figure_size);
    if (n->anchor)
        fprintf(out, " anchor=%s", n->anchor);
    if (n->at_end)
        fputs(" at-end", out);
    if (n->alt) {
        fputs(" alt=", out);
        dump_quoted(out, n->alt);
    }
    if (n->pos.file) {
        const char *file = n->pos.file;
        size_t k = strip ? strlen(strip) : 0;
        if (k && strncmp(file, strip, k) == 0)
            file += k;
        fprintf(out, " @%s:%u:%u", file, n->pos.line, n->pos.col);
    }
    if (n->utf8) {
        fputc(' ', out);
        dump_quoted(out, n->utf8);
    }
    fputc('\n', out);
    for (const Node *c = n->first_child; c; c = c->next)
        dump_node(c, out, depth + 1, strip);
}

void tree_dump(const Tree *tree, FILE *out, const char *strip_prefix)
{
    dump_node(tree->root, out, 0, strip_prefix);
}
