/* content.c — load and validate content/ with libyaml (see content.h).
 *
 * Each file is read into memory and turned into a small tree of Nodes
 * straight from libyaml's event stream.  We do not use libyaml's document
 * API because it resolves aliases silently, and we want to reject them (and
 * anchors) at the spot where they appear.
 *
 * The tree is then checked against a per-record table of keys (Field), which
 * says where each value goes and what it must look like.  Every check
 * reports through diag_error() and carries on, so one run lists every
 * problem; a syntax error only ends the file it is in. */
/* realpath() is X/Open, beyond the POSIX level the Makefile asks for. */
#define _XOPEN_SOURCE 700
#include "content.h"

#include <unicode/uchar.h>
#include <unicode/ulocdata.h>
#include <unicode/unumsys.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#include "alloc.h"
#include "diag.h"

#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <yaml.h>

/* Limits, so that hostile or broken content gets a clear error instead of
 * a sheet of thousands of pages or a run of minutes (see content/README.md).
 * The longest real value is about 1,400 bytes and the longest list 12
 * items; a drug id names files, and ".<id>.pdf.XXXXXX" must fit NAME_MAX. */
#define MAX_FILE_SIZE (1024L * 1024L)
#define MAX_TEXT_BYTES 32768
#define MAX_LIST_ITEMS 100
#define MAX_REFERENCES 1000
#define MAX_ID_BYTES 64
/* Combining marks on one character: Hindi needs three (nukta, vowel
 * sign, anusvara), Vietnamese two; a taller stack inks the lines around. */
#define MAX_MARKS 4
/* Keys and values echoed in messages are cut to this many bytes. */
#define MAX_SHOWN 60
/* Our records nest three levels deep; the limit keeps the recursive tree
 * walk and free safe on hostile input such as 100000 nested '['. */
#define MAX_DEPTH 64
#define MAX_FIELDS 32

/* ---- memory ----------------------------------------------------------- */

static void *xgrow(void *p, size_t *cap, size_t size)
{
    size_t n = *cap ? *cap * 2 : 8;
    p = xreallocarray(p, n, size);
    *cap = n;
    return p;
}

static char *xasprintf(const char *fmt, ...) PDFGEN_PRINTF(1, 2);
static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        oom_abort();
    char *p = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- the YAML tree ---------------------------------------------------- */

typedef enum NodeKind {
    NODE_SCALAR,
    NODE_SEQUENCE,
    NODE_MAPPING,
    NODE_ALIAS /* already reported; checks skip it without a second error */
} NodeKind;

typedef struct Node {
    NodeKind kind;
    unsigned line, col; /* 1-based */
    char *value;        /* scalars: NUL-terminated, may hold inner NULs */
    size_t length;
    bool plain;         /* unquoted scalar: "~", "null" and "" mean null */
    struct Node **items; /* sequences; mappings alternate key, value */
    size_t count, cap;
} Node;

static void node_free(Node *node)
{
    if (!node)
        return;
    for (size_t i = 0; i < node->count; i++)
        node_free(node->items[i]);
    free(node->items);
    free(node->value);
    free(node);
}

static bool is_null(const Node *n)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    if (n->kind != NODE_SCALAR || !n->plain)
        return false;
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
        if (strcmp(n->value, nulls[i]) == 0)
            return true;
    return false;
}

/* A value of only spaces would print as nothing, so it counts as empty:
 * any Unicode white space (a no-break space printed an empty bullet) and
 * the default-ignorable characters (a list item of soft hyphens vanished
 * from its list). */
static bool is_blank(const Node *n)
{
    if (n->kind != NODE_SCALAR)
        return false;
    if (is_null(n))
        return true;
    for (int32_t i = 0; i < (int32_t)n->length;) {
        UChar32 c;
        U8_NEXT((const uint8_t *)n->value, i, (int32_t)n->length, c);
        if (c <= 0 || !(u_isUWhiteSpace(c) ||
                         u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT)))
            return false;
    }
    return true;
}

static bool scalar_is(const Node *n, const char *s)
{
    return n->kind == NODE_SCALAR && n->length == strlen(s) &&
           memcmp(n->value, s, n->length) == 0;
}

static const char *kind_name(NodeKind kind)
{
    switch (kind) {
    case NODE_SCALAR: return "a string";
    case NODE_SEQUENCE: return "a sequence";
    case NODE_MAPPING: return "a mapping";
    case NODE_ALIAS: return "an alias";
    }
    return "?";
}

/* ---- loader state ----------------------------------------------------- */

typedef struct Loader {
    Content *content;
    const char *dir;  /* the content directory, without trailing slashes */
    char real_dir[PATH_MAX]; /* the same, resolved: links must stay under it */
    const char *file; /* the file being checked; owned by content->files */
    const char *references_file;
    /* False when references.yaml did not parse: every reference would then
     * look unknown, and those errors would only bury the real one. */
    bool references_ok;
    size_t files_cap;
} Loader;

#define AT(L, n) (&(SourcePos){(L)->file, (n)->line, (n)->col})

/* Takes ownership of path; SourcePos.file points at the stored copy, which
 * lives as long as the Content. */
static const char *add_file(Loader *L, char *path)
{
    Content *c = L->content;
    if (c->file_count == L->files_cap)
        c->files = xgrow(c->files, &L->files_cap, sizeof *c->files);
    c->files[c->file_count++] = path;
    return path;
}

/* ---- reading and parsing ---------------------------------------------- */

/* libyaml reports encoding errors as a byte offset, not a mark: turn it
 * into the line and column (in characters) of the character it falls in,
 * counting the way libyaml's marks do. */
static SourcePos offset_pos(const char *file, const unsigned char *buf,
                            size_t len, size_t offset)
{
    SourcePos pos = {file, 1, 1};
    size_t i = 0;
    while (i < len) {
        unsigned char c = buf[i];
        size_t width = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2
                     : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
        if (i + width > offset)
            break;
        if (c == '\n' || (c == '\r' && (i + 1 == len || buf[i + 1] != '\n'))) {
            pos.line++;
            pos.col = 1;
        } else if (c != '\r') {
            pos.col++;
        }
        i += width;
    }
    return pos;
}

/* libyaml ends a line at U+0085, U+2028 and U+2029 as at a line feed
 * (YAML 1.1), where an editor shows none: in a plain or block value the
 * rest of the line was read as a new key ("could not find expected ':'"),
 * in a quoted one it became a line break on the sheet, and every line
 * number after it was one more than the editor's.  The first one is
 * reported at its place, as the editor counts, and the file is not
 * parsed.  (A UTF-16 file, which libyaml also reads, is not looked at:
 * its bytes are no UTF-8.) */
static bool line_separator_in(const Loader *L, const unsigned char *buf, size_t len)
{
    if (len >= 2 && ((buf[0] == 0xFF && buf[1] == 0xFE) || (buf[0] == 0xFE && buf[1] == 0xFF)))
        return false;
    /* memchr for the lead bytes: most of a file is other bytes. */
    size_t first = len;
    const char *what = NULL;
    for (const unsigned char *p = buf; (p = memchr(p, 0xE2, len - (size_t)(p - buf))); p++)
        if (len - (size_t)(p - buf) >= 3 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) {
            first = (size_t)(p - buf);
            what = p[2] == 0xA8 ? "line separator U+2028" : "paragraph separator U+2029";
            break;
        }
    for (const unsigned char *p = buf; (p = memchr(p, 0xC2, first - (size_t)(p - buf))); p++)
        if ((size_t)(p - buf) + 1 < len && p[1] == 0x85) {
            first = (size_t)(p - buf);
            what = "next line character U+0085";
            break;
        }
    if (!what)
        return false;
    SourcePos pos = offset_pos(L->file, buf, len, first);
    diag_error(&pos, "%s, which YAML reads as the end of a line though an editor shows none; "
               "use a space (or a new list item)", what);
    return true;
}

