/* main.c — the command line.
 * In: argv.  Out: exit status 0 (ok), 1 (content or build errors),
 * 2 (usage errors).  Commands: build, check, stamp, list, tree, manifest. */
/* realpath() is X/Open, beyond the POSIX level the Makefile asks for. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "alloc.h"
#include "build.h"
#include "content.h"
#include "diag.h"
#include "print.h"
#include "report.h"
#include "review.h"
#include "sheet.h"
#include "stamp.h"
#include "tree.h"

#ifndef PDFGEN_VERSION
#define PDFGEN_VERSION "0.0.0"
#endif

enum { EXIT_OK = 0, EXIT_ERRORS = 1, EXIT_USAGE = 2 };

static const char usage_text[] =
    "Usage: pdfgen build [--lang=L]... [--drug=D]... [--paper=letter|a4]\n"
    "                    [--size=regular|large] [--bleed=LEN] [--content=DIR]\n"
    "                    [--out=DIR] [--quiet] [--stats] [--release]\n"
    "                    [--jobs=N] [--force] [--shard=K/N]\n"
    "  or:  pdfgen check [--content=DIR] [--format=text|json] [--werror]\n"
    "  or:  pdfgen stamp --lang=L [--drug=D] [--content=DIR]\n"
    "  or:  pdfgen list  [--content=DIR]\n"
    "  or:  pdfgen tree  --lang=L --drug=D [--content=DIR]\n"
    "  or:  pdfgen manifest --merge FILE... [--out=DIR] [--content=DIR]\n"
    "  or:  pdfgen --help | --version\n";

static const char help_text[] =
    "Turn per-language YAML content into printable PDF fact sheets,\n"
    "one per drug and language.\n"
    "\n"
    "Commands:\n"
    "  build   write out/<lang>/<drug>.pdf for every language and drug\n"
    "          (or only those named with --lang and --drug, each repeatable)\n"
    "  check   validate all content, lay out every sheet and glossary, and\n"
    "          write nothing; report every draft\n"
    "          translation and every field whose English changed since it\n"
    "          was translated (stale), as warnings\n"
    "  stamp   record in language L's files (or only drug D's) the digests\n"
    "          of the English they now match, after a translator updated them\n"
    "  list    print the languages and drugs found in the content\n"
    "  tree    print the document tree of one sheet (structure, language,\n"
    "          direction and source position of every node)\n"
    "  manifest  with --merge FILE...: join the manifests of shards\n"
    "          (DIR/manifest.K-of-N.json) into DIR/manifest.json and, when they\n"
    "          make a whole build, write DIR/index.html; the shards' PDFs must\n"
    "          be in DIR already\n"
    "\n"
    "Options:\n"
    "      --content=DIR   content folder (default: content)\n"
    "      --out=DIR       output folder (default: out)\n"
    "      --paper=P       letter (default) or a4\n"
    "      --size=S        regular (default) or large: the large-print edition,\n"
    "                      18 pt body, in out/<lang>/large/\n"
    "      --bleed=LEN     for print shops: bleed (e.g. 3mm, 0.125in, 9pt; up to\n"
    "                      20mm), crop marks, TrimBox and BleedBox on every page\n"
    "      --lang=L        only language L (repeatable, any number; only the\n"
    "                      languages named, and English, their source, are read)\n"
    "      --drug=D        only drug D (repeatable, any number)\n"
    "  -q, --quiet         no progress lines\n"
    "      --stats         how each sheet was set: lines, hyphens, stretch, runts\n"
    "      --release       build: refuse (exit 1, every reason listed) to build any\n"
    "                      draft or stale translation; without it they are built,\n"
    "                      marked with a band\n"
    "      --format=F      check: text (default) or json, one JSON document on\n"
    "                      standard output\n"
    "      --werror        check: warnings are errors (exit 1)\n"
    "  -j, --jobs=N        build in N processes (default: one per core); the output\n"
    "                      and the messages are the same as with -j 1\n"
    "      --force         build every output again, even those up to date (by\n"
    "                      default an output whose inputs, recorded in\n"
    "                      DIR/manifest.json, did not change is left alone)\n"
    "      --shard=K/N     build only the K-th of N even parts of the work (for a\n"
    "                      CI matrix); its manifest is DIR/manifest.K-of-N.json\n"
    "      --merge         manifest: join the shards' manifests given after it\n"
    "  -h, --help          print this help and exit\n"
    "      --version       print the version and exit\n"
    "\n"
    "An option's value may follow it as the next argument or after '=';\n"
    "long options may be shortened to any unambiguous prefix; '--' ends\n"
    "the options.\n"
    "\n"
    "Exit status: 0 ok, 1 content or build errors, 2 usage errors.\n"
    "Errors in content are reported as file:line:col: error: message.\n"
    "Full documentation: man pdfgen\n";

/* Each option's bit in Options.given, so a command can say which it takes;
 * getopt_long returns OPTION_BASE + id, above every short option's char,
 * and long_options is in the same order as the ids. */
