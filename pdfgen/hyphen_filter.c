/* hyphen_filter.c — the part of a libhyphen dictionary that some words
 * use.  See hyphen_filter.h. */
#include "hyphen_filter.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hyphen.h>

#include "alloc.h"

/* As libhyphen reads the file: the charset line with fgets into
 * MAX_NAME bytes, every other line into MAX_CHARS. */
#define CHARSET_LINE_MAX (MAX_NAME - 1)
#define LINE_MAX_BYTES (MAX_CHARS - 1)

/* The substrings of the texts libhyphen will run its automaton over, as
 * a trie whose edges are in a hash table: a pattern's longest prefix in
 * it is where its walk stops. */
typedef struct TrieNode {
    uint32_t parent;
    unsigned char byte;
    /* per section (bit 0: before NEXTLEVEL, bit 1: after) */
    uint8_t covered; /* a kept pattern starts with this string */
    uint8_t pattern; /* this string is a pattern's letters */
    uint8_t stop;    /* a pattern's walk stopped here */
} TrieNode;

typedef struct Trie {
    TrieNode *nodes;
    size_t count, cap;
    uint32_t root[256]; /* the root's children: most walks end there */
    uint64_t *edges;    /* the others: (parent << 8 | byte) + 1 << 32 | child; 0 empty */
    size_t edge_mask;
} Trie;

static size_t edge_slot(uint64_t key, size_t mask)
{
    return (size_t)((key * 0x9E3779B97F4A7C15u) >> 40) & mask;
}

static uint32_t trie_find(const Trie *t, uint32_t node, unsigned char byte)
{
    if (node == 0)
        return t->root[byte];
    uint64_t key = ((uint64_t)node << 8 | byte) + 1;
    for (size_t i = edge_slot(key, t->edge_mask);; i = (i + 1) & t->edge_mask) {
        uint64_t e = t->edges[i];
        if (!e)
            return 0;
        if (e >> 32 == key)
            return (uint32_t)e;
    }
}

static void edge_put(uint64_t *edges, size_t mask, uint64_t key, uint32_t child)
{
    size_t i = edge_slot(key, mask);
    while (edges[i])
        i = (i + 1) & mask;
    edges[i] = key << 32 | child;
}

static uint32_t trie_add(Trie *t, uint32_t node, unsigned char byte)
{
    uint32_t found = trie_find(t, node, byte);
    if (found)
        return found;
    if (t->count == t->cap) {
        t->cap *= 2;
        t->nodes = xreallocarray(t->nodes, t->cap, sizeof *t->nodes);
    }
    uint32_t n = (uint32_t)t->count++;
    t->nodes[n] = (TrieNode){.parent = node, .byte = byte};
    if (node == 0) {
        t->root[byte] = n;
        return n;
    }
    if (2 * t->count > t->edge_mask + 1) {
        size_t mask = 2 * (t->edge_mask + 1) - 1;
        uint64_t *edges = xcalloc(mask + 1, sizeof *edges);
        for (size_t i = 0; i <= t->edge_mask; i++)
            if (t->edges[i])
                edge_put(edges, mask, t->edges[i] >> 32, (uint32_t)t->edges[i]);
        free(t->edges);
        t->edges = edges;
        t->edge_mask = mask;
    }
    edge_put(t->edges, t->edge_mask, ((uint64_t)node << 8 | byte) + 1, n);
    return n;
}

/* libhyphen reads a digit in a word as a word boundary. */
static unsigned char as_run_by_libhyphen(char c)
{
    return c >= '0' && c <= '9' ? '.' : (unsigned char)c;
}

/* Could libhyphen cut the word into parts (at a hyphen or an apostrophe,
 * which its default first level breaks at, or anywhere in a compound
 * dictionary)?  Only the bytes that begin those characters are looked at:
 * a false yes costs a few more substrings, never a wrong answer. */
static bool may_have_parts(const char *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (w[i] == '-' || w[i] == '\'' || (unsigned char)w[i] == 0xE2)
            return true;
    return false;
}

/* Every substring, up to depth bytes long, of ".w." and, when the word may
 * be run in parts, of ".x." for every substring x of w. */
