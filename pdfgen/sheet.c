/* sheet.c — the fact-sheet template: a Drug and its language's strings
 * into a document tree.  See sheet.h.  It says what each piece is and how
 * it looks; the flow engine decides where it goes. */
#include "sheet.h"

#include <string.h>
#include <unicode/uloc.h>

#include "content.h"
#include "format.h"
#include "house.h"
#include "qr.h"

/* The type of a sheet.  Regular: body at 12 pt, the floor for patient
 * material that may be read by people with low vision; references may go
 * smaller; running text justified.  Large print: body at 18 pt and nothing
 * under 14 pt, headings larger, ragged right (large-print guidance advises
 * against justification), list indents in proportion. */
typedef struct SheetStyles {
    TypeStyle body, body_italic, advice, heading, drug_name, drug_class, series, title, help_heading,
        phone, reference, footer, running_head;
    double reference_min;      /* the smallest the references may go */
    double bullet_indent, bullet_text_indent, number_text_indent;
    bool justify;
} SheetStyles;

static const SheetStyles REGULAR = {
    .body = {STYLE_REGULAR, 12, 16.5, INK},
    .body_italic = {STYLE_ITALIC, 12, 16.5, INK},
    /* The closing advice to ask a doctor is the one sentence a patient
     * must not miss: bold in the brand colour, which also spares an
     * English sheet its only italic font (2.4 KB, a tenth of the file). */
    .advice = {STYLE_BOLD, 12, 16.5, BRAND},
    .heading = {STYLE_BOLD, 15, 19, BRAND},
    .drug_name = {STYLE_BOLD, 26, 31, BRAND},
    .drug_class = {STYLE_REGULAR, 13, 18, MUTED},
    .series = {STYLE_REGULAR, 12, 16, BAND_TINT},
    .title = {STYLE_BOLD, 20, 25, WHITE},
    .help_heading = {STYLE_BOLD, 14, 19, BRAND},
    .phone = {STYLE_BOLD, 20, 27, BRAND},
    .reference = {STYLE_REGULAR, 9, 11.5, INK},
    .footer = {STYLE_REGULAR, 9.5, 12, MUTED},
    .running_head = {STYLE_REGULAR, 9.5, 12, MUTED},
    .reference_min = 8.5,
    .bullet_indent = 6, .bullet_text_indent = 22, .number_text_indent = 16,
    .justify = true,
};

static const SheetStyles LARGE = {
    .body = {STYLE_REGULAR, 18, 25, INK},
    .body_italic = {STYLE_ITALIC, 18, 25, INK},
    .advice = {STYLE_BOLD, 18, 25, BRAND},
    .heading = {STYLE_BOLD, 22, 28, BRAND},
    .drug_name = {STYLE_BOLD, 34, 41, BRAND},
    .drug_class = {STYLE_REGULAR, 18, 25, MUTED},
    .series = {STYLE_REGULAR, 16, 21, BAND_TINT},
    .title = {STYLE_BOLD, 26, 32, WHITE},
    .help_heading = {STYLE_BOLD, 20, 26, BRAND},
    .phone = {STYLE_BOLD, 28, 36, BRAND},
    .reference = {STYLE_REGULAR, 14, 18, INK},
    .footer = {STYLE_REGULAR, 14, 17, MUTED},
    .running_head = {STYLE_REGULAR, 14, 17, MUTED},
    .reference_min = 14,
    .bullet_indent = 8, .bullet_text_indent = 32, .number_text_indent = 30,
    .justify = false,
};

typedef struct Sheet {
    const SheetStyles *st;
    Tree *tree;
    Arena *arena;
    const Strings *s;
    const Drug *drug;
} Sheet;

/* A block of one TEXT in the block's own font style. */
/* Running text is justified (in the regular edition); headings, titles
 * and the phone number are not. */
static bool running_text(const Sheet *sh, TypeStyle type)
{
    return sh->st->justify && type.size <= sh->st->body.size &&
           (type.leading == sh->st->body.leading || type.leading == sh->st->reference.leading);
}