enum { OPTION_BASE = 256 };
enum OptionId {
    OPT_LANG,
    OPT_DRUG,
    OPT_PAPER,
    OPT_SIZE,
    OPT_BLEED,
    OPT_CONTENT,
    OPT_OUT,
    OPT_QUIET,
    OPT_STATS,
    OPT_RELEASE,
    OPT_FORMAT,
    OPT_WERROR,
    OPT_JOBS,
    OPT_FORCE,
    OPT_SHARD,
    OPT_MERGE,
    OPT_HELP,
    OPT_VERSION,
    OPTION_COUNT
};

static const struct option long_options[] = {
    {"lang", required_argument, NULL, OPTION_BASE + OPT_LANG},
    {"drug", required_argument, NULL, OPTION_BASE + OPT_DRUG},
    {"paper", required_argument, NULL, OPTION_BASE + OPT_PAPER},
    {"size", required_argument, NULL, OPTION_BASE + OPT_SIZE},
    {"bleed", required_argument, NULL, OPTION_BASE + OPT_BLEED},
    {"content", required_argument, NULL, OPTION_BASE + OPT_CONTENT},
    {"out", required_argument, NULL, OPTION_BASE + OPT_OUT},
    {"quiet", no_argument, NULL, OPTION_BASE + OPT_QUIET},
    {"stats", no_argument, NULL, OPTION_BASE + OPT_STATS},
    {"release", no_argument, NULL, OPTION_BASE + OPT_RELEASE},
    {"format", required_argument, NULL, OPTION_BASE + OPT_FORMAT},
    {"werror", no_argument, NULL, OPTION_BASE + OPT_WERROR},
    {"jobs", required_argument, NULL, OPTION_BASE + OPT_JOBS},
    {"force", no_argument, NULL, OPTION_BASE + OPT_FORCE},
    {"shard", required_argument, NULL, OPTION_BASE + OPT_SHARD},
    {"merge", no_argument, NULL, OPTION_BASE + OPT_MERGE},
    {"help", no_argument, NULL, OPTION_BASE + OPT_HELP},
    {"version", no_argument, NULL, OPTION_BASE + OPT_VERSION},
    {NULL, 0, NULL, 0},
};

#define BIT(option) (1u << (option))

typedef struct Command {
    const char *name;
    unsigned takes; /* BIT()s of the options it accepts */
} Command;