static void add_word(Trie *t, const char *w, size_t n, size_t depth, bool compound)
{
    unsigned char small[MAX_CHARS * 4];
    unsigned char *prep = n + 2 > sizeof small ? xmalloc(n + 2) : small;
    prep[0] = '.';
    for (size_t i = 0; i < n; i++)
        prep[i + 1] = as_run_by_libhyphen(w[i]);
    prep[n + 1] = '.';
    for (size_t a = 0; a < n + 2; a++) {
        uint32_t node = 0;
        for (size_t b = a; b < n + 2 && b - a < depth; b++)
            node = trie_add(t, node, prep[b]);
    }
    if (compound || may_have_parts(w, n))
        for (size_t a = 1; a <= n; a++)
            for (int dot = 0; dot < 2; dot++) {
                uint32_t node = dot ? trie_add(t, 0, '.') : 0;
                size_t d = (size_t)dot;
                if (d < depth)
                    trie_add(t, node, '.');
                for (size_t b = a; b <= n && d < depth; b++, d++) {
                    node = trie_add(t, node, prep[b]);
                    if (d + 1 < depth)
                        trie_add(t, node, '.');
                }
            }
    if (prep != small)
        free(prep);
}

static bool starts_with(const char *line, size_t len, const char *word)
{
    size_t n = strlen(word);
    return len >= n && memcmp(line, word, n) == 0;
}

/* The pattern's letters end at a '/' (non-standard hyphenation) or at the
 * first byte libhyphen reads as white space or the end of the line. */
static bool pattern_letters_end(char c)
{
    return c == '/' || (unsigned char)c <= ' ';
}

static bool is_keyword(const char *s, size_t n)
{
    if (s[0] != 'L' && s[0] != 'R' && s[0] != 'C' && s[0] != 'N')
        return false;
    return starts_with(s, n, "LEFTHYPHENMIN") || starts_with(s, n, "RIGHTHYPHENMIN") ||
           starts_with(s, n, "COMPOUNDLEFTHYPHENMIN") ||
           starts_with(s, n, "COMPOUNDRIGHTHYPHENMIN") || starts_with(s, n, "NOHYPHEN");
}

typedef struct Out {
    char *bytes;
    size_t used, cap;
} Out;

static char *reserve(Out *o, size_t n)
{
    if (o->used + n > o->cap) {
        o->cap = 2 * (o->used + n) + 4096;
        o->bytes = xrealloc(o->bytes, o->cap);
    }
    char *p = o->bytes + o->used;
    o->used += n;
    return p;
}

static void append(Out *o, const char *bytes, size_t n) { memcpy(reserve(o, n), bytes, n); }

/* Walks the pattern's letters down the trie: kept when all of them are
 * there; otherwise the node where the walk stopped is marked, to be kept
 * as a state (witness_lines). */
static bool walk_pattern(Trie *t, const char *s, size_t n, uint8_t bit)
{
    uint32_t node = 0;
    size_t i = 0;
    for (; i < n && !pattern_letters_end(s[i]); i++) {
        if (s[i] >= '0' && s[i] <= '9')
            continue;
        uint32_t next = trie_find(t, node, (unsigned char)s[i]);
        if (!next) {
            t->nodes[node].stop |= bit;
            return false;
        }
        node = next;
    }
    t->nodes[node].pattern |= bit;
    for (; node; node = t->nodes[node].parent)
        t->nodes[node].covered |= bit;
    return true;
}

/* Is a substring of letters[0, n) that does not start it a kept pattern?
 * (They are substrings of the same texts: all in the trie.) */
static bool inner_pattern(const Trie *t, const char *letters, size_t n, uint8_t bit)
{
    for (size_t from = 1; from < n; from++) {
        uint32_t node = 0;
        for (size_t i = from; i < n && (node = trie_find(t, node, (unsigned char)letters[i])); i++)
            if (t->nodes[node].pattern & bit)
                return true;
    }
    return false;
}

/* For every state a kept pattern does not already make, and that matters:
 * a line with its letters and no hyphenation values, which makes the
 * state (and its prefixes) and nothing else (an all-zero pattern changes
 * no hyphenation point).  Without a state, libhyphen would be in its
 * longest proper suffix that is one, and apply that one's pattern if it
 * is one: a state matters only when a proper suffix of it, or of one of
 * its prefixes, is a kept pattern (never in a dictionary made closed
 * under substrings, as substrings.pl makes them).  Appended to out; false
 * when one would be too long for a line. */
