/* manifest.c — out/manifest.json and the digests it records.  See manifest.h. */
/* dl_iterate_phdr is a GNU extension, beyond the POSIX level the Makefile asks for. */
#define _GNU_SOURCE
#include "manifest.h"

#include <errno.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "diag.h"
#include "replace.h"
#include "fonts.h"

#ifndef PDFGEN_VERSION
#define PDFGEN_VERSION "0.0.0"
#endif

/* A growing string: the lines are built piece by piece. */
typedef struct Str {
    char *s;
    size_t len, cap;
} Str;

static void put(Str *b, const char *text, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->len, text, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void puts_(Str *b, const char *text)
{
    put(b, text, strlen(text));
}

static void putf(Str *b, const char *fmt, ...) PDFGEN_PRINTF(2, 3);
static void putf(Str *b, const char *fmt, ...)
{
    char small[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        put(b, small, (size_t)n);
        return;
    }
    char *big = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    put(b, big, (size_t)n);
    free(big);
}

/* A JSON string; UTF-8 passes through, control characters are escaped. */
static void put_string(Str *b, const char *text)
{
    if (!text) {
        puts_(b, "null");
        return;
    }
    puts_(b, "\"");
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '"' || *p == '\\')
            putf(b, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            putf(b, "\\u%04x", *p);
        else
            put(b, (const char *)p, 1);
    }
    puts_(b, "\"");
}

char *manifest_inputs_json(const char *version, const char *binary_sha256,
                           const char *fonts_sha256, const char *paper, const char *size,
                           double bleed, long long epoch, const char *const *files,
                           const char *const *digests, size_t file_count)
{
    Str b = {0};
    puts_(&b, "\"build\": {\"pdfgen\": ");
    put_string(&b, version);
    puts_(&b, ", \"pdfgen_sha256\": ");
    put_string(&b, binary_sha256);
    puts_(&b, ", \"fonts_sha256\": ");
    put_string(&b, fonts_sha256);
    puts_(&b, ", \"paper\": ");
    put_string(&b, paper);
    puts_(&b, ", \"size\": ");
    put_string(&b, size);
    /* %.3f: bleed is parsed from a length of at most a few decimals */
    putf(&b, ", \"bleed_pt\": %.3f, \"source_date_epoch\": ", bleed);
    if (epoch < 0)
        puts_(&b, "null");
    else
        putf(&b, "%lld", epoch);
    puts_(&b, "}, \"inputs\": [");
    for (size_t i = 0; i < file_count; i++) {
        puts_(&b, i ? ", {\"path\": " : "{\"path\": ");
        put_string(&b, files[i]);
        puts_(&b, ", \"sha256\": ");
        put_string(&b, digests[i]);
        puts_(&b, "}");
    }
    puts_(&b, "]");
    return b.s;
}

char *manifest_output_line(const ManifestOutput *o)
{
    Str b = {0};
    puts_(&b, "{\"path\": ");
    put_string(&b, o->path);
    puts_(&b, ", \"language\": ");
    put_string(&b, o->language);
    puts_(&b, ", \"drug\": ");
    put_string(&b, o->drug);
    puts_(&b, ", \"kind\": ");
    put_string(&b, o->kind);
    puts_(&b, ", \"title\": ");
    put_string(&b, o->title);
    putf(&b, ", \"pages\": %zu, \"bytes\": %lld, \"sha256\": ", o->pages, o->bytes);
    put_string(&b, o->sha256);
    puts_(&b, ", \"review\": ");
    put_string(&b, o->review);
    puts_(&b, ", ");
    puts_(&b, o->build_json);
    puts_(&b, ", \"key\": ");
    put_string(&b, o->key);
    puts_(&b, "}");
    return b.s;
}

/* The value of "name": in a line this program wrote: a string without
 * escapes (paths, digits) or a number.  NULL when absent. */
static char *field(const char *line, const char *name)
{
    char pattern[32];
    snprintf(pattern, sizeof pattern, "\"%s\": ", name);
    const char *p = strstr(line, pattern);
    if (!p)
        return NULL;
    p += strlen(pattern);
    if (*p == '"') {
        const char *end = strchr(++p, '"');
        if (!end || memchr(p, '\\', (size_t)(end - p)))
            return NULL;
        return xstrndup(p, (size_t)(end - p));
    }
    size_t n = strspn(p, "0123456789");
    return n ? xstrndup(p, n) : NULL;
}