static void report_parser_error(const Loader *L, const yaml_parser_t *parser,
                                const unsigned char *buf, size_t len)
{
    const char *problem = parser->problem ? parser->problem : "invalid YAML";
    if (parser->error == YAML_MEMORY_ERROR)
        oom_abort();
    if (parser->error == YAML_READER_ERROR) {
        SourcePos pos = offset_pos(L->file, buf, len, parser->problem_offset);
        if (parser->problem_value < 0)
            diag_error(&pos, "%s", problem);
        else if (strstr(problem, "octet"))
            diag_error(&pos, "%s (byte 0x%02X)", problem,
                       (unsigned)parser->problem_value);
        else
            diag_error(&pos, "%s (U+%04X)", problem,
                       (unsigned)parser->problem_value);
        return;
    }
    SourcePos pos = {L->file, (unsigned)parser->problem_mark.line + 1,
                     (unsigned)parser->problem_mark.column + 1};
    /* The context mark is where the construct began — usually the line
     * the editor has to fix (an unclosed bracket, an unterminated quote). */
    if (parser->context && parser->context_mark.line != parser->problem_mark.line)
        diag_error(&pos, "%s (%s that starts at line %u, column %u)", problem, parser->context,
                   (unsigned)parser->context_mark.line + 1,
                   (unsigned)parser->context_mark.column + 1);
    else if (parser->context)
        diag_error(&pos, "%s (%s)", problem, parser->context);
    else
        diag_error(&pos, "%s", problem);
}

static const char *file_type_name(mode_t mode)
{
    if (S_ISDIR(mode)) return "a folder";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a plain file";
}

/* Content may use symbolic links inside the --content tree (a language
 * sharing a file with another), but a link out of it could make pdfgen
 * read, and echo the keys of, any file on the machine; a broken or
 * looping link is an error, never skipped.  Reports and returns false when
 * path must not be used. */
static bool inside_tree(const Loader *L, const char *path)
{
    char real[PATH_MAX];
    if (!realpath(path, real)) {
        int err = errno;
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
            diag_error(NULL, "%s is a %s symbolic link", path,
                       err == ELOOP ? "looping" : "broken");
        else
            diag_error(NULL, "cannot read '%s': %s", path, strerror(err));
        return false;
    }
    size_t n = strlen(L->real_dir);
    bool root_is_slash = n == 1;
    if (strncmp(real, L->real_dir, n) != 0 ||
        (!root_is_slash && real[n] != '/' && real[n] != '\0')) {
        diag_error(NULL, "%s is a symbolic link that leaves the content folder "
                   "'%s'; it is not read", path, L->dir);
        return false;
    }
    return true;
}

