/* main.c — the command line.
 * In: argv.  Out: exit status 0 (ok), 1 (content or build errors),
 * 2 (usage errors).  Commands: build, check, list, tree, manifest. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "build.h"
#include "content.h"
#include "diag.h"
#include "print.h"
#include "sheet.h"
#include "tree.h"

#ifndef PDFGEN_VERSION
#define PDFGEN_VERSION "0.0.0"
#endif

enum { EXIT_OK = 0, EXIT_ERRORS = 1, EXIT_USAGE = 2, MAX_FILTERS = 64 };

static const char usage_text[] =
    "usage: pdfgen build [--lang L]... [--drug D]... [--paper letter|a4]\n"
    "                    [--size regular|large] [--bleed LEN] [--content DIR]\n"
    "                    [--out DIR] [--quiet] [--stats]\n"
    "       pdfgen check [--content DIR]\n"
    "       pdfgen list  [--content DIR]\n"
    "       pdfgen tree  --lang L --drug D [--content DIR]\n"
    "       pdfgen manifest --merge FILE... [--out DIR] [--content DIR]\n"
    "       pdfgen --help | --version\n";

static const char help_text[] =
    "pdfgen turns per-language YAML content into printable PDF fact sheets,\n"
    "one per drug and language.\n"
    "\n"
    "commands:\n"
    "  build   write out/<lang>/<drug>.pdf for every language and drug\n"
    "          (or only those named with --lang and --drug, each repeatable)\n"
    "  check   validate all content and write nothing\n"
    "  list    print the languages and drugs found in the content\n"
    "  tree    print the document tree of one sheet (structure, language,\n"
    "          direction and source position of every node)\n"
    "  manifest --merge FILE...\n"
    "          join the manifests of shards (out/manifest.K-of-N.json) into\n"
    "          DIR/manifest.json, and, when they make a whole build, write\n"
    "          DIR/index.html; the shards' PDFs must be in DIR already\n"
    "\n"
    "options:\n"
    "  --content DIR   content folder (default: content)\n"
    "  --out DIR       output folder (default: out)\n"
    "  --paper P       letter (default) or a4\n"
    "  --size S        regular (default) or large: the large-print edition,\n"
    "                  18 pt body, in out/<lang>/large/\n"
    "  --bleed LEN     for print shops: bleed (e.g. 3mm, 0.125in, 9pt; up to\n"
    "                  20mm), crop marks, TrimBox and BleedBox on every page\n"
    "  --lang L        build only language L (repeatable)\n"
    "  --drug D        build only drug D (repeatable)\n"
    "  --quiet         no progress lines\n"
    "  --stats         how each sheet was set: lines, hyphens, stretch, runts\n"
    "  -j N, --jobs N  build in N processes (default: one per core); the output\n"
    "                  and the messages are the same as with -j 1\n"
    "  --force         build every output again, even those up to date\n"
    "                  (by default an output whose inputs, recorded in\n"
    "                  DIR/manifest.json, did not change is left alone)\n"
    "  --shard K/N     build only the K-th of N even parts of the work (for a\n"
    "                  CI matrix); its manifest is DIR/manifest.K-of-N.json\n"
    "\n"
    "exit status: 0 ok, 1 content or build errors, 2 usage errors.\n"
    "Errors in content are reported as file:line:col: error: message.\n";

typedef struct Options {
    const char *command;
    const char *content_dir, *out_dir;
    Paper paper;
    double bleed; /* points; 0 for none */
    const char *languages[MAX_FILTERS];
    size_t language_count;
    const char *drugs[MAX_FILTERS];
    size_t drug_count;
    int quiet;
    int stats;
    SheetSize size;
    size_t jobs; /* 0: one per core */
    int force;
    unsigned shard_index, shard_count;
    int merge;
    const char **merge_files;
    size_t merge_count;
} Options;

static int usage_error(const char *fmt, ...) PDFGEN_PRINTF(1, 2);
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("pdfgen: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fputs(usage_text, stderr);
    return EXIT_USAGE;
}