static Node *block(Sheet *sh, Node *parent, NodeKind kind, const char *utf8, SourcePos pos,
                   TypeStyle type, double space_before)
{
    Node *node = tree_add(sh->tree, parent, kind, pos);
    node->type = type;
    node->space_before = space_before;
    node->justify = running_text(sh, type) && kind != NODE_H1 && kind != NODE_H2;
    tree_add_text(sh->tree, node, utf8, type.font, pos);
    return node;
}

static Node *heading(Sheet *sh, Node *parent, NodeKind kind, const char *utf8, SourcePos pos,
                     TypeStyle type, double space_before)
{
    Node *node = block(sh, parent, kind, utf8, pos, type, space_before);
    node->keep_with_next = true;
    node->bookmark = kind == NODE_H2;
    return node;
}

static const char *expand1(Arena *arena, const Text *template_text, const char *name,
                           const char *value)
{
    const char *names[] = {name};
    const char *values[] = {value};
    return format_template(arena, template_text->utf8, names, values, 1);
}

/* A section: its heading and one paragraph. */
static Node *section(Sheet *sh, const char *title, SourcePos title_pos, const Text *body)
{
    Node *sect = tree_add(sh->tree, sh->tree->root, NODE_SECT, title_pos);
    heading(sh, sect, NODE_H2, title, title_pos, sh->st->heading, 12);
    if (body)
        block(sh, sect, NODE_P, body->utf8, body->pos, sh->st->body, 4);
    return sect;
}

/* A list item: the label hangs in the start gutter, the body wraps at
 * body_indent so each item reads as one block. */
static Node *list_item(Sheet *sh, Node *list, const char *label, SourcePos label_pos,
                       double label_indent, double body_indent, double space_before)
{
    Node *item = tree_add(sh->tree, list, NODE_LI, label_pos);
    item->label_indent = label_indent;
    item->space_before = space_before;
    Node *lbl = tree_add(sh->tree, item, NODE_LBL, label_pos);
    tree_add_text(sh->tree, lbl, label, STYLE_REGULAR, label_pos);
    Node *body = tree_add(sh->tree, item, NODE_LBODY, label_pos);
    body->indent = body_indent;
    return item;
}

static void bullets(Sheet *sh, Node *sect, const TextList *list)
{
    static const char bullet[] = "\xE2\x80\xA2"; /* U+2022 */
    Node *l = tree_add(sh->tree, sect, NODE_L, list->pos);
    l->type = sh->st->body;
    l->justify = sh->st->justify;
    for (size_t i = 0; i < list->count; i++) {
        const Text *t = &list->items[i];
        Node *item = list_item(sh, l, bullet, t->pos, sh->st->bullet_indent,
                               sh->st->bullet_text_indent, i == 0 ? 4 : 3);
        tree_add_text(sh->tree, item->last_child, t->utf8, sh->st->body.font, t->pos);
    }
}

/* "tel:+18002272345" from the number as it is printed. */
static const char *tel_uri(Arena *arena, const char *phone)
{
    size_t n = strlen(phone);
    char *uri = arena_alloc(arena, n + 6), *at = uri;
    memcpy(at, "tel:+", 5);
    at += 5;
    for (const char *p = phone; *p; p++)
        if (*p >= '0' && *p <= '9')
            *at++ = *p;
    return at == uri + 5 ? NULL : uri;
}

/* The next web address in s at or after from: [*begin, *end), up to the
 * first character a URI cannot hold (a space, a no-break space, CJK
 * punctuation), trailing sentence punctuation left out.  Returns false
 * when there is none. */
static bool next_url(const char *s, size_t from, size_t *begin, size_t *end)
{
    const char *hit = NULL;
    for (const char *p = s + from; *p && !hit; p++)
        if (strncmp(p, "https://", 8) == 0 || strncmp(p, "http://", 7) == 0)
            hit = p;
    if (!hit)
        return false;
    const char *e = hit;
    while (content_uri_char((unsigned char)*e))
        e++;
    while (e > hit && strchr(".,;:)", e[-1]))
        e--;
    *begin = (size_t)(hit - s);
    *end = (size_t)(e - s);
    return true;
}