/* *unreadable tells "could not open or read" apart from "too large". */
static bool read_source(const Loader *L, unsigned char **out, size_t *out_len,
                        bool *unreadable)
{
    *unreadable = true;
    if (!inside_tree(L, L->file))
        return false;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then
     * tells what it is before any read could hang. */
    int fd = open(L->file, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        diag_error(NULL, "cannot read '%s': %s", L->file, strerror(errno));
        if (fd >= 0)
            close(fd);
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        diag_error(NULL, "%s is %s, not a regular file", L->file,
                   file_type_name(st.st_mode));
        close(fd);
        return false;
    }
    *unreadable = false;
    if (st.st_size > MAX_FILE_SIZE) {
        diag_error(&(SourcePos){L->file, 1, 1},
                   "file is larger than 1 MiB (%lld bytes)",
                   (long long)st.st_size);
        close(fd);
        return false;
    }
    /* Read to EOF rather than trusting st_size, which can change under us;
     * one spare byte tells us if the file grew past the limit. */
    unsigned char *buf = xmalloc((size_t)st.st_size + 1);
    size_t cap = (size_t)st.st_size + 1, len = 0;
    for (;;) {
        if (len == cap) {
            if (cap > MAX_FILE_SIZE) {
                diag_error(&(SourcePos){L->file, 1, 1},
                           "file is larger than 1 MiB");
                free(buf);
                close(fd);
                return false;
            }
            buf = xgrow(buf, &cap, 1);
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0) {
            diag_error(NULL, "cannot read '%s': %s", L->file, strerror(errno));
            *unreadable = true;
            free(buf);
            close(fd);
            return false;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    if (len > MAX_FILE_SIZE) {
        diag_error(&(SourcePos){L->file, 1, 1}, "file is larger than 1 MiB");
        free(buf);
        return false;
    }
    *out = buf;
    *out_len = len;
    return true;
}

static Node *new_node(NodeKind kind, const yaml_mark_t *mark)
{
    Node *node = xcalloc(1, sizeof *node);
    node->kind = kind;
    node->line = (unsigned)mark->line + 1;
    node->col = (unsigned)mark->column + 1;
    return node;
}

static void reject_anchor(const Loader *L, const yaml_event_t *event,
                          const yaml_char_t *anchor)
{
    if (anchor)
        diag_error(&(SourcePos){L->file, (unsigned)event->start_mark.line + 1,
                                (unsigned)event->start_mark.column + 1},
                   "YAML anchors are not supported");
}

/* A tag (!!binary, !!python/name:..., !custom) asks for a type or a
 * conversion pdfgen does not do; using the text as it stands would print
 * something other than what the author meant, so it is an error. */
static void reject_tag(const Loader *L, const yaml_event_t *event,
                       const yaml_char_t *tag, bool implicit)
{
    if (tag && !implicit)
        diag_error(&(SourcePos){L->file, (unsigned)event->start_mark.line + 1,
                                (unsigned)event->start_mark.column + 1},
                   "YAML tags are not supported (found '%.*s'); write the "
                   "value as plain text", MAX_SHOWN, (const char *)tag);
}

/* Parse L->file into a tree.  Returns NULL (after reporting) when the file
 * cannot be read, is not valid YAML or is empty. */
static Node *parse_file(const Loader *L, bool *unreadable)
{
    unsigned char *buf;
    size_t len;
    if (!read_source(L, &buf, &len, unreadable))
        return NULL;
    if (line_separator_in(L, buf, len)) {
        free(buf);
        return NULL;
    }

    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        oom_abort();
    yaml_parser_set_input_string(&parser, buf, len);

    Node *root = NULL, *stack[MAX_DEPTH];
    size_t depth = 0;
    unsigned documents = 0;
    bool done = false, failed = false;
    while (!done) {
        yaml_event_t event;
        if (!yaml_parser_parse(&parser, &event)) {
            report_parser_error(L, &parser, buf, len);
            failed = true;
            break;
        }
        SourcePos at = {L->file, (unsigned)event.start_mark.line + 1,
                        (unsigned)event.start_mark.column + 1};
        Node *node = NULL;
        switch (event.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++documents > 1) {
                diag_error(&at, "a file must hold one YAML document, "
                                "found a second one");
                done = true;
            }
            break;
        case YAML_ALIAS_EVENT:
            diag_error(&at, "YAML aliases are not supported");
            node = new_node(NODE_ALIAS, &event.start_mark);
            break;
        case YAML_SCALAR_EVENT:
            reject_anchor(L, &event, event.data.scalar.anchor);
            reject_tag(L, &event, event.data.scalar.tag, false);
            node = new_node(NODE_SCALAR, &event.start_mark);
            node->value = xstrndup((const char *)event.data.scalar.value,
                                   event.data.scalar.length);
            node->length = event.data.scalar.length;
            node->plain = event.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
            break;
        case YAML_SEQUENCE_START_EVENT:
            reject_anchor(L, &event, event.data.sequence_start.anchor);
            reject_tag(L, &event, event.data.sequence_start.tag,
                       event.data.sequence_start.implicit);
            node = new_node(NODE_SEQUENCE, &event.start_mark);
            break;
        case YAML_MAPPING_START_EVENT:
            reject_anchor(L, &event, event.data.mapping_start.anchor);
            reject_tag(L, &event, event.data.mapping_start.tag,
                       event.data.mapping_start.implicit);
            node = new_node(NODE_MAPPING, &event.start_mark);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            break;
        default:
            break;
        }
        if (node) {
            if (depth > 0) {
                Node *parent = stack[depth - 1];
                if (parent->count == parent->cap)
                    parent->items = xgrow(parent->items, &parent->cap,
                                          sizeof *parent->items);
                parent->items[parent->count++] = node;
            } else {
                root = node;
            }
            if (node->kind == NODE_SEQUENCE || node->kind == NODE_MAPPING) {
                if (depth == MAX_DEPTH) {
                    diag_error(&at, "YAML nested more than %d levels deep",
                               MAX_DEPTH);
                    failed = done = true;
                } else {
                    stack[depth++] = node;
                }
            }
        }
        yaml_event_delete(&event);
    }
    yaml_parser_delete(&parser);
    free(buf);
    if (failed) {
        node_free(root);
        return NULL;
    }
    if (!root)
        diag_error(&(SourcePos){L->file, 1, 1},
                   "file is empty (expected a mapping)");
    return root;
}

/* ---- record tables ---------------------------------------------------- */

typedef enum FieldKind {
    FIELD_TEXT,
    FIELD_LIST,    /* TextList: non-empty sequence of non-empty strings */
    FIELD_DATE,
    FIELD_MAPPING, /* a nested table whose offsets are into the same record */
    FIELD_NODE,    /* kept as a Node * for the caller to check */
    FIELD_SOURCES  /* a Review's source: mapping of field -> digest */
} FieldKind;

typedef struct Table Table;

typedef struct Field {
    const char *key;
    FieldKind kind;
    size_t offset;
    bool optional;
    /* Templates: the placeholders the value may use; it must use them all. */
    const char *const *placeholders;
    const Table *table; /* FIELD_MAPPING */
} Field;

struct Table {
    const Field *fields;
    size_t count;
};

#define TABLE(fields) {fields, sizeof fields / sizeof fields[0]}
#define TEXT(rec, key, member) \
    {key, FIELD_TEXT, offsetof(rec, member), false, NULL, NULL}
#define OPTIONAL_TEXT(rec, key, member) \
    {key, FIELD_TEXT, offsetof(rec, member), true, NULL, NULL}
#define TEMPLATE(rec, key, member, ph) \
    {key, FIELD_TEXT, offsetof(rec, member), false, ph, NULL}
#define LIST(rec, key, member) \
    {key, FIELD_LIST, offsetof(rec, member), false, NULL, NULL}
#define OPTIONAL_LIST(rec, key, member) \
    {key, FIELD_LIST, offsetof(rec, member), true, NULL, NULL}
#define OPTIONAL_TEMPLATE(rec, key, member, ph) \
    {key, FIELD_TEXT, offsetof(rec, member), true, ph, NULL}
#define DATE(rec, key, member) \
    {key, FIELD_DATE, offsetof(rec, member), false, NULL, NULL}
#define MAPPING(key, table) {key, FIELD_MAPPING, 0, false, NULL, &table}
#define NODE(rec, key, member) \
    {key, FIELD_NODE, offsetof(rec, member), false, NULL, NULL}
#define OPTIONAL_DATE(rec, key, member) \
    {key, FIELD_DATE, offsetof(rec, member), true, NULL, NULL}
#define OPTIONAL_MAPPING(key, table) {key, FIELD_MAPPING, 0, true, NULL, &table}
#define SOURCES(rec, key, member) \
    {key, FIELD_SOURCES, offsetof(rec, member), true, NULL, NULL}
/* review: in a translated file; review.c checks what the values mean. */
#define REVIEW_FIELDS(rec, prefix)                          \
    TEXT(rec, "status", prefix review.status),              \
    OPTIONAL_TEXT(rec, "reviewer", prefix review.reviewer), \
    OPTIONAL_DATE(rec, "date", prefix review.date)

static const char *const drug_placeholder[] = {"drug", NULL};
static const char *const date_placeholder[] = {"date", NULL};
static const char *const page_placeholders[] = {"page", "pages", NULL};
static const char *const date_parts[] = {"day", "month", "year", NULL};
static const char *const class_placeholder[] = {"class", NULL};

static const Field label_fields[] = {
    TEXT(Strings, "targeted_drugs", label_targeted_drugs),
    TEMPLATE(Strings, "how_it_works", label_how_it_works, drug_placeholder),
    TEXT(Strings, "how_it_is_taken", label_how_it_is_taken),
    TEXT(Strings, "who_it_is_for", label_who_it_is_for),
    TEXT(Strings, "common_side_effects", label_common_side_effects),
    TEXT(Strings, "serious_side_effects", label_serious_side_effects),
    TEXT(Strings, "references", label_references),
};
static const Table label_table = TABLE(label_fields);

static const Field helpline_fields[] = {
    TEXT(Strings, "heading", helpline_heading),
    TEXT(Strings, "text", helpline_text),
    TEXT(Strings, "phone", helpline_phone),
    TEXT(Strings, "reach", helpline_reach),
};
static const Table helpline_table = TABLE(helpline_fields);

static const Field strings_review_fields[] = {REVIEW_FIELDS(Strings, )};
static const Table strings_review_table = TABLE(strings_review_fields);

static const Field strings_fields[] = {
    TEXT(Strings, "language", language),
    TEXT(Strings, "locale", locale),
    TEXT(Strings, "language_name", language_name),
    OPTIONAL_TEXT(Strings, "draft_notice", draft_notice),
    TEXT(Strings, "series", series),
    TEXT(Strings, "sheet_title", sheet_title),
    TEXT(Strings, "author", author),
    TEMPLATE(Strings, "subject", subject, drug_placeholder),
    TEMPLATE(Strings, "drug_class_label", drug_class_label, class_placeholder),
    MAPPING("labels", label_table),
    MAPPING("helpline", helpline_table),
    TEXT(Strings, "disclaimer", disclaimer),
    TEMPLATE(Strings, "last_revised", last_revised, date_placeholder),
    TEMPLATE(Strings, "page_of", page_of, page_placeholders),
    OPTIONAL_TEXT(Strings, "booklet", booklet),
    OPTIONAL_TEXT(Strings, "online", online),
    OPTIONAL_LIST(Strings, "month_names", month_names),
    OPTIONAL_TEMPLATE(Strings, "date_format", date_format, date_parts),
    OPTIONAL_TEXT(Strings, "digits", digits),
    OPTIONAL_TEXT(Strings, "draft_band", draft_band),
    OPTIONAL_TEXT(Strings, "stale_band", stale_band),
    OPTIONAL_MAPPING("review", strings_review_table),
    SOURCES(Strings, "source", review),
};
static const Table strings_table = TABLE(strings_fields);

static const Field drug_review_fields[] = {REVIEW_FIELDS(Drug, )};
static const Table drug_review_table = TABLE(drug_review_fields);

static const Field drug_fields[] = {
    TEXT(Drug, "id", id),
    TEXT(Drug, "name", name),
    TEXT(Drug, "drug_class", drug_class),
    TEXT(Drug, "targeted_drugs", targeted_drugs),
    TEXT(Drug, "how_it_works", how_it_works),
    TEXT(Drug, "how_it_is_taken", how_it_is_taken),
    OPTIONAL_TEXT(Drug, "who_it_is_for", who_it_is_for),
    LIST(Drug, "common_side_effects", common_side_effects),
    LIST(Drug, "serious_side_effects", serious_side_effects),
    DATE(Drug, "last_revised", last_revised),
    LIST(Drug, "references", references),
    OPTIONAL_TEXT(Drug, "url", url),
    OPTIONAL_MAPPING("review", drug_review_table),
    SOURCES(Drug, "source", review),
};
static const Table drug_table = TABLE(drug_fields);

static const Field reference_fields[] = {
    TEXT(Reference, "id", id),
    TEXT(Reference, "text", text),
};
static const Table reference_table = TABLE(reference_fields);

/* glossary.yaml: the Glossary's texts plus the terms, checked one by one. */
typedef struct GlossaryFile {
    Glossary glossary;
    const Node *terms;
} GlossaryFile;

static const Field glossary_review_fields[] = {REVIEW_FIELDS(GlossaryFile, glossary.)};
static const Table glossary_review_table = TABLE(glossary_review_fields);

static const Field glossary_fields[] = {
    TEXT(GlossaryFile, "title", glossary.title),
    OPTIONAL_TEXT(GlossaryFile, "draft_notice", glossary.draft_notice),
    TEXT(GlossaryFile, "intro", glossary.intro),
    NODE(GlossaryFile, "terms", terms),
    OPTIONAL_MAPPING("review", glossary_review_table),
    SOURCES(GlossaryFile, "source", glossary.review),
};
static const Table glossary_table = TABLE(glossary_fields);

static const Field term_fields[] = {
    TEXT(GlossaryTerm, "id", id),
    TEXT(GlossaryTerm, "term", term),
    OPTIONAL_TEXT(GlossaryTerm, "reading", reading),
    TEXT(GlossaryTerm, "definition", definition),
};
static const Table term_table = TABLE(term_fields);

typedef struct ReferencesFile {
    const Node *references;
} ReferencesFile;

static const Field references_file_fields[] = {
    NODE(ReferencesFile, "references", references),
};
static const Table references_file_table = TABLE(references_file_fields);

/* ---- value checks ----------------------------------------------------- */

/* Is n a `kind`?  If not, say why: empty, or the wrong type. */
static bool expect(const Loader *L, const Node *n, NodeKind kind,
                   const char *label)
{
    if (n->kind == NODE_ALIAS)
        return false;
    if (n->kind != kind && is_blank(n)) {
        diag_error(AT(L, n), "%s must not be empty", label);
        return false;
    }
    if (n->kind != kind) {
        diag_error(AT(L, n), "expected %s for %s, found %s", kind_name(kind),
                   label, kind_name(n->kind));
        return false;
    }
    if (kind == NODE_SEQUENCE && n->count == 0) {
        diag_error(AT(L, n), "%s must not be empty", label);
        return false;
    }
    return true;
}

/* Returns the first control character (other than tab and newline) in the
 * UTF-8 text, or -1.  libyaml rejects raw ones, but escapes such as "\0",
 * "\a" or "\x85" in double-quoted strings still let them through.  -1,
 * not 0, means none: U+0000 is the one that cuts text short in C. */
static long control_char(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F)
            return c;
        if (c == 0xC2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 &&
            (unsigned char)s[i + 1] <= 0x9F)
            return (unsigned char)s[i + 1];
    }
    return -1;
}

