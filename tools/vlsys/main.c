/*
 * vlsys: checks and compiles Vallum system descriptions.
 *
 *   vlsys check SYSTEM.yaml [--programs DIR]
 *   vlsys build SYSTEM.yaml --programs DIR -o OUT.img
 *   vlsys dump OUT.img
 *   vlsys programs SYSTEM.yaml
 *   vlsys layout SYSTEM.yaml
 *
 * `programs` prints the names of the programs the description uses, one per line, in the
 * order they first appear, after the same checks as `check` without --programs: the build
 * (mk/systems.mk, the SDK's vallum.mk) compiles only those. `layout` prints the same lines
 * with the address each program is to be linked at (VL_COMP_PROGRAM_BASE of component.h),
 * "NAME 0xADDRESS": the build links every program of a system at its own address, so that
 * a debugger tells their code apart (docs/debugging.md).
 *
 * Exit status: 0 on success, 1 if the description or image has problems (all reported on
 * stderr as FILE:LINE: error: message), 2 on a usage error.
 */
#include "vlsys.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
usage(void)
{
    fprintf(stderr, "usage: vlsys check SYSTEM.yaml [--programs DIR]\n"
                    "       vlsys build SYSTEM.yaml --programs DIR -o OUT.img\n"
                    "       vlsys dump OUT.img\n"
                    "       vlsys programs SYSTEM.yaml\n"
                    "       vlsys layout SYSTEM.yaml\n");
    return 2;
}

/*
 * Warns if path is a systems/SYSTEM/system.yaml whose `system` is not SYSTEM: the tree's build
 * and `make run SYSTEM=...` name such a system by its folder, so the two names had better
 * agree. Elsewhere (an SDK project names a system by its file) there is no rule to check.
 */
static void
check_folder(const char *path, const struct vlsys_system *sys)
{
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    if (strcmp(base, "system.yaml") != 0 || sys->name[0] == '\0') {
        return;
    }
    char *full = realpath(path, NULL);
    if (full == NULL) {
        return;
    }
    /* realpath's result is absolute: it has a '/' before the file name (and before the
     * folder's, unless the file is in the root directory). */
    *strrchr(full, '/') = '\0';
    char *folder = strrchr(full, '/');
    if (folder == NULL) {
        free(full);
        return;
    }
    *folder++ = '\0';
    const char *parent = strrchr(full, '/');
    parent = parent != NULL ? parent + 1 : "";
    if (strcmp(parent, "systems") == 0 && folder[0] != '\0' && strcmp(folder, sys->name) != 0) {
        diag_warning(sys->name_line,
                     "system '%s' is in folder '%s': the build names it '%s' (make run "
                     "SYSTEM=%s); rename one so that they agree",
                     sys->name, folder, folder, folder);
    }
    free(full);
}

/*
 * Checks the description at path and prints the name of each program it uses, one per line,
 * followed by its link address if with_address. Returns the exit status.
 */
static int
list_programs(const char *path, bool with_address)
{
    struct vlsys_system sys;
    memset(&sys, 0, sizeof(sys));
    if (parse_system(path, NULL, &sys)) {
        check_system(&sys);
    }
    int status = 0;
    if (diag_count() > 0) {
        diag_print(path);
        status = 1;
    } else {
        for (size_t i = 0; i < sys.programs.count; i++) {
            printf("%s", VEC_AT(&sys.programs, struct vlsys_program, i)->name);
            if (with_address) {
                printf(" 0x%" PRIx64, (uint64_t)VL_COMP_PROGRAM_BASE(i));
            }
            printf("\n");
        }
    }
    system_free(&sys);
    return status;
}

/*
 * Runs check (out == NULL) or build. Returns the exit status.
 */
static int
run(const char *path, const char *programs_dir, const char *out)
{
    struct vlsys_system sys;
    memset(&sys, 0, sizeof(sys));
    if (parse_system(path, programs_dir, &sys)) {
        check_system(&sys);
        check_folder(path, &sys);
    }
    int status = 0;
    bool has_errors = diag_count() > 0;
    diag_print(path); /* errors, or warnings only */
    if (has_errors) {
        status = 1;
    } else if (out != NULL) {
        uint64_t size = image_write(&sys, out);
        if (size == 0) {
            status = 1;
        } else {
            printf("vlsys: %s: system '%s', %zu components, %zu regions, %zu channels, "
                   "%zu irqs, %" PRIu64 " bytes\n",
                   out, sys.name, sys.components.count, sys.regions.count, sys.channels.count,
                   sys.irqs.count, size);
        }
    }
    system_free(&sys);
    return status;
}

int
main(int argc, char **argv)
{
    if (argc < 3) {
        return usage();
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "dump") == 0) {
        return argc == 3 ? image_dump(argv[2]) : usage();
    }
    bool is_layout = strcmp(cmd, "layout") == 0;
    if (is_layout || strcmp(cmd, "programs") == 0) {
        return argc == 3 && argv[2][0] != '-' ? list_programs(argv[2], is_layout) : usage();
    }
    bool is_build = strcmp(cmd, "build") == 0;
    if (!is_build && strcmp(cmd, "check") != 0) {
        return usage();
    }
    const char *path = NULL;
    const char *programs_dir = NULL;
    const char *out = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--programs") == 0 && i + 1 < argc) {
            programs_dir = argv[++i];
        } else if (is_build && strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else if (argv[i][0] != '-' && path == NULL) {
            path = argv[i];
        } else {
            return usage();
        }
    }
    if (path == NULL || (is_build && (programs_dir == NULL || out == NULL))) {
        return usage();
    }
    return run(path, programs_dir, out);
}