/* A path the manifest may name: inside the output folder, so a
 * hand-edited or hostile manifest cannot vouch for (or make a build keep)
 * a file elsewhere.  Relative, without empty, "." or ".." parts. */
static bool inside_path(const char *path)
{
    if (!path || !*path || *path == '/')
        return false;
    for (const char *part = path;;) {
        size_t n = strcspn(part, "/");
        if (n == 0 || (n == 1 && part[0] == '.') || (n == 2 && strncmp(part, "..", 2) == 0))
            return false;
        if (!part[n])
            return true;
        part += n + 1;
    }
}

/* The line is one JSON object as put_string and manifest_output_line
 * write it: strings escaped as put_string escapes them, brackets that
 * match.  A line failing this would make the manifest it is copied into
 * no JSON. */
static bool json_line(const char *line)
{
    char open[16];
    size_t depth = 0;
    for (const char *p = line; *p; p++) {
        if (*p == '"') {
            for (p++; *p != '"'; p++) {
                if ((unsigned char)*p < 0x20 || *p == 0x7f) /* the NUL at the end too */
                    return false;
                if (*p == '\\' && p[1] == 'u') {
                    if (strspn(p + 2, "0123456789abcdef") < 4)
                        return false;
                    p += 5;
                } else if (*p == '\\') {
                    if (p[1] != '"' && p[1] != '\\')
                        return false;
                    p++;
                }
            }
        } else if (*p == '{' || *p == '[') {
            if (depth == sizeof open)
                return false;
            open[depth++] = *p;
        } else if (*p == '}' || *p == ']') {
            if (!depth || open[--depth] != (*p == '}' ? '{' : '['))
                return false;
            if (!depth && p[1])
                return false;
        } else if (!strchr(" ,:-.0123456789nul", *p)) {
            return false;
        }
    }
    return depth == 0;
}

bool manifest_add_line(Manifest *m, char *line)
{
    size_t len = strlen(line);
    while (len && (line[len - 1] == '\n' || line[len - 1] == ',' || line[len - 1] == ' '))
        line[--len] = '\0';
    char *path = strncmp(line, "{\"path\": \"", 10) == 0 ? field(line, "path") : NULL;
    char *key = field(line, "key"), *sha = field(line, "sha256");
    char *bytes = field(line, "bytes"), *pages = field(line, "pages");
    bool ok = inside_path(path) && key && sha && bytes && pages && line[len ? len - 1 : 0] == '}' &&
              json_line(line);
    if (ok) {
        if (m->count == m->cap) {
            m->cap = m->cap ? m->cap * 2 : 64;
            m->entries = xreallocarray(m->entries, m->cap, sizeof *m->entries);
        }
        m->entries[m->count++] = (ManifestEntry){path, key, sha, strtoll(bytes, NULL, 10),
                                                 (size_t)strtoull(pages, NULL, 10), line};
    } else {
        free(path);
        free(key);
        free(sha);
        free(line);
    }
    free(bytes);
    free(pages);
    return ok;
}

/* Opens a regular file for reading; -1 with errno EINVAL for anything
 * else: a FIFO put in the output folder would block the build for good. */
static int open_regular(const char *path)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    return fd;
}

int manifest_read(const char *path, Manifest *m)
{
    int fd = open_regular(path);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    FILE *f = fdopen(fd, "r");
    if (!f) {
        close(fd);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    int passed_over = 0;
    bool header = false, foreign = false;
    while (getline(&line, &cap, f) > 0) {
        const char *start = line + strspn(line, " ");
        if (strncmp(start, "{\"path\": ", 9) == 0) {
            if (!manifest_add_line(m, xstrdup(start)))
                passed_over++;
        } else if (strcmp(start, "\"manifest\": 1,\n") == 0) {
            header = true;
        } else if (strcmp(start, "{\n") != 0 && strcmp(start, "}\n") != 0 &&
                   strcmp(start, "]\n") != 0 && strcmp(start, "\"outputs\": [\n") != 0 &&
                   strncmp(start, "\"pdfgen\": \"", 11) != 0) {
            foreign = true;
        }
    }
    free(line);
    fclose(f);
    return header && !foreign ? passed_over : MANIFEST_NOT_OURS;
}

const ManifestEntry *manifest_find(const Manifest *m, const char *path)
{
    for (size_t i = 0; i < m->count; i++)
        if (strcmp(m->entries[i].path, path) == 0)
            return &m->entries[i];
    return NULL;
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const ManifestEntry *)a)->path, ((const ManifestEntry *)b)->path);
}