/* What check_string refuses in a value, found in one pass over its
 * characters.  Each refused character is the first of its kind, with
 * which character of the text it is (nth 0: none):
 * - a tab, which no font draws;
 * - U+2028 LINE SEPARATOR or U+2029 PARAGRAPH SEPARATOR, written as an
 *   escape ("\L", "\u2029": raw ones end the file's reading, see
 *   line_separator_in), which would break the line on the sheet;
 * - an explicit bidi embedding, override or isolate (U+202A..U+202E,
 *   U+2066..U+2069).  These invisible controls reorder the characters
 *   after them (an override in English text sets "comes as a pill" as
 *   "llip a sa semoc", on the page and in the text a reader copies), and
 *   pdfgen orders each line by the language's direction itself; the
 *   marks (U+200E, U+200F, U+061C) stay allowed.
 * And the longest run of nonspacing or enclosing marks (Mn, Me) on one
 * character, with its base's place: marks stack above or below their
 * base, and a run longer than MAX_MARKS (a "Zalgo" tower) inks the lines
 * around it. */
typedef struct Refused {
    UChar32 c;
    unsigned nth;
} Refused;

typedef struct ValueScan {
    Refused tab, separator, bidi;
    unsigned marks, marks_nth;
} ValueScan;

static bool is_bidi_control(UChar32 c)
{
    return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

static void scan_value(const char *s, size_t len, ValueScan *v)
{
    *v = (ValueScan){0};
    unsigned run = 0, chars = 0;
    for (int32_t i = 0; i < (int32_t)len;) {
        UChar32 c = (unsigned char)s[i];
        chars++;
        if (c < 0x80) { /* most of the text: no mark, and only the tab refused */
            i++;
            run = 0;
            if (c == '\t' && !v->tab.nth)
                v->tab = (Refused){c, chars};
            continue;
        }
        U8_NEXT((const uint8_t *)s, i, (int32_t)len, c);
        Refused *r = c == 0x2028 || c == 0x2029 ? &v->separator
                     : is_bidi_control(c)       ? &v->bidi
                                                : NULL;
        if (r && !r->nth)
            *r = (Refused){c, chars};
        int8_t type = c < 0 ? U_UNASSIGNED : u_charType(c);
        if (type == U_NON_SPACING_MARK || type == U_ENCLOSING_MARK) {
            if (++run > v->marks) {
                v->marks = run;
                v->marks_nth = chars > run ? chars - run : 1;
            }
        } else {
            run = 0;
        }
    }
}

/* How many bytes of s to echo in a message: at most MAX_SHOWN, cut at a
 * character boundary, so a megabyte-long key makes a one-line error. */
static int shown(const char *s, size_t len)
{
    if (len <= MAX_SHOWN)
        return (int)len;
    size_t n = MAX_SHOWN;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return (int)n;
}
#define ELLIPSIS(len) ((len) > MAX_SHOWN ? "..." : "")

/* Is n a usable string?  Optional values that are empty are simply absent. */
static bool check_string(const Loader *L, const Node *n, const char *label,
                         bool optional)
{
    if (n->kind == NODE_SCALAR && is_blank(n)) {
        if (!optional)
            diag_error(AT(L, n), "%s must not be empty%s", label,
                       is_null(n) ? "" : " (it holds only spaces or invisible characters)");
        return false;
    }
    if (!expect(L, n, NODE_SCALAR, label))
        return false;
    long c = control_char(n->value, n->length);
    if (c >= 0) {
        diag_error(AT(L, n), "%s contains a control character (U+%04lX)",
                   label, (unsigned long)c);
        return false;
    }
    ValueScan v;
    scan_value(n->value, n->length, &v);
    if (v.tab.nth) {
        diag_error(AT(L, n), "%s contains a tab (U+0009, character %u), which no font "
                   "draws; use a space", label, v.tab.nth);
        return false;
    }
    if (v.separator.nth) {
        diag_error(AT(L, n), "%s contains a %s separator (U+%04lX, character %u), which "
                   "would break the line on the sheet; use a space (or a new list item)",
                   label, v.separator.c == 0x2028 ? "line" : "paragraph",
                   (unsigned long)v.separator.c, v.separator.nth);
        return false;
    }
    if (v.bidi.nth) {
        diag_error(AT(L, n), "%s contains an invisible bidi control character (U+%04lX, "
                   "character %u), which would reorder the text after it; remove it "
                   "(pdfgen sets each line in the language's direction)",
                   label, (unsigned long)v.bidi.c, v.bidi.nth);
        return false;
    }
    if (v.marks > MAX_MARKS) {
        diag_error(AT(L, n), "%s stacks %u combining marks on one character (character "
                   "%u), more than the limit of %d",
                   label, v.marks, v.marks_nth, MAX_MARKS);
        return false;
    }
    if (n->length > MAX_TEXT_BYTES) {
        diag_error(AT(L, n), "%s is %zu bytes long, more than the limit of "
                   "%d bytes", label, n->length, MAX_TEXT_BYTES);
        return false;
    }
    return true;
}

static bool load_text(const Loader *L, const Node *n, const char *label,
                      bool optional, Text *out)
{
    if (!check_string(L, n, label, optional))
        return false;
    out->utf8 = xstrndup(n->value, n->length);
    out->pos = *AT(L, n);
    return true;
}

static void check_template(const Loader *L, const Node *n, const char *label,
                           const char *const *allowed)
{
    bool used[8] = {false};
    char list[128] = "";
    for (size_t k = 0; allowed[k]; k++) {
        assert(k < sizeof used / sizeof used[0]);
        size_t at = strlen(list);
        snprintf(list + at, sizeof list - at, "%s{%s}", k ? ", " : "",
                 allowed[k]);
    }
    /* check_string() has ruled out NULs, so C string functions are safe. */
    for (const char *p = n->value; *p; p++) {
        if (*p == '}') {
            diag_error(AT(L, n), "unmatched '}' in %s", label);
            continue;
        }
        if (*p != '{')
            continue;
        size_t len = strcspn(p + 1, "{}");
        if (p[1 + len] != '}') {
            diag_error(AT(L, n), "unmatched '{' in %s", label);
            continue;
        }
        size_t k = 0;
        while (allowed[k] && !(strlen(allowed[k]) == len &&
                               memcmp(allowed[k], p + 1, len) == 0))
            k++;
        if (allowed[k])
            used[k] = true;
        else
            diag_error(AT(L, n), "unknown placeholder {%.*s} in %s "
                       "(allowed: %s)", (int)len, p + 1, label, list);
        p += len + 1;
    }
    for (size_t k = 0; allowed[k]; k++)
        if (!used[k])
            diag_error(AT(L, n), "%s must contain {%s}", label, allowed[k]);
}

static void load_list(const Loader *L, const Node *n, const char *label,
                      TextList *out)
{
    if (!expect(L, n, NODE_SEQUENCE, label))
        return;
    if (n->count > MAX_LIST_ITEMS) {
        diag_error(AT(L, n), "%s has %zu items, more than the limit of %d",
                   label, n->count, MAX_LIST_ITEMS);
        return;
    }
    out->pos = *AT(L, n);
    out->items = xcalloc(n->count, sizeof *out->items);
    for (size_t i = 0; i < n->count; i++) {
        char item[160];
        snprintf(item, sizeof item, "item %zu of %s", i + 1, label);
        if (load_text(L, n->items[i], item, false, &out->items[out->count]))
            out->count++;
    }
}

static bool leap_year(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static void load_date(const Loader *L, const Node *n, const char *label,
                      Date *out)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (!check_string(L, n, label, false))
        return;
    const char *s = n->value;
    bool shaped = n->length == 10 && s[4] == '-' && s[7] == '-';
    for (size_t i = 0; shaped && i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            shaped = false;
    if (!shaped) {
        diag_error(AT(L, n), "%s must be a date in the form YYYY-MM-DD, "
                   "found '%s'", label, s);
        return;
    }
    int year = atoi(s), month = atoi(s + 5), day = atoi(s + 8);
    if (year < 1) {
        diag_error(AT(L, n), "%s is not a calendar date: %s (there is no "
                   "year 0000)", label, s);
        return;
    }
    if (month < 1 || month > 12) {
        diag_error(AT(L, n), "%s is not a calendar date: %s (month must be "
                   "01 to 12)", label, s);
        return;
    }
    int last = days[month - 1] + (month == 2 && leap_year(year));
    if (day < 1 || day > last) {
        diag_error(AT(L, n), "%s is not a calendar date: %s (%.7s has %d "
                   "days)", label, s, s, last);
        return;
    }
    out->year = year;
    out->month = month;
    out->day = day;
    out->pos = *AT(L, n);
}

static void load_mapping(const Loader *L, const Node *map, const Table *table,
                         void *record, const char *path);

/* source: one "field: digest" pair per line; what the fields and digests
 * must be is review.c's to say, so only the shape is checked here. */
static void load_sources(const Loader *L, const Node *map, const char *label, Review *out)
{
    if (!expect(L, map, NODE_MAPPING, label))
        return;
    out->source_pos = *AT(L, map);
    out->sources = xcalloc(map->count / 2 + 1, sizeof *out->sources);
    for (size_t i = 0; i + 1 < map->count; i += 2) {
        char item[192];
        snprintf(item, sizeof item, "a field name in %s", label);
        SourceDigest d = {0};
        if (!load_text(L, map->items[i], item, false, &d.field))
            continue;
        snprintf(item, sizeof item, "the digest of '%.40s' in %s", d.field.utf8, label);
        if (!load_text(L, map->items[i + 1], item, false, &d.digest)) {
            free(d.field.utf8);
            continue;
        }
        for (size_t j = 0; j < out->source_count; j++)
            if (strcmp(out->sources[j].field.utf8, d.field.utf8) == 0) {
                diag_error(&d.field.pos, "duplicate key '%s' in %s (first at line %u)",
                           d.field.utf8, label, out->sources[j].field.pos.line);
                break;
            }
        out->sources[out->source_count++] = d;
    }
}

static void free_sources(Review *review)
{
    for (size_t i = 0; i < review->source_count; i++) {
        free(review->sources[i].field.utf8);
        free(review->sources[i].digest.utf8);
    }
    free(review->sources);
}

static void load_field(const Loader *L, const Field *field, const Node *value,
                       void *record, const char *path)
{
    char label[96];
    if (path)
        snprintf(label, sizeof label, "'%s.%s'", path, field->key);
    else
        snprintf(label, sizeof label, "'%s'", field->key);
    void *slot = (char *)record + field->offset;
    switch (field->kind) {
    case FIELD_TEXT:
        if (load_text(L, value, label, field->optional, slot) &&
            field->placeholders)
            check_template(L, value, label, field->placeholders);
        break;
    case FIELD_LIST:
        load_list(L, value, label, slot);
        break;
    case FIELD_DATE:
        load_date(L, value, label, slot);
        break;
    case FIELD_MAPPING:
        /* Tables nest one level, so the key alone names the path. */
        if (expect(L, value, NODE_MAPPING, label))
            load_mapping(L, value, field->table, record, field->key);
        break;
    case FIELD_NODE:
        *(const Node **)slot = value;
        break;
    case FIELD_SOURCES:
        load_sources(L, value, label, slot);
        break;
    }
}

/* The keys of one mapping seen so far, so that finding a duplicate costs
 * the same for the 100,000th key as for the second (open addressing). */
typedef struct KeySet {
    const Node **slots;
    size_t mask;
} KeySet;

static size_t hash_bytes(const char *s, size_t len)
{
    size_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static void keyset_init(KeySet *set, size_t keys)
{
    size_t n = 16;
    while (n < keys * 2)
        n *= 2;
    set->slots = xcalloc(n, sizeof *set->slots);
    set->mask = n - 1;
}

/* Returns the earlier key equal to key, or adds key and returns NULL. */
static const Node *keyset_add(KeySet *set, const Node *key)
{
    size_t i = hash_bytes(key->value, key->length) & set->mask;
    for (; set->slots[i]; i = (i + 1) & set->mask)
        if (set->slots[i]->length == key->length &&
            memcmp(set->slots[i]->value, key->value, key->length) == 0)
            return set->slots[i];
    set->slots[i] = key;
    return NULL;
}

/* Fill `record` from the mapping `map` as `table` says.  path names the
 * enclosing key for nested tables (NULL at the top of a record). */
static void load_mapping(const Loader *L, const Node *map, const Table *table,
                         void *record, const char *path)
{
    bool seen[MAX_FIELDS] = {false};
    char in[80] = "";
    assert(table->count <= MAX_FIELDS);
    if (path)
        snprintf(in, sizeof in, " in '%s'", path);
    KeySet keys;
    keyset_init(&keys, map->count / 2);

    for (size_t i = 0; i + 1 < map->count; i += 2) {
        const Node *key = map->items[i], *value = map->items[i + 1];
        if (key->kind == NODE_ALIAS)
            continue;
        if (key->kind != NODE_SCALAR) {
            diag_error(AT(L, key), "expected a string key, found %s",
                       kind_name(key->kind));
            continue;
        }
        long c = control_char(key->value, key->length);
        if (c >= 0) {
            diag_error(AT(L, key), "key '%.*s%s' contains a control character "
                       "(U+%04lX)", shown(key->value, key->length), key->value,
                       ELLIPSIS(key->length), (unsigned long)c);
            continue;
        }
        const Node *first = keyset_add(&keys, key);
        if (first) {
            diag_error(AT(L, key), "duplicate key '%.*s%s' (first at line %u)",
                       shown(key->value, key->length), key->value,
                       ELLIPSIS(key->length),
                       first->line);
            continue;
        }
        size_t f = 0;
        while (f < table->count && !scalar_is(key, table->fields[f].key))
            f++;
        if (f == table->count) {
            char expected[512] = "";
            for (size_t k = 0; k < table->count; k++) {
                size_t at = strlen(expected);
                snprintf(expected + at, sizeof expected - at, "%s%s",
                         k ? ", " : "", table->fields[k].key);
            }
            diag_error(AT(L, key), "unknown key '%.*s%s'%s (expected one of: %s)",
                       shown(key->value, key->length), key->value,
                       ELLIPSIS(key->length),
                       in, expected);
            continue;
        }
        seen[f] = true;
        load_field(L, &table->fields[f], value, record, path);
    }
    free(keys.slots);
    for (size_t f = 0; f < table->count; f++)
        if (!seen[f] && !table->fields[f].optional)
            diag_error(AT(L, map), "missing required key '%s'%s",
                       table->fields[f].key, in);
}

static bool expect_root(const Loader *L, const Node *root)
{
    if (root->kind == NODE_MAPPING || root->kind == NODE_ALIAS)
        return root->kind == NODE_MAPPING;
    if (is_blank(root))
        diag_error(AT(L, root), "file is empty (expected a mapping)");
    else
        diag_error(AT(L, root), "expected a mapping at the top level, "
                   "found %s", kind_name(root->kind));
    return false;
}

static void free_record(const Table *table, void *record)
{
    for (size_t f = 0; f < table->count; f++) {
        const Field *field = &table->fields[f];
        void *slot = (char *)record + field->offset;
        if (field->kind == FIELD_TEXT) {
            free(((Text *)slot)->utf8);
        } else if (field->kind == FIELD_LIST) {
            TextList *list = slot;
            for (size_t i = 0; i < list->count; i++)
                free(list->items[i].utf8);
            free(list->items);
        } else if (field->kind == FIELD_MAPPING) {
            free_record(field->table, record);
        } else if (field->kind == FIELD_SOURCES) {
            free_sources(slot);
        }
    }
}

/* ---- the files -------------------------------------------------------- */

/* Returns false only when references.yaml cannot be read at all. */
static bool load_references(Loader *L)
{
    bool unreadable;
    Node *root = parse_file(L, &unreadable);
    if (!root)
        return !unreadable;
    L->references_ok = true;
    ReferencesFile file = {NULL};
    if (expect_root(L, root))
        load_mapping(L, root, &references_file_table, &file, NULL);
    const Node *list = file.references;
    if (list && list->kind == NODE_SEQUENCE && list->count > MAX_REFERENCES) {
        diag_error(AT(L, list), "'references' has %zu items, more than the "
                   "limit of %d", list->count, MAX_REFERENCES);
    } else if (list && expect(L, list, NODE_SEQUENCE, "'references'")) {
        Content *c = L->content;
        c->references = xcalloc(list->count, sizeof *c->references);
        for (size_t i = 0; i < list->count; i++) {
            char label[64];
            snprintf(label, sizeof label, "item %zu of 'references'", i + 1);
            if (expect(L, list->items[i], NODE_MAPPING, label))
                load_mapping(L, list->items[i], &reference_table,
                             &c->references[c->reference_count++], NULL);
        }
        for (size_t i = 0; i < c->reference_count; i++) {
            const Text *id = &c->references[i].id;
            for (size_t j = 0; id->utf8 && j < i; j++) {
                const Text *other = &c->references[j].id;
                if (other->utf8 && strcmp(other->utf8, id->utf8) == 0) {
                    diag_error(&id->pos, "duplicate reference id '%s' "
                               "(first at line %u)", id->utf8,
                               other->pos.line);
                    break;
                }
            }
        }
    }
    node_free(root);
    return true;
}

/* The shape of a BCP 47 tag (en, zh-Hans, pt-BR): a language of two to
 * eight letters, then subtags of letters and digits.  The code goes
 * into HTML attributes and links, and the PDF's /Lang, unescaped. */
static bool is_language_tag(const char *s)
{
    size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
    if (n < 2 || n > 8)
        return false;
    for (s += n; *s; s += n) {
        if (*s++ != '-')
            return false;
        n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
        if (n < 1 || n > 8)
            return false;
    }
    return true;
}

/* Is locale one ICU can set a language in?  ICU opens any name: one it
 * knows nothing of ('xx', 'klingon') silently becomes the process's
 * default locale, and the root ('und', 'root') has no letters for the
 * glossary's index, which failed only when a glossary was built, with no
 * place.  The index letters stand for the locale's data as a whole. */
static void check_locale(const Text *locale)
{
    UErrorCode status = U_ZERO_ERROR;
    ULocaleData *data = ulocdata_open(locale->utf8, &status);
    bool unknown = status == U_USING_DEFAULT_WARNING || U_FAILURE(status);
    USet *index = U_SUCCESS(status)
                      ? ulocdata_getExemplarSet(data, NULL, 0, ULOCDATA_ES_INDEX, &status)
                      : NULL;
    if (data)
        ulocdata_close(data);
    if (index)
        uset_close(index);
    if (unknown)
        diag_error(&locale->pos, "locale '%s' is unknown to ICU (it would set the language "
                   "as another): give one ICU has, as in en-US, fr, pt-BR", locale->utf8);
    else if (U_FAILURE(status))
        diag_error(&locale->pos, "locale '%s' names no language ICU has data for (no letters "
                   "for the glossary's index): give one, as in en-US, fr, pt-BR", locale->utf8);
}

static void load_strings(Loader *L, Language *language)
{
    bool unreadable;
    Node *root = parse_file(L, &unreadable);
    if (!root)
        return;
    Strings *s = &language->strings;
    if (expect_root(L, root))
        load_mapping(L, root, &strings_table, s, NULL);
    if (s->language.utf8 && !is_language_tag(s->language.utf8))
        diag_error(&s->language.pos, "language '%s' is not a language tag (letters, "
                   "digits and '-', as in en, zh-Hans, pt-BR)", s->language.utf8);
    else if (s->language.utf8 && strcmp(s->language.utf8, language->code) != 0)
        diag_error(&s->language.pos, "language '%s' does not match the "
                   "folder name '%s'", s->language.utf8, language->code);
    if (s->locale.utf8)
        check_locale(&s->locale);
    if (s->month_names.count && s->month_names.count != 12)
        diag_error(&s->month_names.pos, "'month_names' must list 12 months, found %zu",
                   s->month_names.count);
    if (!s->month_names.count != !s->date_format.utf8)
        diag_error(s->month_names.count ? &s->month_names.pos : &s->date_format.pos,
                   "'month_names' and 'date_format' go together: give both or neither");
    node_free(root);
}

/* Do a and b read the same once composed (NFC)?  macOS and some archive
 * tools store file names decomposed (NFD), which looks identical on screen
 * to the composed id inside the file. */
static bool nfc_equal(const char *a, const char *b)
{
    UErrorCode status = U_ZERO_ERROR;
    const UNormalizer2 *nfc = unorm2_getNFCInstance(&status);
    UChar *u[2] = {NULL, NULL}, *n[2] = {NULL, NULL};
    int32_t nlen[2] = {0, 0};
    const char *s[2] = {a, b};
    bool equal = false;
    for (int k = 0; k < 2 && U_SUCCESS(status); k++) {
        int32_t len = (int32_t)strlen(s[k]), ulen = 0;
        u[k] = xcalloc((size_t)len + 1, sizeof *u[k]);
        u_strFromUTF8(u[k], len + 1, &ulen, s[k], len, &status);
        n[k] = xcalloc((size_t)ulen * 4 + 1, sizeof *n[k]);
        if (U_SUCCESS(status))
            nlen[k] = unorm2_normalize(nfc, u[k], ulen, n[k], ulen * 4 + 1, &status);
    }
    if (status == U_MEMORY_ALLOCATION_ERROR)
        oom_abort();
    if (U_SUCCESS(status))
        equal = nlen[0] == nlen[1] && u_strncmp(n[0], n[1], nlen[0]) == 0;
    for (int k = 0; k < 2; k++) {
        free(u[k]);
        free(n[k]);
    }
    return equal;
}

/* Only the characters a URI may hold (RFC 3986), and '%' before two hex
 * digits: the url goes as it is into the PDF's link, which must be ASCII,
 * and into the QR code, and "é" or "%zz" there is a link readers differ
 * on. */
bool content_uri_char(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c && strchr("-._~:/?#[]@!$&'()*+,;=%", c));
}

static bool is_uri(const char *s)
{
    for (; *s; s++) {
        if (!content_uri_char((unsigned char)*s))
            return false;
        if (*s == '%' && !(isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2])))
            return false;
    }
    return true;
}