static const Command commands[] = {
    {"build", BIT(OPT_LANG) | BIT(OPT_DRUG) | BIT(OPT_PAPER) | BIT(OPT_SIZE) | BIT(OPT_BLEED) |
                  BIT(OPT_CONTENT) | BIT(OPT_OUT) | BIT(OPT_QUIET) | BIT(OPT_STATS) |
                  BIT(OPT_RELEASE) | BIT(OPT_JOBS) | BIT(OPT_FORCE) | BIT(OPT_SHARD)},
    {"check", BIT(OPT_CONTENT) | BIT(OPT_FORMAT) | BIT(OPT_WERROR)},
    {"stamp", BIT(OPT_LANG) | BIT(OPT_DRUG) | BIT(OPT_CONTENT)},
    {"list", BIT(OPT_CONTENT)},
    {"tree", BIT(OPT_LANG) | BIT(OPT_DRUG) | BIT(OPT_CONTENT)},
    {"manifest", BIT(OPT_MERGE) | BIT(OPT_OUT) | BIT(OPT_CONTENT)},
};

typedef struct Options {
    const char *command;
    unsigned given; /* BIT()s of the options on the command line */
    const char *content_dir, *out_dir;
    Paper paper;
    double bleed; /* points; 0 for none */
    /* --lang and --drug values, as many as the command line holds: each
     * array has room for argc of them */
    const char **languages;
    size_t language_count;
    const char **drugs;
    size_t drug_count;
    int quiet;
    int stats;
    SheetSize size;
    int release, werror, json;
    size_t jobs; /* 0: one per core */
    int force;
    unsigned shard_index, shard_count;
    const char *const *merge_files; /* manifest --merge: the arguments after the command */
    size_t merge_count;
} Options;

/* GNU style: one line saying what is wrong, one saying where to look. */
static int usage_error(const char *fmt, ...) PDFGEN_PRINTF(1, 2);
static int usage_error(const char *fmt, ...)
{
    /* The values echoed come from the command line: escaped, so that
     * --drug=$'\e[2J' names itself instead of clearing the terminal. */
    va_list ap;
    va_start(ap, fmt);
    diag_vnote(fmt, ap);
    va_end(ap);
    fputs("Try 'pdfgen --help' for more information.\n", stderr);
    return EXIT_USAGE;
}

static int take_value(Options *o, int option, const char *value)
{
    switch (option) {
    case OPT_LANG:
    case OPT_DRUG: {
        int is_lang = option == OPT_LANG;
        size_t *count = is_lang ? &o->language_count : &o->drug_count;
        (is_lang ? o->languages : o->drugs)[(*count)++] = value;
        return -1;
    }
    case OPT_PAPER:
        if (strcmp(value, "letter") == 0)
            o->paper = PAPER_LETTER;
        else if (strcmp(value, "a4") == 0 || strcmp(value, "A4") == 0)
            o->paper = PAPER_A4;
        else
            return usage_error("unknown paper size '%s' (use letter or a4)", value);
        return -1;
    case OPT_SIZE:
        if (strcmp(value, "regular") == 0)
            o->size = SIZE_REGULAR;
        else if (strcmp(value, "large") == 0)
            o->size = SIZE_LARGE;
        else
            return usage_error("unknown size '%s' (use regular or large)", value);
        return -1;
    case OPT_BLEED:
        o->bleed = print_parse_bleed(value);
        if (o->bleed < 0)
            return usage_error("bad bleed '%s' (a length up to 20mm: 3mm, 0.125in, 9pt)", value);
        return -1;
    case OPT_CONTENT:
        o->content_dir = value;
        return -1;
    case OPT_OUT:
        o->out_dir = value;
        return -1;
    case OPT_JOBS: {
        char *end;
        errno = 0;
        unsigned long n = strtoul(value, &end, 10);
        if (*end || errno || n < 1 || n > 1024 || value[0] < '0' || value[0] > '9')
            return usage_error("bad number of jobs '%s' (1 to 1024)", value);
        o->jobs = n;
        return -1;
    }
    case OPT_SHARD: {
        /* strtoul, not sscanf's %u: that wraps 1/4294967297 round to 1/1 */
        char *slash, *end = NULL;
        errno = 0;
        unsigned long k = strtoul(value, &slash, 10), n = 0;
        bool digits = value[0] >= '0' && value[0] <= '9' && *slash == '/' &&
                      slash[1] >= '0' && slash[1] <= '9';
        if (digits)
            n = strtoul(slash + 1, &end, 10);
        if (!digits || *end || errno || k < 1 || n < 1 || k > n || n > 1024)
            return usage_error("bad shard '%s' (K/N with 1 <= K <= N <= 1024)", value);
        o->shard_index = (unsigned)k;
        o->shard_count = (unsigned)n;
        return -1;
    }
    case OPT_FORMAT:
        if (strcmp(value, "json") && strcmp(value, "text"))
            return usage_error("unknown format '%s' (use text or json)", value);
        o->json = strcmp(value, "json") == 0;
        return -1;
    default:
        return -1;
    }
}