bool manifest_same_file(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    bool same = fa && fb;
    while (same) {
        char x[8192], y[8192];
        size_t nx = fread(x, 1, sizeof x, fa), ny = fread(y, 1, sizeof y, fb);
        same = nx == ny && memcmp(x, y, nx) == 0;
        if (nx < sizeof x)
            break;
    }
    same = same && !ferror(fa) && !ferror(fb);
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

bool manifest_file_holds(const char *path, const char *data, size_t size)
{
    int fd = open_regular(path);
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        return false;
    }
    bool same = true;
    size_t at = 0;
    char buf[8192];
    size_t n;
    while (same && (n = fread(buf, 1, sizeof buf, f)) > 0) {
        same = at + n <= size && memcmp(buf, data + at, n) == 0;
        at += n;
    }
    same = same && at == size && !ferror(f);
    fclose(f);
    return same;
}

int manifest_replace(const char *path, const char *data, size_t size, unsigned file_mode)
{
    /* Unchanged, it keeps its mtime, and so does its folder: no temporary
     * file is made either. */
    if (manifest_file_holds(path, data, size))
        return 0;
    /* A name of its own (mkstemp), so two builds into one folder never
     * write the same temporary file.  The manifest and the catalog page
     * are made again by any build, so they are not fsynced. */
    if (replace_file(path, data, size, file_mode, ".", false) != 0) {
        diag_error(NULL, "cannot write '%s': %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int manifest_write(const Manifest *m, const char *path, unsigned file_mode)
{
    qsort(m->entries, m->count, sizeof *m->entries, by_path);
    Str b = {0};
    puts_(&b, "{\n  \"manifest\": 1,\n  \"pdfgen\": \"" PDFGEN_VERSION "\",\n"
              "  \"outputs\": [\n");
    for (size_t i = 0; i < m->count; i++)
        putf(&b, "    %s%s\n", m->entries[i].line, i + 1 < m->count ? "," : "");
    puts_(&b, "  ]\n}\n");
    int rc = manifest_replace(path, b.s, b.len, file_mode);
    free(b.s);
    return rc;
}

void manifest_free(Manifest *m)
{
    for (size_t i = 0; i < m->count; i++) {
        free(m->entries[i].path);
        free(m->entries[i].key);
        free(m->entries[i].sha256);
        free(m->entries[i].line);
    }
    free(m->entries);
    *m = (Manifest){0};
}

static int fd_sha256(int fd, Sha256 *ctx, long long *bytes)
{
    unsigned char buf[65536];
    long long total = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        sha256_update(ctx, buf, (size_t)n);
        total += n;
    }
    if (bytes)
        *bytes = total;
    return 0;
}

int manifest_file_sha256(const char *path, char hex[SHA256_HEX + 1], long long *bytes)
{
    int fd = open_regular(path);
    if (fd < 0)
        return -1;
    Sha256 ctx;
    sha256_init(&ctx);
    int rc = fd_sha256(fd, &ctx, bytes);
    int err = errno;
    close(fd);
    if (rc != 0) {
        errno = err;
        return -1;
    }
    unsigned char digest[SHA256_BYTES];
    sha256_final(&ctx, digest);
    sha256_to_hex(digest, hex);
    return 0;
}

/* The linker's build ID of the running program (GNU ld and lld write one
 * by default: a digest of everything linked), found in its loaded notes. */
typedef struct BuildId {
    const unsigned char *bytes;
    size_t size;
} BuildId;

static int find_build_id(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    BuildId *id = data;
    /* the first object dl_iterate_phdr reports is the program itself */
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
        const unsigned char *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *note = (const ElfW(Nhdr) *)(const void *)p;
            const unsigned char *name = p + sizeof *note;
            const unsigned char *desc = name + ((note->n_namesz + 3) & ~3u);
            const unsigned char *next = desc + ((note->n_descsz + 3) & ~3u);
            if (next > end)
                break;
            if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 &&
                memcmp(name, "GNU", 4) == 0 && note->n_descsz > 0) {
                id->bytes = desc;
                id->size = note->n_descsz;
                return 1;
            }
            p = next;
        }
    }
    return 1;
}

