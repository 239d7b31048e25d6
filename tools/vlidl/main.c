/*
 * vlidl: the interface compiler (docs/idl.md).
 *
 *   vlidl check IFACE.idl           checks the description
 *   vlidl c IFACE.idl OUTDIR        writes OUTDIR/<name>.h, <name>_client.c, <name>_server.c
 *   vlidl md IFACE.idl OUT.md       writes the reference page
 *
 * Exit status: 0 on success, 1 if the description has a problem (reported on stderr as
 * FILE:LINE: error: message) or an output cannot be written, 2 on a usage error.
 */
#include "vlidl.h"

#include <stdlib.h>
#include <string.h>

static int
usage(void)
{
    fprintf(stderr, "usage: vlidl check IFACE.idl\n"
                    "       vlidl c IFACE.idl OUTDIR\n"
                    "       vlidl md IFACE.idl OUT.md\n");
    return 2;
}

/* Writes the reference page to out through a temporary file renamed into place. */
static int
write_md(const struct vlidl_iface *f, const char *out)
{
    size_t n = strlen(out) + 5;
    char *tmp = malloc(n);
    if (tmp == NULL) {
        return 1;
    }
    snprintf(tmp, n, "%s.tmp", out);
    FILE *o = fopen(tmp, "w");
    bool ok = o != NULL;
    if (ok) {
        vlidl_gen_md(f, o);
        ok = !ferror(o);
        ok = fclose(o) == 0 && ok;
        ok = ok && rename(tmp, out) == 0;
    }
    if (!ok) {
        fprintf(stderr, "vlidl: error: cannot write %s\n", out);
        remove(tmp);
    }
    free(tmp);
    return ok ? 0 : 1;
}

int
main(int argc, char **argv)
{
    if (argc < 3) {
        return usage();
    }
    const char *cmd = argv[1];
    bool is_check = strcmp(cmd, "check") == 0;
    bool is_c = strcmp(cmd, "c") == 0;
    bool is_md = strcmp(cmd, "md") == 0;
    if (!(is_check && argc == 3) && !((is_c || is_md) && argc == 4)) {
        return usage();
    }
    /* The model is large (fixed-size tables): keep it off the stack. */
    static struct vlidl_iface iface;
    if (!vlidl_parse(argv[2], &iface)) {
        return 1;
    }
    if (is_c) {
        return vlidl_gen_c(&iface, argv[3]) ? 0 : 1;
    }
    if (is_md) {
        return write_md(&iface, argv[3]);
    }
    return 0;
}