/* A citation as TEXT, every web address in it a Link. */
static void citation(Sheet *sh, Node *body, const Reference *ref)
{
    const char *s = ref->text.utf8;
    SourcePos pos = ref->text.pos;
    size_t at = 0, begin, end;
    while (next_url(s, at, &begin, &end)) {
        if (begin > at)
            tree_add_text(sh->tree, body, arena_strndup(sh->arena, s + at, begin - at),
                          sh->st->reference.font, pos);
        Node *link = tree_add(sh->tree, body, NODE_LINK, pos);
        link->uri = arena_strndup(sh->arena, s + begin, end - begin);
        link->alt = link->uri;
        tree_add_text(sh->tree, link, link->uri, sh->st->reference.font, pos);
        at = end;
    }
    if (s[at] || at == 0)
        tree_add_text(sh->tree, body, s + at, sh->st->reference.font, pos);
}

/* Citations are quoted as published, in English: on a sheet in another
 * language they say so, and on a right-to-left sheet they keep their own
 * direction so their punctuation stays where it belongs. */
static void references(Sheet *sh, const Content *content)
{
    const Strings *s = sh->s;
    const Drug *drug = sh->drug;
    Node *sect = section(sh, s->label_references.utf8, s->label_references.pos, NULL);
    Node *l = tree_add(sh->tree, sect, NODE_L, drug->references.pos);
    l->type = sh->st->reference;
    l->justify = sh->st->justify;
    l->min_size = sh->st->reference_min; /* never smaller, even to spare a page */
    char language[16] = "";
    UErrorCode status = U_ZERO_ERROR;
    uloc_getLanguage(s->locale.utf8, language, sizeof language, &status);
    bool english = U_SUCCESS(status) && strcmp(language, "en") == 0;
    for (size_t i = 0; i < drug->references.count; i++) {
        const Text *id = &drug->references.items[i];
        const Reference *ref = content_reference(content, id->utf8);
        if (!ref)
            continue; /* the loader has reported it */
        const char *number =
            arena_printf(sh->arena, "%s.",
                         format_number(sh->arena, format_locale(sh->arena, s), (long)i + 1));
        Node *item = list_item(sh, l, number, id->pos, 0, sh->st->number_text_indent,
                               i == 0 ? 4 : 3);
        item->keep_together = true; /* a reference never splits across pages */
        Node *body = item->last_child;
        body->dir_from_text = true;
        if (!english)
            body->lang = "en";
        citation(sh, body, ref);
    }
}

static void title_band(Sheet *sh)
{
    const Strings *s = sh->s;
    Node *band = tree_add(sh->tree, sh->tree->root, NODE_SECT, s->sheet_title.pos);
    band->deco = (Decoration){.pad = 14, .fill = true, .fill_color = BRAND, .radius = 6};
    band->keep_together = true;
    block(sh, band, NODE_P, s->series.utf8, s->series.pos, sh->st->series, 0)->phrases = true;
    block(sh, band, NODE_P, s->sheet_title.utf8, s->sheet_title.pos, sh->st->title, 2)->phrases =
        true;
}

static void drug_heading(Sheet *sh)
{
    const Strings *s = sh->s;
    const Drug *drug = sh->drug;
    block(sh, sh->tree->root, NODE_H1, drug->name.utf8, drug->name.pos, sh->st->drug_name, 16);
    /* "Drug type: {class}": the label part bold, each language with its
     * own punctuation and spacing around the value. */
    const char *label = s->drug_class_label.utf8, *slot = strstr(label, "{class}");
    Node *p = tree_add(sh->tree, sh->tree->root, NODE_P, drug->drug_class.pos);
    p->type = sh->st->drug_class;
    p->space_before = 2;
    tree_add_text(sh->tree, p, arena_strndup(sh->arena, label, (size_t)(slot - label)),
                  STYLE_BOLD, s->drug_class_label.pos);
    tree_add_text(sh->tree, p, drug->drug_class.utf8, STYLE_REGULAR, drug->drug_class.pos);
    tree_add_text(sh->tree, p, slot + strlen("{class}"), STYLE_REGULAR, s->drug_class_label.pos);
}

