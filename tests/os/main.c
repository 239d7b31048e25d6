/* Placeholder: replaced by the kernel test suite. */
#include <vallum/sys.h>
void vl_start(const struct vl_bootinfo *bi);
void
vl_start(const struct vl_bootinfo *bi)
{
    (void)bi;
    vl_debug_halt(0);
}