static void load_drug(Loader *L, Drug *drug, const char *stem)
{
    bool unreadable;
    Node *root = parse_file(L, &unreadable);
    if (!root)
        return;
    if (expect_root(L, root))
        load_mapping(L, root, &drug_table, drug, NULL);
    const char *id = drug->id.utf8;
    if (id && strlen(id) > MAX_ID_BYTES)
        diag_error(&drug->id.pos, "id '%.*s...' is %zu bytes long, more than "
                   "the limit of %d (it names the PDF file)", shown(id, strlen(id)), id,
                   strlen(id), MAX_ID_BYTES);
    else if (id && strcmp(id, stem) != 0 && nfc_equal(stem, id))
        diag_error(&drug->id.pos, "the file name '%s.yaml' is in decomposed "
                   "Unicode (NFD) and only looks like the id '%s'; rename the "
                   "file to its composed (NFC) form", stem, id);
    else if (id && strcmp(id, stem) != 0)
        diag_error(&drug->id.pos, "id '%s' does not match the file name "
                   "'%s.yaml'", id, stem);
    /* The sheet would be <lang>/all.pdf, which the booklet overwrites. */
    else if (id && strcmp(id, "all") == 0)
        diag_error(&drug->id.pos, "the id 'all' names the booklet (all.pdf) of every "
                   "language; give the drug another id and file name");
    if (drug->url.utf8 && (strncmp(drug->url.utf8, "https://", 8) != 0 ||
                           !is_uri(drug->url.utf8)))
        diag_error(&drug->url.pos, "url must be a web address starting with https://, "
                   "without spaces, of the characters RFC 3986 allows (others "
                   "percent-encoded: %%C3%%A9 for \u00E9), found '%s'", drug->url.utf8);
    const TextList *refs = &drug->references;
    for (size_t i = 0; i < refs->count; i++) {
        const Text *ref = &refs->items[i];
        const Text *first = NULL;
        for (size_t j = 0; j < i && !first; j++)
            if (strcmp(refs->items[j].utf8, ref->utf8) == 0)
                first = &refs->items[j];
        if (first)
            diag_error(&ref->pos, "duplicate reference '%s' (first at line "
                       "%u)", ref->utf8, first->pos.line);
        else if (L->references_ok &&
                 !content_reference(L->content, ref->utf8))
            diag_error(&ref->pos, "unknown reference '%s' (not in %s)",
                       ref->utf8, L->references_file);
    }
    node_free(root);
}

