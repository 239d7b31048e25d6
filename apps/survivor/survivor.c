/*
 * survivor: runs after the probes (it has the lowest priority) and shows that the system
 * goes on: it calls keeper, then notifies nothing and waits.
 */
#include <stdio.h>
#include <vallum/os.h>

void
init(void)
{
    vl_os_mr_set(0, 0);
    vl_os_ppcall(0, vl_msginfo(1, 0, 0, 1));
    printf("survivor: keeper still answers (call %lu)\n", (unsigned long)vl_os_mr_get(0));
    printf("probe: done\n");
}