static void helpline(Sheet *sh)
{
    const Strings *s = sh->s;
    Node *box = tree_add(sh->tree, sh->tree->root, NODE_SECT, s->helpline_heading.pos);
    box->deco = (Decoration){.pad = 14, .fill = true, .fill_color = HELP_FILL,
                             .line_width = 1.2, .stroke = BRAND, .radius = 6};
    box->keep_together = true;
    box->space_before = 20;
    heading(sh, box, NODE_H2, s->helpline_heading.utf8, s->helpline_heading.pos, sh->st->help_heading, 0);
    block(sh, box, NODE_P, s->helpline_text.utf8, s->helpline_text.pos, sh->st->body, 3);
    Node *phone = tree_add(sh->tree, box, NODE_P, s->helpline_phone.pos);
    phone->type = sh->st->phone;
    phone->space_before = 6;
    const char *uri = tel_uri(sh->arena, s->helpline_phone.utf8);
    Node *holder = phone;
    if (uri) {
        holder = tree_add(sh->tree, phone, NODE_LINK, s->helpline_phone.pos);
        holder->uri = uri;
        holder->alt = arena_printf(sh->arena, "%s %s", s->helpline_heading.utf8,
                                   s->helpline_phone.utf8);
    }
    tree_add_text(sh->tree, holder, s->helpline_phone.utf8, sh->st->phone.font, s->helpline_phone.pos);
    block(sh, box, NODE_P, s->helpline_reach.utf8, s->helpline_reach.pos, sh->st->body, 2);
}

/* The sheet's online version: a QR code (a Figure whose alternate text
 * says what it is and where it goes) with the address printed beside it
 * as a link, kept together. */
static bool online(Sheet *sh)
{
    const Strings *s = sh->s;
    const Text *url = &sh->drug->url;
    unsigned side = 0;
    const unsigned char *modules = qr_modules(sh->arena, url, &side);
    if (!modules)
        return false;
    Node *sect = tree_add(sh->tree, sh->tree->root, NODE_SECT, url->pos);
    sect->keep_together = true;
    sect->space_before = 18;
    Node *figure = tree_add(sh->tree, sect, NODE_FIGURE, url->pos);
    figure->modules = modules;
    figure->modules_per_side = side;
    figure->figure_size = 60; /* 21 mm: phones read it, and it spares lines */
    figure->keep_with_next = true;
    figure->alt = s->online.utf8 ? arena_printf(sh->arena, "QR: %s %s", s->online.utf8, url->utf8)
                                 : arena_printf(sh->arena, "QR: %s", url->utf8);
    Node *p = tree_add(sh->tree, sect, NODE_P, url->pos);
    p->type = sh->st->reference;
    p->space_before = 2;
    if (s->online.utf8) {
        tree_add_text(sh->tree, p, s->online.utf8, STYLE_BOLD, s->online.pos);
        tree_add_text(sh->tree, p, " ", STYLE_REGULAR, s->online.pos);
    }
    Node *link = tree_add(sh->tree, p, NODE_LINK, url->pos);
    link->uri = url->utf8;
    link->alt = url->utf8;
    link->dir_from_text = true;
    tree_add_text(sh->tree, link, url->utf8, STYLE_REGULAR, url->pos);
    return true;
}

static Node *artifact(Sheet *sh, Furniture role, TypeStyle type, SourcePos pos)
{
    Node *node = tree_add(sh->tree, sh->tree->root, NODE_ARTIFACT, pos);
    node->furniture = role;
    node->type = type;
    return node;
}

static void furniture(Sheet *sh, const char *date)
{
    const Strings *s = sh->s;
    Node *head = artifact(sh, FURNITURE_HEAD, sh->st->running_head, sh->drug->name.pos);
    tree_add_text(sh->tree, head, sh->drug->name.utf8, STYLE_BOLD, sh->drug->name.pos);
    tree_add_text(sh->tree, head, " \xC2\xB7 ", STYLE_REGULAR, s->series.pos); /* middle dot */
    tree_add_text(sh->tree, head, s->series.utf8, STYLE_REGULAR, s->series.pos);
    Node *rule = artifact(sh, FURNITURE_FOOT_RULE, sh->st->footer, s->page_of.pos);
    rule->deco = (Decoration){.fill = true, .fill_color = MUTED};
    Node *start = artifact(sh, FURNITURE_FOOT_START, sh->st->footer, s->last_revised.pos);
    tree_add_text(sh->tree, start, expand1(sh->arena, &s->last_revised, "date", date),
                  sh->st->footer.font, s->last_revised.pos);
    Node *end = artifact(sh, FURNITURE_FOOT_END, sh->st->footer, s->page_of.pos);
    tree_add_text(sh->tree, end, s->page_of.utf8, sh->st->footer.font, s->page_of.pos);
}