/* Returns -1 when parsing succeeded, else the exit status to use. */
static int parse_args(int argc, char **argv, Options *o)
{
    *o = (Options){.content_dir = "content", .out_dir = "out", .paper = PAPER_LETTER};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(usage_text, stdout);
            fputs("\n", stdout);
            fputs(help_text, stdout);
            return EXIT_OK;
        }
        if (strcmp(arg, "--version") == 0) {
            printf("pdfgen %s\n", PDFGEN_VERSION);
            return EXIT_OK;
        }
        if (strcmp(arg, "--quiet") == 0 || strcmp(arg, "-q") == 0) {
            o->quiet = 1;
            continue;
        }
        if (strcmp(arg, "--stats") == 0) {
            o->stats = 1;
            continue;
        }
        if (strcmp(arg, "--force") == 0) {
            o->force = 1;
            continue;
        }
        if (strcmp(arg, "--merge") == 0) {
            o->merge = 1;
            continue;
        }
        int takes_value = strcmp(arg, "--lang") == 0 || strcmp(arg, "--drug") == 0 ||
                          strcmp(arg, "--paper") == 0 || strcmp(arg, "--content") == 0 ||
                          strcmp(arg, "--size") == 0 ||
                          strcmp(arg, "--out") == 0 || strcmp(arg, "--bleed") == 0 ||
                          strcmp(arg, "-j") == 0 || strcmp(arg, "--jobs") == 0 ||
                          strcmp(arg, "--shard") == 0;
        if (takes_value) {
            if (!value || !*value)
                return usage_error("option %s needs a value", arg);
            i++;
            if (strcmp(arg, "--lang") == 0 || strcmp(arg, "--drug") == 0) {
                int is_lang = arg[2] == 'l';
                size_t *count = is_lang ? &o->language_count : &o->drug_count;
                if (*count == MAX_FILTERS)
                    return usage_error("too many %s options", arg);
                (is_lang ? o->languages : o->drugs)[(*count)++] = value;
            } else if (strcmp(arg, "--paper") == 0) {
                if (strcmp(value, "letter") == 0)
                    o->paper = PAPER_LETTER;
                else if (strcmp(value, "a4") == 0 || strcmp(value, "A4") == 0)
                    o->paper = PAPER_A4;
                else
                    return usage_error("unknown paper size '%s' (use letter or a4)", value);
            } else if (strcmp(arg, "--size") == 0) {
                if (strcmp(value, "regular") == 0)
                    o->size = SIZE_REGULAR;
                else if (strcmp(value, "large") == 0)
                    o->size = SIZE_LARGE;
                else
                    return usage_error("unknown size '%s' (use regular or large)", value);
            } else if (strcmp(arg, "--bleed") == 0) {
                o->bleed = print_parse_bleed(value);
                if (o->bleed < 0)
                    return usage_error("bad bleed '%s' (a length up to 20mm: 3mm, 0.125in, 9pt)",
                                       value);
            } else if (strcmp(arg, "-j") == 0 || strcmp(arg, "--jobs") == 0) {
                char *end;
                errno = 0;
                unsigned long n = strtoul(value, &end, 10);
                if (*end || errno || n < 1 || n > 1024 || value[0] < '0' || value[0] > '9')
                    return usage_error("bad number of jobs '%s' (1 to 1024)", value);
                o->jobs = n;
            } else if (strcmp(arg, "--shard") == 0) {
                unsigned k, n;
                char tail;
                if (sscanf(value, "%u/%u%c", &k, &n, &tail) != 2 || value[0] < '0' ||
                    value[0] > '9' || k < 1 || n < 1 || k > n || n > 1024)
                    return usage_error("bad shard '%s' (K/N with 1 <= K <= N)", value);
                o->shard_index = k;
                o->shard_count = n;
            } else if (strcmp(arg, "--content") == 0) {
                o->content_dir = value;
            } else {
                o->out_dir = value;
            }
            continue;
        }
        if (arg[0] == '-')
            return usage_error("unknown option '%s'", arg);
        if (o->command && strcmp(o->command, "manifest") == 0) {
            o->merge_files[o->merge_count++] = arg;
            continue;
        }
        if (o->command)
            return usage_error("unexpected argument '%s'", arg);
        if (strcmp(arg, "manifest") == 0) {
            /* freed at exit: the list lives as long as the process */
            static const char **files;
            files = xreallocarray(NULL, (size_t)argc, sizeof *files);
            o->merge_files = files;
        }
        if (strcmp(arg, "build") && strcmp(arg, "check") && strcmp(arg, "list") &&
            strcmp(arg, "tree") && strcmp(arg, "manifest"))
            return usage_error("unknown command '%s'", arg);
        o->command = arg;
    }
    if (!o->command)
        return usage_error("no command given");
    if (strcmp(o->command, "tree") == 0) {
        if (o->language_count != 1 || o->drug_count != 1)
            return usage_error("'tree' needs exactly one --lang and one --drug");
        if (o->quiet || strcmp(o->out_dir, "out") != 0 || o->paper != PAPER_LETTER || o->bleed)
            return usage_error("'tree' takes only --lang, --drug and --content");
        return -1;
    }
    if ((o->jobs || o->force || o->shard_count) && strcmp(o->command, "build") != 0)
        return usage_error("only 'build' takes -j, --force or --shard");
    if (o->merge != (strcmp(o->command, "manifest") == 0))
        return usage_error("'manifest' needs --merge, and only 'manifest' takes it");
    if (o->merge) {
        if (!o->merge_count)
            return usage_error("'manifest --merge' needs the manifests to merge");
        if (o->language_count || o->drug_count || o->quiet || o->paper != PAPER_LETTER ||
            o->size != SIZE_REGULAR || o->stats || o->bleed)
            return usage_error("'manifest --merge' takes only the manifests, --out and --content");
        return -1;
    }
    if (strcmp(o->command, "build") != 0 &&
        (o->language_count || o->drug_count || o->quiet || strcmp(o->out_dir, "out") != 0 ||
         o->paper != PAPER_LETTER || o->size != SIZE_REGULAR || o->stats || o->bleed))
        return usage_error("only 'build' takes --lang, --drug, --paper, --size, --bleed, --out, "
                           "--quiet or --stats");
    return -1;
}