static bool witness_lines(Trie *t, uint8_t bit, Out *out)
{
    for (size_t i = 1; i < t->count; i++) {
        const TrieNode *node = &t->nodes[i];
        if (!(node->stop & bit) || (node->covered & bit) || (node->pattern & bit))
            continue;
        char reversed[LINE_MAX_BYTES], letters[LINE_MAX_BYTES];
        size_t n = 0;
        for (uint32_t k = (uint32_t)i; k && n < sizeof reversed; k = t->nodes[k].parent)
            reversed[n++] = (char)t->nodes[k].byte;
        if (n + 2 > LINE_MAX_BYTES)
            return false;
        for (size_t k = 0; k < n; k++)
            letters[k] = reversed[n - 1 - k];
        if (!inner_pattern(t, letters, n, bit))
            continue;
        /* a leading 0, so that no witness reads as a comment or keyword */
        char *line = reserve(out, n + 2);
        line[0] = '0';
        memcpy(line + 1, letters, n);
        line[n + 1] = '\n';
    }
    return true;
}

char *hyphen_filter(const char *dic, size_t dic_len, const HyphenWord *words, size_t count,
                    size_t *out_len)
{
    Trie t = {.cap = 1024, .count = 1, .edge_mask = 2047};
    t.nodes = xreallocarray(NULL, t.cap, sizeof *t.nodes);
    t.nodes[0] = (TrieNode){0}; /* the root, the empty string */
    t.edges = xcalloc(t.edge_mask + 1, sizeof *t.edges);
    /* A compound dictionary runs its automata over parts of words too. */
    static const char nextlevel[] = "NEXTLEVEL";
    bool compound = false;
    for (const char *p = dic; !compound && (p = memchr(p, 'N', (size_t)(dic + dic_len - p)));
         p++)
        compound = (p == dic || p[-1] == '\n') && (size_t)(dic + dic_len - p) >= 9 &&
                   memcmp(p, nextlevel, 9) == 0;
    for (size_t i = 0; i < count; i++)
        add_word(&t, words[i].bytes, words[i].len, LINE_MAX_BYTES, compound);
    /* As libhyphen's fgets reads the lines, up to where it stops reading:
     * the charset, then section 0, then after NEXTLEVEL section 1. */
    Out charset = {0}, section[2] = {{0}};
    size_t at = 0, lines = 0;
    int s = 0;
    bool ok = true;
    while (at < dic_len && s < 2 && ok) {
        const char *line = dic + at;
        const char *nl = memchr(line, '\n', dic_len - at);
        size_t n = nl ? (size_t)(nl - line) + 1 : dic_len - at;
        at += n;
        if (n > (lines++ == 0 ? CHARSET_LINE_MAX : LINE_MAX_BYTES)) {
            ok = false;
        } else if (lines == 1) {
            append(&charset, line, n);
        } else if (starts_with(line, n, nextlevel)) {
            if (++s < 2)
                append(&section[s], line, n);
        } else if (line[0] == '%') {
            /* a comment */
        } else if (is_keyword(line, n) || walk_pattern(&t, line, n, (uint8_t)(1u << s))) {
            append(&section[s], line, n);
        }
    }
    /* a compound dictionary with non-standard patterns can put their
     * replacement text into the parts it runs: not covered here */
    ok = ok && lines > 0 && !(compound && memchr(dic, '/', dic_len));
    /* each section's witnesses come first, so that they never follow
     * (and replace) a pattern with the same letters */
    Out out = {0};
    if (ok) {
        append(&out, charset.bytes, charset.used);
        ok = witness_lines(&t, 1, &out);
        if (ok && section[0].used)
            append(&out, section[0].bytes, section[0].used);
        if (ok && section[1].used) {
            /* the NEXTLEVEL line */
            const char *first_nl = memchr(section[1].bytes, '\n', section[1].used);
            size_t n = first_nl ? (size_t)(first_nl - section[1].bytes) + 1 : section[1].used;
            append(&out, section[1].bytes, n);
            ok = witness_lines(&t, 2, &out);
            if (ok && section[1].used > n)
                append(&out, section[1].bytes + n, section[1].used - n);
        }
    }
    free(charset.bytes);
    free(section[0].bytes);
    free(section[1].bytes);
    free(t.nodes);
    free(t.edges);
    if (!ok) {
        free(out.bytes);
        return NULL;
    }
    *out_len = out.used;
    return out.bytes;
}