/* An id: lower-case ASCII letters, digits and '-', as it goes into links. */
static bool valid_id(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
            return false;
    return true;
}

static void load_glossary(Loader *L, Language *language)
{
    bool unreadable;
    Node *root = parse_file(L, &unreadable);
    if (!root)
        return;
    GlossaryFile file = {.glossary = {.file = L->file}};
    if (expect_root(L, root))
        load_mapping(L, root, &glossary_table, &file, NULL);
    Glossary *g = &file.glossary;
    const Node *list = file.terms;
    if (list && expect(L, list, NODE_SEQUENCE, "'terms'")) {
        g->terms = xcalloc(list->count, sizeof *g->terms);
        for (size_t i = 0; i < list->count; i++) {
            char label[64];
            snprintf(label, sizeof label, "item %zu of 'terms'", i + 1);
            if (!expect(L, list->items[i], NODE_MAPPING, label))
                continue;
            GlossaryTerm *t = &g->terms[g->term_count++];
            load_mapping(L, list->items[i], &term_table, t, NULL);
            if (t->id.utf8 && !valid_id(t->id.utf8))
                diag_error(&t->id.pos, "glossary id '%s' may hold only a-z, 0-9 and '-'",
                           t->id.utf8);
            for (size_t j = 0; t->id.utf8 && j + 1 < g->term_count; j++)
                if (g->terms[j].id.utf8 && strcmp(g->terms[j].id.utf8, t->id.utf8) == 0) {
                    diag_error(&t->id.pos, "duplicate glossary id '%s' (first at line %u)",
                               t->id.utf8, g->terms[j].id.pos.line);
                    break;
                }
        }
    }
    language->glossary = *g;
    node_free(root);
}

