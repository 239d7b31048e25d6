/*
 * stopper: tries the debug calls its debug cap may or may not allow, then tries to stop
 * the machine. One program, several components told apart by name (systems/debugcap): only
 * one whose description grants `halt` stops the machine; for the others the kernel refuses
 * and lib/sys stops just the calling thread (a breakpoint, which init reports).
 */
#include <stdio.h>
#include <vallum/os.h>

void
init(void)
{
    const char *name = vl_os_name();
    printf("%s: invariant check %d\n", name, vl_debug_check());
    printf("%s: halting\n", name);
    vl_debug_halt(0);
}