/* getopt_long says only that arg is not an option; say whether it is
 * none or the prefix of several. */
static int unknown_long_option(const char *arg)
{
    const char *name = arg + 2;
    size_t len = strcspn(name, "=");
    int matches = 0;
    for (const struct option *opt = long_options; opt->name; opt++)
        matches += strncmp(opt->name, name, len) == 0;
    if (matches < 2 || len == 0)
        return usage_error("unknown option '%s'", arg);
    /* every long option's name, quoted, fits: OPTION_COUNT of them */
    char candidates[OPTION_COUNT * 24] = "";
    size_t used = 0;
    for (const struct option *opt = long_options; opt->name; opt++)
        if (strncmp(opt->name, name, len) == 0 && used < sizeof candidates)
            used += (size_t)snprintf(candidates + used, sizeof candidates - used, " '--%s'",
                                     opt->name);
    return usage_error("option '%.*s' is ambiguous; possibilities:%s", (int)(len + 2), arg,
                       candidates);
}

/* Returns -1 when parsing succeeded, else the exit status to use; either
 * way, o's filter arrays are the caller's to free.
 * getopt_long gives the GNU conventions: --opt=value or --opt value,
 * unambiguous prefixes, options before or after the command, '--'. */
static int parse_args(int argc, char **argv, Options *o)
{
    *o = (Options){.content_dir = "content", .out_dir = "out", .paper = PAPER_LETTER,
                   .languages = xcalloc((size_t)argc, sizeof *o->languages),
                   .drugs = xcalloc((size_t)argc, sizeof *o->drugs)};
    opterr = 0; /* our own messages, named "pdfgen" whatever argv[0] is */
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":hqj:", long_options, NULL)) != -1) {
        if (c == '?') {
            if (optopt)
                return usage_error("unknown option '-%c'", optopt);
            return unknown_long_option(argv[optind - 1]);
        }
        if (c == ':')
            return usage_error("option '%s' needs a value", argv[optind - 1]);
        if (c == 'h')
            c = OPTION_BASE + OPT_HELP;
        if (c == 'q')
            c = OPTION_BASE + OPT_QUIET;
        if (c == 'j')
            c = OPTION_BASE + OPT_JOBS;
        c -= OPTION_BASE;
        o->given |= BIT(c);
        if (c == OPT_HELP) {
            fputs(usage_text, stdout);
            fputs("\n", stdout);
            fputs(help_text, stdout);
            return EXIT_OK;
        }
        if (c == OPT_VERSION) {
            printf("pdfgen %s\n", PDFGEN_VERSION);
            return EXIT_OK;
        }
        if (c == OPT_QUIET) {
            o->quiet = 1;
        } else if (c == OPT_STATS) {
            o->stats = 1;
        } else if (c == OPT_RELEASE) {
            o->release = 1;
        } else if (c == OPT_WERROR) {
            o->werror = 1;
        } else if (c == OPT_FORCE) {
            o->force = 1;
        } else if (c == OPT_MERGE) {
            /* the manifests are the arguments after the command */
        } else {
            if (!*optarg)
                return usage_error("option '--%s' needs a value", long_options[c].name);
            int rc = take_value(o, c, optarg);
            if (rc >= 0)
                return rc;
        }
    }
    if (optind == argc)
        return usage_error("no command given");
    const Command *command = NULL;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[optind], commands[i].name) == 0)
            command = &commands[i];
    if (!command)
        return usage_error("unknown command '%s'", argv[optind]);
    o->command = command->name;
    if (strcmp(o->command, "manifest") == 0) {
        o->merge_files = (const char *const *)argv + optind + 1;
        o->merge_count = (size_t)(argc - optind - 1);
    } else if (optind + 1 < argc) {
        return usage_error("unexpected argument '%s'", argv[optind + 1]);
    }
    unsigned refused = o->given & ~command->takes;
    for (int option = 0; option < OPTION_COUNT; option++)
        if (refused & BIT(option))
            return usage_error("'%s' does not take --%s", command->name,
                               long_options[option].name);
    if (strcmp(o->command, "tree") == 0 && (o->language_count != 1 || o->drug_count != 1))
        return usage_error("'tree' needs exactly one --lang and one --drug");
    if (strcmp(o->command, "stamp") == 0 && (o->language_count != 1 || o->drug_count > 1))
        return usage_error("'stamp' needs exactly one --lang and at most one --drug");
    if (strcmp(o->command, "manifest") == 0 && !(o->given & BIT(OPT_MERGE)))
        return usage_error("'manifest' needs --merge");
    if (strcmp(o->command, "manifest") == 0 && o->merge_count == 0)
        return usage_error("'manifest --merge' needs the manifests to merge");
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
 * pipe) is a failure, not success: stdio only reports it at fclose.  A
 * closed standard output (`>&-`) that was never written to is no failure
 * (as in GNU's close_stdout): build, which prints nothing there, used to
 * write every sheet and then exit 1. */
static int close_stdout(int rc)
{
    int failed = ferror(stdout);
    int pending = __fpending(stdout) != 0;
    errno = 0;
    if ((fclose(stdout) != 0 && (pending || errno != EBADF)) || failed) {
        fprintf(stderr, "pdfgen: error: cannot write to standard output: %s\n",
                strerror(errno ? errno : EIO));
        return rc ? rc : EXIT_ERRORS;
    }
    return rc;
}

/* `build --release`: a draft or out-of-date translation is never printed
 * by accident.  Returns -1 when every file in the build is releasable,
 * else the exit status, after listing every reason. */
static int release_gate(const Content *content, const Options *o)
{
    ReviewScope scope = {
        .languages = o->language_count ? o->languages : NULL,
        .language_count = o->language_count,
        .drugs = o->drug_count ? o->drugs : NULL,
        .drug_count = o->drug_count,
        .glossaries = o->drug_count == 0,
    };
    unsigned reasons = review_report(content, &scope, true);
    diag_flush();
    if (!reasons)
        return -1;
    fprintf(stderr, "pdfgen: --release: nothing built: %u reason%s above (draft or stale "
            "translations)\n", reasons, reasons == 1 ? "" : "s");
    return EXIT_ERRORS;
}

static int run(int argc, char **argv);
static int run_command(const Options *options);

/* glibc gives a freed block over 128 KiB (a page's content stream, a font
 * subset, a document's buffers) back to the kernel at once, and the free
 * top of the heap too, then maps fresh memory for the next sheet: every
 * page touched anew is a page fault (18,000 in a whole build, 4,600 when
 * freed memory is kept; peak RSS 2% higher).  Only a hint: a malloc that
 * refuses it (a sanitizer's returns 0) is slower, never wrong, so there is
 * nothing to report. */
static void keep_freed_memory(void)
{
#if defined(__GLIBC__)
    if (mallopt(M_MMAP_THRESHOLD, 64 << 20) == 1)
        (void)mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

int main(int argc, char **argv)
{
    keep_freed_memory();
    return close_stdout(run(argc, argv));
}

static int run(int argc, char **argv)
{
    Options o;
    int rc = parse_args(argc, argv, &o);
    if (rc < 0)
        rc = run_command(&o);
    free(o.languages);
    free(o.drugs);
    return rc;
}

/* The canonical path of path's nearest existing ancestor (path itself
 * when it exists): where a folder not made yet will be.  NULL when not
 * even the working folder resolves (it was removed). */
static char *nearest_real_path(const char *path)
{
    char *p = xstrdup(path);
    for (;;) {
        char *real = realpath(*p ? p : ".", NULL);
        if (real || !*p) {
            free(p);
            return real;
        }
        char *slash = strrchr(p, '/');
        if (!slash)
            *p = '\0';
        else
            slash[slash == p] = '\0';
    }
}

/* Is the output folder the content folder or inside it?  Then the next
 * run reads out/en/ and out/<lang>/ as language folders ("has no
 * strings.yaml"), or puts the sheets beside the YAML. */
static bool out_in_content(const char *out_dir, const char *content_dir)
{
    char *content = realpath(content_dir, NULL);
    if (!content)
        return false; /* content_load says why */
    char *out = nearest_real_path(out_dir);
    size_t n = strlen(content);
    bool inside = out && strncmp(out, content, n) == 0 &&
                  (out[n] == '\0' || out[n] == '/' || strcmp(content, "/") == 0);
    free(content);
    free(out);
    return inside;
}

static int run_command(const Options *options)
{
    Options o = *options;
    int rc;
    if ((strcmp(o.command, "build") == 0 || strcmp(o.command, "manifest") == 0) &&
        out_in_content(o.out_dir, o.content_dir))
        return usage_error("output folder '%s' within content folder '%s': the next run "
                           "would read its folders as languages; choose another --out",
                           o.out_dir, o.content_dir);
    /* Checked before anything is read, and by check as well as build, so
     * the two agree. */
    long long epoch;
    if (build_source_date_epoch(&epoch) != 0)
        return EXIT_ERRORS;

    diag_set_werror(o.werror);
    if (o.json)
        report_json_start(o.content_dir);
    /* Only the languages asked for are parsed, and English, their source
     * ('check' and 'list' read them all); the others' folders are still
     * listed and checked. */
    Content *content = o.language_count
                           ? content_load_languages(o.content_dir, o.languages, o.language_count)
                           : content_load(o.content_dir);
    if (content && !diag_error_count())
        review_validate(content, strcmp(o.command, "stamp") == 0);
    if (!content || diag_error_count()) {
        diag_flush();
        fprintf(stderr, "pdfgen: %u error%s in ", diag_distinct_count(),
                diag_distinct_count() == 1 ? "" : "s");
        diag_write_escaped(stderr, o.content_dir);
        fputc('\n', stderr);
        if (o.json)
            report_json_finish(stdout, NULL);
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
    } else if (strcmp(o.command, "stamp") == 0) {
        rc = stamp_translation(content, o.languages[0], o.drug_count ? o.drugs[0] : NULL)
                 ? EXIT_ERRORS : EXIT_OK;
        diag_flush();
    } else if (o.release && (rc = release_gate(content, &o)) >= 0) {
        /* refused: nothing is built */
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
        if (b.dry_run)
            review_report(content, &(ReviewScope){.glossaries = true}, false);
        BuildFailed failed;
        int failures = build_sheets(content, &b, &failed);
        diag_flush();
        if (failures) {
            build_say_failed(&failed);
            rc = EXIT_ERRORS;
        }
        /* content errors ended the run above: any error now is a warning
         * that --werror made one */
        if (b.dry_run && diag_error_count())
            rc = EXIT_ERRORS;
        if (o.json && report_json_finish(stdout, content) != 0)
            rc = EXIT_ERRORS;
    }
    content_free(content);
    return rc >= 0 ? rc : EXIT_OK;
}