static bool glossary_has(const Glossary *g, const char *id)
{
    for (size_t i = 0; i < g->term_count; i++)
        if (g->terms[i].id.utf8 && strcmp(g->terms[i].id.utf8, id) == 0)
            return true;
    return false;
}

/* Every glossary has the same terms as the English one (or, without
 * English, the first): an extra term is reported where it is, a missing
 * one at the top of the file that lacks it. */
static void check_same_glossaries(const Content *c)
{
    const Glossary *ref = NULL;
    for (size_t i = 0; i < c->language_count; i++)
        if (c->languages[i].glossary.file &&
            (!ref || strcmp(c->languages[i].code, "en") == 0))
            ref = &c->languages[i].glossary;
    for (size_t l = 0; ref && l < c->language_count; l++) {
        const Glossary *g = &c->languages[l].glossary;
        if (!g->file || g == ref)
            continue;
        for (size_t i = 0; i < g->term_count; i++) {
            const Text *id = &g->terms[i].id;
            if (id->utf8 && !glossary_has(ref, id->utf8))
                diag_error(&id->pos, "glossary term '%s' is not in %s", id->utf8, ref->file);
        }
        for (size_t i = 0; i < ref->term_count; i++) {
            const Text *id = &ref->terms[i].id;
            if (id->utf8 && !glossary_has(g, id->utf8))
                diag_error(&(SourcePos){g->file, 1, 1},
                           "glossary has no term '%s' (%s:%u has it)", id->utf8, ref->file,
                           id->pos.line);
        }
    }
}

static void free_glossary(Glossary *g)
{
    for (size_t i = 0; i < g->term_count; i++)
        free_record(&term_table, &g->terms[i]);
    free(g->terms);
    GlossaryFile file = {.glossary = *g};
    free_record(&glossary_table, &file);
}

/* One language folder's directory listing, kept until the cross-language
 * check has run. */
typedef struct Listing {
    bool ok;
    bool has_strings;
    bool has_glossary;
    char **stems; /* drug ids from file names, sorted */
    size_t count;
    const char **paths; /* parallel to stems; owned by content->files */
} Listing;

/* The sorted names of the subdirectories (dirs) or of every other entry
 * (files: read_source then says if one is a FIFO or a folder) in path,
 * leaving out dot-entries.  A link that cannot be followed is reported,
 * not skipped.  On failure, errno says why. */
static bool list_dir(const char *path, bool dirs, char ***names,
                     size_t *count)
{
    DIR *d = opendir(path);
    size_t cap = 0;
    *names = NULL;
    *count = 0;
    if (!d)
        return false;
    struct dirent *e;
    while ((errno = 0, e = readdir(d))) {
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        if (fstatat(dirfd(d), e->d_name, &st, 0) != 0) {
            int err = errno;
            if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISLNK(st.st_mode))
                diag_error(NULL, "%s/%s is a %s symbolic link", path, e->d_name,
                           err == ELOOP ? "looping" : "broken");
            continue;
        }
        if (dirs && !S_ISDIR(st.st_mode))
            continue;
        if (*count == cap)
            *names = xgrow(*names, &cap, sizeof **names);
        (*names)[(*count)++] = xstrndup(e->d_name, strlen(e->d_name));
    }
    int err = errno;
    closedir(d);
    if (*count)
        qsort(*names, *count, sizeof **names, compare_strings);
    errno = err;
    return err == 0;
}