/* A --lang or --drug that names nothing would silently build less than
 * asked for; treat it as a usage error instead. */
static int check_filters(const Content *content, const Options *o)
{
    for (size_t i = 0; i < o->language_count; i++)
        if (!content_language(content, o->languages[i]))
            return usage_error("no language '%s' in the content (see 'pdfgen list')",
                               o->languages[i]);
    for (size_t i = 0; i < o->drug_count; i++)
        if (content->language_count == 0 ||
            !language_drug(&content->languages[0], o->drugs[i]))
            return usage_error("no drug '%s' in the content (see 'pdfgen list')", o->drugs[i]);
    return -1;
}

static void list_content(const Content *content)
{
    printf("languages:");
    for (size_t i = 0; i < content->language_count; i++)
        printf(" %s", content->languages[i].code);
    printf("\ndrugs:");
    if (content->language_count)
        for (size_t i = 0; i < content->languages[0].drug_count; i++)
            printf(" %s", content->languages[0].drugs[i].id.utf8);
    printf("\n");
}

/* File names in the dump are relative to the content folder, so golden
 * files do not depend on where the content lives. */
static int dump_tree(const Content *content, const Options *o)
{
    const Language *language = content_language(content, o->languages[0]);
    SheetRequest request = {content, language, language_drug(language, o->drugs[0]),
                            PAPER_LETTER, "pdfgen " PDFGEN_VERSION, SIZE_REGULAR};
    Arena arena = {0};
    Tree *tree = sheet_tree(&arena, &request);
    if (tree) {
        size_t n = strlen(o->content_dir);
        char *prefix = arena_alloc(&arena, n + 2);
        memcpy(prefix, o->content_dir, n);
        if (n && prefix[n - 1] != '/')
            prefix[n++] = '/';
        prefix[n] = '\0';
        tree_dump(tree, stdout, prefix);
    }
    arena_free(&arena);
    return tree && fflush(stdout) == 0 ? EXIT_OK : EXIT_ERRORS;
}

/* Output that could not be written (a full disk, /dev/full, a closed
 * pipe) is a failure, not success: stdio only reports it at fclose. */
static int close_stdout(int rc)
{
    int failed = ferror(stdout);
    errno = 0;
    if (fclose(stdout) != 0 || failed) {
        fprintf(stderr, "pdfgen: error: cannot write to standard output: %s\n",
                strerror(errno ? errno : EIO));
        return rc ? rc : EXIT_ERRORS;
    }
    return rc;
}

static int run(int argc, char **argv);

int main(int argc, char **argv)
{
    return close_stdout(run(argc, argv));
}

static int run(int argc, char **argv)
{
    Options o;
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    /* Checked before anything is read, and by check as well as build, so
     * the two agree. */
    long long epoch;
    if (build_source_date_epoch(&epoch) != 0)
        return EXIT_ERRORS;

    Content *content = content_load(o.content_dir);
    if (!content || diag_error_count()) {
        diag_flush();
        fprintf(stderr, "pdfgen: %u error%s in ", diag_distinct_count(),
                diag_distinct_count() == 1 ? "" : "s");
        diag_write_escaped(stderr, o.content_dir);
        fputc('\n', stderr);
        content_free(content);
        return EXIT_ERRORS;
    }
    if ((rc = check_filters(content, &o)) >= 0) {
        content_free(content);
        return rc;
    }
    if (strcmp(o.command, "list") == 0) {
        list_content(content);
    } else if (strcmp(o.command, "tree") == 0) {
        rc = dump_tree(content, &o);
    } else if (strcmp(o.command, "manifest") == 0) {
        mode_t mask = umask(0);
        umask(mask);
        rc = build_merge_manifests(content, o.merge_files, o.merge_count, o.out_dir,
                                   "pdfgen " PDFGEN_VERSION, 0666u & ~(unsigned)mask) == 0
                 ? EXIT_OK
                 : EXIT_ERRORS;
        diag_flush();
    } else {
        mode_t mask = umask(0);
        umask(mask);
        BuildOptions b = {
            .out_dir = o.out_dir,
            .content_dir = o.content_dir,
            .paper = o.paper,
            .bleed = o.bleed,
            .languages = o.language_count ? o.languages : NULL,
            .language_count = o.language_count,
            .drugs = o.drug_count ? o.drugs : NULL,
            .drug_count = o.drug_count,
            .quiet = o.quiet,
            .stats = o.stats,
            .size = o.size,
            .creator = "pdfgen " PDFGEN_VERSION,
            .file_mode = 0666u & ~(unsigned)mask,
            .dry_run = strcmp(o.command, "check") == 0,
            .jobs = o.jobs,
            .force = o.force,
            .shard_index = o.shard_index,
            .shard_count = o.shard_count,
        };
        int failures = build_sheets(content, &b);
        diag_flush();
        if (failures) {
            fprintf(stderr, "pdfgen: %d sheet%s failed\n", failures, failures == 1 ? "" : "s");
            rc = EXIT_ERRORS;
        }
    }
    content_free(content);
    return rc >= 0 ? rc : EXIT_OK;
}
