/* hyphen_load.c — a libhyphen dictionary file parsed in one pass.  See
 * hyphen_load.h. */
#include "hyphen_load.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* As libhyphen reads the file: the charset line with fgets into
 * MAX_NAME bytes, every other line into MAX_CHARS. */
#define CHARSET_LINE_MAX (MAX_NAME - 1)
#define LINE_MAX_BYTES (MAX_CHARS - 1)

/* One level's automaton while it is read: its states are the prefixes of
 * the patterns' letters, a trie whose edges are found through a hash
 * table and kept in the order they were made (libhyphen's order). */
typedef struct Edge {
    uint32_t parent, child;
    char ch;
} Edge;

typedef struct Level {
    HyphenDict *dict;
    size_t state_cap;
    /* each state's match and replacement: 1 + where they start in
     * strings (NUL-terminated), 0: none */
    uint32_t (*text)[2];
    char *strings;
    size_t strings_used, strings_cap;
    Edge *edges;
    size_t edge_count, edge_cap;
    uint32_t *slots; /* 1 + an index into edges; 0: empty */
    size_t slot_mask;
} Level;

static size_t edge_slot(uint32_t parent, char ch, size_t mask)
{
    uint64_t key = (uint64_t)parent << 8 | (unsigned char)ch;
    return (size_t)(((key + 1) * 0x9E3779B97F4A7C15u) >> 32) & mask;
}

static uint32_t child_of(const Level *l, uint32_t parent, char ch)
{
    for (size_t i = edge_slot(parent, ch, l->slot_mask);; i = (i + 1) & l->slot_mask) {
        uint32_t k = l->slots[i];
        if (!k)
            return 0; /* the root is no one's child */
        if (l->edges[k - 1].parent == parent && l->edges[k - 1].ch == ch)
            return l->edges[k - 1].child;
    }
}

static void put_slot(uint32_t *slots, size_t mask, const Edge *edges, uint32_t index)
{
    size_t i = edge_slot(edges[index].parent, edges[index].ch, mask);
    while (slots[i])
        i = (i + 1) & mask;
    slots[i] = index + 1;
}

static uint32_t new_state(Level *l)
{
    HyphenDict *d = l->dict;
    if ((size_t)d->num_states == l->state_cap) {
        l->state_cap *= 2;
        d->states = xreallocarray(d->states, l->state_cap, sizeof *d->states);
        l->text = xreallocarray(l->text, l->state_cap, sizeof *l->text);
    }
    d->states[d->num_states] = (HyphenState){.fallback_state = -1};
    l->text[d->num_states][0] = l->text[d->num_states][1] = 0;
    return (uint32_t)d->num_states++;
}

/* The state of the letters word, made with its prefixes if need be. */
static uint32_t state_of(Level *l, const char *word)
{
    uint32_t s = 0;
    for (; *word; word++) {
        uint32_t next = child_of(l, s, *word);
        if (!next) {
            next = new_state(l);
            if (l->edge_count == l->edge_cap) {
                l->edge_cap *= 2;
                l->edges = xreallocarray(l->edges, l->edge_cap, sizeof *l->edges);
            }
            l->edges[l->edge_count] = (Edge){s, next, *word};
            if (2 * ++l->edge_count > l->slot_mask + 1) {
                free(l->slots);
                l->slot_mask = 2 * (l->slot_mask + 1) - 1;
                l->slots = xcalloc(l->slot_mask + 1, sizeof *l->slots);
                for (size_t i = 0; i < l->edge_count; i++)
                    put_slot(l->slots, l->slot_mask, l->edges, (uint32_t)i);
            } else {
                put_slot(l->slots, l->slot_mask, l->edges, (uint32_t)(l->edge_count - 1));
            }
        }
        s = next;
    }
    return s;
}

/* 1 + where the copy of s starts in the level's strings. */
static uint32_t keep_string(Level *l, const char *s)
{
    size_t n = strlen(s) + 1;
    if (l->strings_used + n > l->strings_cap) {
        l->strings_cap = 2 * (l->strings_used + n);
        l->strings = xrealloc(l->strings, l->strings_cap);
    }
    memcpy(l->strings + l->strings_used, s, n);
    l->strings_used += n;
    return (uint32_t)(l->strings_used - n + 1);
}