static void free_names(char **names, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

/* Lists the language's folder (for the cross-language checks) and, when
 * parse is set, loads its files; a language left unparsed keeps only its
 * code. */
static void load_language(Loader *L, Language *language, Listing *listing, bool parse)
{
    char *folder = xasprintf("%s/%s", L->dir, language->code);
    char **names;
    size_t count;
    if (!inside_tree(L, folder)) {
        free(folder);
        return;
    }
    if (!list_dir(folder, false, &names, &count)) {
        diag_error(NULL, "cannot read language folder '%s': %s", folder,
                   strerror(errno));
        free_names(names, count);
        free(folder);
        return;
    }
    listing->ok = true;
    listing->stems = xcalloc(count, sizeof *listing->stems);
    listing->paths = xcalloc(count, sizeof *listing->paths);
    for (size_t i = 0; i < count; i++) {
        size_t len = strlen(names[i]);
        if (strcmp(names[i], "strings.yaml") == 0)
            listing->has_strings = true;
        else if (strcmp(names[i], "glossary.yaml") == 0)
            listing->has_glossary = true;
        else if (len > 5 && strcmp(names[i] + len - 5, ".yaml") == 0)
            listing->stems[listing->count++] = xstrndup(names[i], len - 5);
    }
    free_names(names, count);
    if (!listing->has_strings)
        diag_error(NULL, "language folder '%s' has no strings.yaml", folder);
    if (!parse) {
        for (size_t i = 0; i < listing->count; i++)
            listing->paths[i] = add_file(L, xasprintf("%s/%s.yaml", folder, listing->stems[i]));
        free(folder);
        return;
    }

    if (listing->has_strings) {
        L->file = add_file(L, xasprintf("%s/strings.yaml", folder));
        load_strings(L, language);
    }
    if (listing->has_glossary) {
        L->file = add_file(L, xasprintf("%s/glossary.yaml", folder));
        load_glossary(L, language);
    }

    language->drugs = xcalloc(listing->count, sizeof *language->drugs);
    language->drug_count = listing->count;
    for (size_t i = 0; i < listing->count; i++) {
        L->file = add_file(L, xasprintf("%s/%s.yaml", folder,
                                        listing->stems[i]));
        listing->paths[i] = L->file;
        load_drug(L, &language->drugs[i], listing->stems[i]);
    }
    free(folder);
}

static void check_same_drugs(const Loader *L, const Listing *listings)
{
    const Content *c = L->content;
    for (size_t a = 0; a < c->language_count; a++) {
        for (size_t i = 0; i < listings[a].count; i++) {
            const char *stem = listings[a].stems[i];
            for (size_t b = 0; b < c->language_count; b++) {
                if (b == a || !listings[b].ok ||
                    (listings[b].count &&
                     bsearch(&stem, listings[b].stems, listings[b].count,
                             sizeof stem, compare_strings)))
                    continue;
                const char *code = c->languages[b].code;
                diag_error(&(SourcePos){listings[a].paths[i], 1, 1},
                           "drug '%s' has no sheet in language '%s' "
                           "(expected %s/%s/%s.yaml)",
                           stem, code, L->dir, code, stem);
            }
        }
    }
}

/* ---- one digit system per sheet ---------------------------------------- */

/* The zero of the language's digit system (U+0030, U+0660, U+0966, ...),
 * or -1 (reported) for a name CLDR does not know. */
static UChar32 digit_zero(const Strings *s)
{
    UErrorCode status = U_ZERO_ERROR;
    UNumberingSystem *ns = s->digits.utf8 ? unumsys_openByName(s->digits.utf8, &status)
                                          : unumsys_open(s->locale.utf8, &status);
    UChar desc[16];
    int32_t n = U_SUCCESS(status) && !unumsys_isAlgorithmic(ns)
                    ? unumsys_getDescription(ns, desc, 16, &status)
                    : 0;
    if (ns)
        unumsys_close(ns);
    if (U_FAILURE(status) || n < 10) {
        if (s->digits.utf8)
            diag_error(&s->digits.pos, "unknown digit system '%s' (a CLDR numbering system "
                       "with ten digits: latn, arab, arabext, deva, ...)", s->digits.utf8);
        return -1;
    }
    UChar32 zero;
    U16_GET(desc, 0, 0, n, zero);
    return zero;
}

/* Warns once per value that writes digits of another system than the
 * sheet's (a translator typing "٢٤" on a sheet set in Western digits). */
static void check_digits_in(const Text *t, UChar32 zero, const char *system)
{
    if (!t->utf8)
        return;
    int32_t len = (int32_t)strlen(t->utf8);
    for (int32_t i = 0; i < len;) {
        UChar32 c;
        U8_NEXT(t->utf8, i, len, c);
        int32_t v = u_charDigitValue(c);
        if (c >= 0 && v >= 0 && u_charType(c) == U_DECIMAL_DIGIT_NUMBER && c - v != zero) {
            diag_warning(&t->pos, "digit U+%04X is not of this language's digit system (%s): "
                         "the numbers pdfgen writes on the sheet use %s; write this one so too, "
                         "or change 'digits' in strings.yaml", (unsigned)c, system, system);
            return;
        }
    }
}

static void check_digits(const Language *lang)
{
    const Strings *s = &lang->strings;
    UChar32 zero = digit_zero(s);
    if (zero < 0)
        return;
    const char *system = s->digits.utf8 ? s->digits.utf8 : "the locale's default";
    /* the phone number is dialled as written, whatever the sheet's digits */
    const Text *strings[] = {&s->sheet_title, &s->series, &s->draft_notice, &s->helpline_heading,
                             &s->helpline_text, &s->helpline_reach, &s->disclaimer};
    for (size_t i = 0; i < sizeof strings / sizeof *strings; i++)
        check_digits_in(strings[i], zero, system);
    for (size_t d = 0; d < lang->drug_count; d++) {
        const Drug *drug = &lang->drugs[d];
        const Text *texts[] = {&drug->drug_class, &drug->targeted_drugs, &drug->how_it_works,
                               &drug->how_it_is_taken, &drug->who_it_is_for};
        for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
            check_digits_in(texts[i], zero, system);
        for (size_t i = 0; i < drug->common_side_effects.count; i++)
            check_digits_in(&drug->common_side_effects.items[i], zero, system);
        for (size_t i = 0; i < drug->serious_side_effects.count; i++)
            check_digits_in(&drug->serious_side_effects.items[i], zero, system);
    }
}

/* English is always loaded: every translation's source digests, review
 * status and the English line of its band come from it (review.h). */
static bool is_wanted(const char *code, const char *const *wanted, size_t wanted_count)
{
    if (!wanted || strcmp(code, "en") == 0)
        return true;
    for (size_t i = 0; i < wanted_count; i++)
        if (strcmp(wanted[i], code) == 0)
            return true;
    return false;
}

Content *content_load(const char *dir)
{
    return content_load_languages(dir, NULL, 0);
}

Content *content_load_languages(const char *dir, const char *const *wanted, size_t wanted_count)
{
    char **codes;
    size_t count;
    if (!list_dir(dir, true, &codes, &count)) {
        diag_error(NULL, "cannot read content directory '%s': %s", dir,
                   strerror(errno));
        free_names(codes, count);
        return NULL;
    }

    Content *c = xcalloc(1, sizeof *c);
    size_t dir_len = strlen(dir);
    while (dir_len > 1 && dir[dir_len - 1] == '/')
        dir_len--;
    char *root = xstrndup(dir, dir_len);
    Loader L = {.content = c, .dir = root};
    if (!realpath(root, L.real_dir)) {
        diag_error(NULL, "cannot read content directory '%s': %s", dir,
                   strerror(errno));
        free_names(codes, count);
        free(root);
        content_free(c);
        return NULL;
    }

    L.file = L.references_file =
        add_file(&L, xasprintf("%s/references.yaml", root));
    if (!load_references(&L)) {
        free_names(codes, count);
        free(root);
        content_free(c);
        return NULL;
    }

    if (count == 0)
        diag_error(NULL, "no language folders in '%s'", root);
    c->languages = xcalloc(count, sizeof *c->languages);
    c->language_count = count;
    Listing *listings = xcalloc(count, sizeof *listings);
    for (size_t i = 0; i < count; i++) {
        c->languages[i].code = codes[i];
        load_language(&L, &c->languages[i], &listings[i],
                      is_wanted(codes[i], wanted, wanted_count));
    }
    free(codes); /* the strings now belong to the languages */
    check_same_drugs(&L, listings);
    /* The languages only listed leave the Content: what is built, checked
     * and looked up is what was loaded. */
    size_t kept = 0;
    for (size_t i = 0; i < count; i++) {
        if (is_wanted(c->languages[i].code, wanted, wanted_count))
            c->languages[kept++] = c->languages[i];
        else
            free(c->languages[i].code);
    }
    c->language_count = kept;
    for (size_t i = 0; i < c->language_count; i++)
        if (c->languages[i].strings.locale.utf8)
            check_digits(&c->languages[i]);
    check_same_glossaries(c);
    /* English is the source every translation is made from (review.h). */
    const Language *english = content_language(c, "en");
    for (size_t i = 0; i < c->language_count; i++)
        if (&c->languages[i] != english)
            c->languages[i].source = english;

    for (size_t i = 0; i < count; i++) {
        free_names(listings[i].stems, listings[i].count);
        free(listings[i].paths);
    }
    free(listings);
    free(root);
    return c;
}

void content_free(Content *content)
{
    if (!content)
        return;
    for (size_t i = 0; i < content->language_count; i++) {
        Language *language = &content->languages[i];
        free_record(&strings_table, &language->strings);
        free_glossary(&language->glossary);
        for (size_t d = 0; d < language->drug_count; d++)
            free_record(&drug_table, &language->drugs[d]);
        free(language->drugs);
        free(language->code);
    }
    free(content->languages);
    for (size_t i = 0; i < content->reference_count; i++)
        free_record(&reference_table, &content->references[i]);
    free(content->references);
    for (size_t i = 0; i < content->file_count; i++)
        free(content->files[i]);
    free(content->files);
    free(content);
}

const Language *content_language(const Content *content, const char *code)
{
    for (size_t i = 0; i < content->language_count; i++)
        if (strcmp(content->languages[i].code, code) == 0)
            return &content->languages[i];
    return NULL;
}

const Drug *language_drug(const Language *language, const char *id)
{
    for (size_t i = 0; i < language->drug_count; i++)
        if (language->drugs[i].id.utf8 &&
            strcmp(language->drugs[i].id.utf8, id) == 0)
            return &language->drugs[i];
    return NULL;
}

const Date *language_last_revised(const Language *language)
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

const Reference *content_reference(const Content *content, const char *id)
{
    for (size_t i = 0; i < content->reference_count; i++)
        if (content->references[i].id.utf8 &&
            strcmp(content->references[i].id.utf8, id) == 0)
            return &content->references[i];
    return NULL;
}