Tree *sheet_tree(Arena *arena, const SheetRequest *request)
{
    const Strings *s = &request->language->strings;
    const Drug *drug = request->drug;
    const char *date = format_date(arena, s, &drug->last_revised);
    if (!date)
        return NULL;
    Sheet sh = {.arena = arena, .s = s, .drug = drug,
                .st = request->size == SIZE_LARGE ? &LARGE : &REGULAR};
    sh.tree = tree_new(arena, s->locale.utf8,
                       uloc_isRightToLeft(s->locale.utf8) ? DIR_RTL : DIR_LTR, drug->id.pos);
    sh.tree->root->type = sh.st->body;
    /* Drug names are never hyphenated: a patient reads them off a
     * prescription. */
    const Language *lang = request->language;
    const char **names = arena_array(arena, lang->drug_count + 1, sizeof *names);
    for (size_t i = 0; i < lang->drug_count; i++)
        names[i] = lang->drugs[i].name.utf8;
    sh.tree->keep_whole = names;
    sh.tree->number_locale = format_locale(arena, s);

    title_band(&sh);
    ReviewStatus review = review_sheet_status(request->language, drug);
    house_review_band(sh.tree, sh.tree->root, request->language, &review, &s->draft_notice,
                      sh.st->body_italic, 12);
    drug_heading(&sh);
    section(&sh, s->label_targeted_drugs.utf8, s->label_targeted_drugs.pos, &drug->targeted_drugs)
        ->first_child->space_before = 16;
    section(&sh, expand1(arena, &s->label_how_it_works, "drug", drug->name.utf8),
            s->label_how_it_works.pos, &drug->how_it_works);
    section(&sh, s->label_how_it_is_taken.utf8, s->label_how_it_is_taken.pos, &drug->how_it_is_taken);
    if (drug->who_it_is_for.utf8)
        section(&sh, s->label_who_it_is_for.utf8, s->label_who_it_is_for.pos, &drug->who_it_is_for);
    bullets(&sh, section(&sh, s->label_common_side_effects.utf8,
                         s->label_common_side_effects.pos, NULL),
            &drug->common_side_effects);
    bullets(&sh, section(&sh, s->label_serious_side_effects.utf8,
                         s->label_serious_side_effects.pos, NULL),
            &drug->serious_side_effects);
    helpline(&sh);
    /* set like a heading, so that its few lines break between phrases */
    block(&sh, sh.tree->root, NODE_P, s->disclaimer.utf8, s->disclaimer.pos, sh.st->advice, 12)
        ->phrases = true;
    /* the sheet online, before the references: the references come last,
     * where the type may shrink to spare a page */
    if (drug->url.utf8 && !online(&sh))
        return NULL;
    references(&sh, request->content);
    sh.tree->root->last_child->first_child->space_before = 16;
    furniture(&sh, date);
    return sh.tree;
}

Document *sheet_document(Arena *arena, Shaper *shaper, const SheetRequest *request)
{
    const Strings *s = &request->language->strings;
    const Drug *drug = request->drug;
    Tree *tree = sheet_tree(arena, request);
    if (!tree)
        return NULL;
    ReviewStatus review = review_sheet_status(request->language, drug);
    PageGeometry g = page_geometry(request->paper);
    Document *doc = flow_layout(arena, shaper, tree, &g);
    if (!doc)
        return NULL;
    doc->info = house_document_info(
        arena, request->language, &review,
        arena_printf(arena, "%s: %s", drug->name.utf8, s->sheet_title.utf8),
        expand1(arena, &s->subject, "drug", drug->name.utf8), request->creator,
        &drug->last_revised);
    return doc;
}