int manifest_binary_sha256(char hex[SHA256_HEX + 1])
{
    /* Hashing the file would cost a third of a one-sheet build (1.2 MB
     * through SHA-256 on every run); the build ID changes exactly when the
     * linked program does, and costs nothing to read. */
    BuildId id = {0};
    dl_iterate_phdr(find_build_id, &id);
    if (id.size) {
        Sha256 ctx;
        unsigned char digest[SHA256_BYTES];
        sha256_init(&ctx);
        sha256_update(&ctx, "gnu-build-id:", 13);
        sha256_update(&ctx, id.bytes, id.size);
        sha256_final(&ctx, digest);
        sha256_to_hex(digest, hex);
        return 0;
    }
    return manifest_file_sha256("/proc/self/exe", hex, NULL);
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The fonts' digest is made of every font file fontconfig lists, by path,
 * and of every folder holding one, by its modification time: what
 * fontconfig itself checks to know its caches are current.  A font added,
 * removed or renamed changes a path; one replaced the way packages and
 * copies replace files (a new file renamed into place) changes its
 * folder's time.  Only a file rewritten in place, its folder untouched,
 * goes unnoticed, as it does by fontconfig until fc-cache runs.  (One
 * stat per file, 416 on a Debian desktop, cost 0.6 ms of a one-sheet
 * build.)  Entries: a file's path, or a folder's followed by '/'. */
typedef struct FontEntries {
    char **entries;
    size_t count, cap;
} FontEntries;

/* v in decimal, at least digits of them (zeros in front), at p; returns
 * the end. */
static char *put_decimal(char *p, long long v, int digits)
{
    unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u || n < digits);
    if (v < 0)
        *p++ = '-';
    while (n)
        *p++ = tmp[--n];
    return p;
}

static void add_font_entry(FontEntries *f, char *entry)
{
    if (f->count == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 256;
        f->entries = xreallocarray(f->entries, f->cap, sizeof *f->entries);
    }
    f->entries[f->count++] = entry;
}

static void add_font_file(const char *file, void *context)
{
    FontEntries *f = context;
    add_font_entry(f, xstrdup(file));
    const char *slash = strrchr(file, '/');
    if (slash)
        add_font_entry(f, xstrndup(file, (size_t)(slash - file) + 1));
}

/* "path\n" for a file, "folder/ seconds.nanoseconds\n" for a folder (0.0
 * when it cannot be read), into the digest. */
static void hash_font_entry(Sha256 *ctx, const char *entry)
{
    size_t n = strlen(entry);
    sha256_update(ctx, entry, n);
    if (n && entry[n - 1] == '/') {
        struct stat st;
        if (stat(entry, &st) != 0)
            st = (struct stat){0};
        char line[64], *p = line;
        *p++ = ' ';
        p = put_decimal(p, (long long)st.st_mtim.tv_sec, 1);
        *p++ = '.';
        p = put_decimal(p, (long long)st.st_mtim.tv_nsec, 9);
        sha256_update(ctx, line, (size_t)(p - line));
    }
    sha256_update(ctx, "\n", 1);
}

int manifest_fonts_sha256(char hex[SHA256_HEX + 1])
{
    FontEntries f = {0};
    if (fonts_each_installed(add_font_file, &f) != 0) {
        for (size_t i = 0; i < f.count; i++)
            free(f.entries[i]);
        free(f.entries);
        diag_error(NULL, "fontconfig cannot list the installed fonts");
        return -1;
    }
    /* Sorted, each once (a collection's faces share their file, a
     * folder's files their folder): the order fontconfig lists them in is
     * its own. */
    if (f.count) /* no fonts at all: entries is NULL, which qsort may not take */
        qsort(f.entries, f.count, sizeof *f.entries, by_string);
    Sha256 ctx;
    sha256_init(&ctx);
    for (size_t i = 0; i < f.count; i++)
        if (i == 0 || strcmp(f.entries[i], f.entries[i - 1]) != 0)
            hash_font_entry(&ctx, f.entries[i]);
    for (size_t i = 0; i < f.count; i++)
        free(f.entries[i]);
    free(f.entries);
    unsigned char digest[SHA256_BYTES];
    sha256_final(&ctx, digest);
    sha256_to_hex(digest, hex);
    return 0;
}