static bool keyword(const char *line, const char *name, char *value)
{
    size_t n = strlen(name);
    if (strncmp(line, name, n) != 0)
        return false;
    *value = (char)atoi(line + n);
    return true;
}

/* NOHYPHEN: the comma-separated sequences after it, up to the line's last
 * byte (libhyphen drops it, the newline); false for an empty list, which
 * libhyphen reads before its buffer. */
static bool no_hyphen(HyphenDict *d, const char *list)
{
    while (*list == ' ' || *list == '\t')
        list++;
    size_t n = strlen(list);
    if (!n)
        return false;
    free(d->nohyphen);
    d->nohyphen = xstrdup(list);
    d->nohyphen[n - 1] = '\0';
    for (size_t i = n - 1; i-- > 1;)
        if (d->nohyphen[i] == ',') {
            d->nohyphen[i] = '\0';
            d->nohyphenl++;
        }
    return true;
}

/* Where the replacement's characters start and how many it replaces, in
 * bytes of word (libhyphen counts them in characters in UTF-8 files). */
static void replacement_in_bytes(const char *word, signed char *index, signed char *cut)
{
    int chars = -1, start = -1;
    size_t len = strlen(word);
    for (size_t at = word[0] == '.'; at <= len; at++) {
        if (((unsigned char)word[at] >> 6) != 2)
            chars++;
        if (start < 0 && *index == chars) {
            start = *index;
            *index = (signed char)at;
        }
        if (start >= 0 && chars - start == *cut) {
            *cut = (signed char)(at - (size_t)*index);
            break;
        }
    }
    if (word[0] == '.')
        (*index)--;
}

/* One line (NUL-terminated, its newline kept) of the level; false when it
 * is one libhyphen reads in a way this does not follow. */
static bool load_line(Level *l, char *line)
{
    HyphenDict *d = l->dict;
    if (line[0] == 'L' || line[0] == 'R' || line[0] == 'C' || line[0] == 'N') {
        /* every keyword starts with one of these; patterns rarely do */
        if (keyword(line, "LEFTHYPHENMIN", &d->lhmin) ||
            keyword(line, "RIGHTHYPHENMIN", &d->rhmin) ||
            keyword(line, "COMPOUNDLEFTHYPHENMIN", &d->clhmin) ||
            keyword(line, "COMPOUNDRIGHTHYPHENMIN", &d->crhmin))
            return true;
        if (strncmp(line, "NOHYPHEN", 8) == 0)
            return no_hyphen(d, line + 8);
    }
    /* a non-standard hyphenation: letters/replacement,index,cut */
    char *repl = strchr(line, '/');
    signed char index = 0, cut = 0;
    if (repl) {
        *repl++ = '\0';
        char *comma = strchr(repl, ',');
        if (comma) {
            *comma = '\0';
            char *comma2 = strchr(comma + 1, ',');
            if (comma2) {
                *comma2 = '\0';
                index = (signed char)(atoi(comma + 1) - 1);
                cut = (signed char)atoi(comma2 + 1);
            }
        } else {
            /* libhyphen's chomp: the last byte if it ends a line, and a
             * carriage return before it */
            size_t n = strlen(repl);
            if (n > 0 && (repl[n - 1] == '\n' || repl[n - 1] == '\r'))
                repl[n - 1] = '\0';
            if (n > 1 && repl[n - 2] == '\r')
                repl[n - 2] = '\0';
            cut = (signed char)strlen(line);
        }
    }
    /* letters, and the value before each letter and after the last */
    char word[MAX_CHARS], values[MAX_CHARS + 1];
    size_t n = 0;
    values[0] = '0';
    for (const char *p = line; (unsigned char)*p > ' '; p++) {
        if (*p >= '0' && *p <= '9') {
            values[n] = *p;
        } else {
            word[n++] = *p;
            values[n] = '0';
        }
    }
    word[n] = '\0';
    values[n + 1] = '\0';
    const char *match = values;
    if (!repl) {
        while (*match == '0')
            match++;
    } else {
        if (word[0] == '.')
            match++;
        if (d->utf8)
            replacement_in_bytes(word, &index, &cut);
    }
    uint32_t state = state_of(l, word); /* may move d->states */
    HyphenState *s = &d->states[state];
    /* the last line with these letters wins, as in libhyphen */
    l->text[state][0] = keep_string(l, match);
    l->text[state][1] = repl ? keep_string(l, repl) : 0;
    s->replindex = index;
    s->replcut = cut ? cut : (signed char)n;
    return true;
}

static HyphenDict *new_level(Level *l)
{
    HyphenDict *d = xcalloc(1, sizeof *d);
    *l = (Level){.dict = d, .state_cap = 1024, .edge_cap = 1024, .slot_mask = 2047};
    d->states = xreallocarray(NULL, l->state_cap, sizeof *d->states);
    l->text = xreallocarray(NULL, l->state_cap, sizeof *l->text);
    d->num_states = 0;
    new_state(l);
    l->edges = xreallocarray(NULL, l->edge_cap, sizeof *l->edges);
    l->slots = xcalloc(l->slot_mask + 1, sizeof *l->slots);
    return d;
}

/* Fallbacks (each state's longest proper suffix that is a state, found
 * breadth first: a suffix is shorter), transitions, and the level's
 * tables freed. */
static void finish_level(Level *l)
{
    HyphenDict *d = l->dict;
    size_t count = (size_t)d->num_states;
    uint32_t *order = xreallocarray(NULL, count, sizeof *order);
    uint32_t *first = xcalloc(count + 1, sizeof *first);
    for (size_t i = 0; i < l->edge_count; i++)
        first[l->edges[i].parent + 1]++;
    for (size_t s = 0; s < count; s++)
        first[s + 1] += first[s];
    /* each state's children, in the order they were made */
    uint32_t *children = xreallocarray(NULL, l->edge_count ? l->edge_count : 1, sizeof *children);
    uint32_t *fill = xreallocarray(NULL, count, sizeof *fill);
    memcpy(fill, first, count * sizeof *fill);
    for (size_t i = 0; i < l->edge_count; i++)
        children[fill[l->edges[i].parent]++] = (uint32_t)i;
    /* one block: the states, then their transitions, then their texts
     * (hyphen_load_free) */
    size_t states_size = count * sizeof(HyphenState);
    size_t trans_size = l->edge_count * sizeof(HyphenTrans);
    char *block = xmalloc(states_size + trans_size + l->strings_used);
    HyphenState *states = memcpy(block, d->states, states_size);
    HyphenTrans *trans = (HyphenTrans *)(block + states_size);
    char *strings = block + states_size + trans_size;
    if (l->strings_used)
        memcpy(strings, l->strings, l->strings_used);
    free(d->states);
    d->states = states;
    for (size_t s = 0; s < count; s++) {
        uint32_t n = first[s + 1] - first[s];
        states[s].num_trans = (int)n;
        states[s].trans = n ? trans + first[s] : NULL;
        for (uint32_t k = 0; k < n; k++) {
            const Edge *e = &l->edges[children[first[s] + k]];
            states[s].trans[k] = (HyphenTrans){e->ch, (int)e->child};
        }
        states[s].match = l->text[s][0] ? strings + l->text[s][0] - 1 : NULL;
        states[s].repl = l->text[s][1] ? strings + l->text[s][1] - 1 : NULL;
    }
    size_t head = 0, tail = 0;
    order[tail++] = 0;
    while (head < tail) {
        uint32_t s = order[head++];
        for (uint32_t k = first[s]; k < first[s + 1]; k++) {
            const Edge *e = &l->edges[children[k]];
            uint32_t fallback = 0;
            if (s) {
                for (uint32_t t = (uint32_t)d->states[s].fallback_state;;
                     t = (uint32_t)d->states[t].fallback_state) {
                    if ((fallback = child_of(l, t, e->ch)) || !t)
                        break;
                }
            }
            d->states[e->child].fallback_state = (int)fallback;
            order[tail++] = e->child;
        }
    }
    free(order);
    free(first);
    free(children);
    free(fill);
    free(l->edges);
    free(l->slots);
    free(l->text);
    free(l->strings);
    l->edges = NULL;
    l->slots = NULL;
    l->text = NULL;
    l->strings = NULL;
}

void hyphen_load_free(HyphenDict *dict)
{
    while (dict) {
        HyphenDict *next = dict->nextlevel;
        free(dict->states);
        free(dict->nohyphen);
        free(dict);
        dict = next;
    }
}

/* A level being read (its states own nothing yet) or read. */
static void free_level(Level *l)
{
    free(l->edges);
    free(l->slots);
    free(l->text);
    free(l->strings);
    hyphen_load_free(l->dict);
    *l = (Level){0};
}

HyphenDict *hyphen_load(const char *bytes, size_t len)
{
    if (memchr(bytes, '\0', len))
        return NULL;
    Level level[2] = {{0}};
    HyphenDict *first = new_level(&level[0]);
    /* the charset line */
    size_t at = 0;
    const char *nl = memchr(bytes, '\n', len);
    size_t n = nl ? (size_t)(nl - bytes) + 1 : len;
    if (n > CHARSET_LINE_MAX) {
        free_level(&level[0]);
        return NULL;
    }
    memcpy(first->cset, bytes, n);
    for (size_t i = 0; i < MAX_NAME; i++)
        if (first->cset[i] == '\r' || first->cset[i] == '\n')
            first->cset[i] = '\0';
    first->utf8 = strcmp(first->cset, "UTF-8") == 0;
    at = n;
    int k = 0;
    bool next_level = false, ok = true;
    while (ok && at < len) {
        nl = memchr(bytes + at, '\n', len - at);
        n = nl ? (size_t)(nl - (bytes + at)) + 1 : len - at;
        if (n > LINE_MAX_BYTES) {
            ok = false;
            break;
        }
        char line[MAX_CHARS];
        memcpy(line, bytes + at, n);
        line[n] = '\0';
        at += n;
        if (strncmp(line, "NEXTLEVEL", 9) == 0) {
            if (k == 1)
                break; /* libhyphen reads no further */
            finish_level(&level[0]);
            new_level(&level[1]);
            memcpy(level[1].dict->cset, first->cset, MAX_NAME - 1);
            level[1].dict->utf8 = first->utf8;
            k = 1;
            next_level = true;
        } else if (line[0] != '%') {
            ok = load_line(&level[k], line);
        }
    }
    if (!ok) {
        free_level(&level[0]);
        free_level(&level[1]);
        return NULL;
    }
    if (next_level) {
        finish_level(&level[1]);
        first->nextlevel = level[1].dict;
        return first;
    }
    finish_level(&level[0]);
    /* libhyphen's default first level: words break at hyphens and
     * apostrophes (and en dashes and typographic ones in UTF-8) */
    HyphenDict *top = new_level(&level[1]);
    memcpy(top->cset, first->cset, MAX_NAME - 1);
    top->utf8 = first->utf8;
    char lines[5][32] = {"NOHYPHEN ',-\n", "1-1\n", "1'1\n", "1\xe2\x80\x93" "1\n",
                         "1\xe2\x80\x99" "1\n"};
    if (top->utf8)
        strcpy(lines[0], "NOHYPHEN ',\xe2\x80\x93,\xe2\x80\x99,-\n");
    for (int i = 0; i < (top->utf8 ? 5 : 3); i++)
        load_line(&level[1], lines[i]);
    finish_level(&level[1]);
    top->nextlevel = first;
    top->lhmin = first->lhmin;
    top->rhmin = first->rhmin;
    top->clhmin = first->clhmin ? first->clhmin : first->lhmin ? first->lhmin : 3;
    top->crhmin = first->crhmin ? first->crhmin : first->rhmin ? first->rhmin : 3;
    return top;
}
