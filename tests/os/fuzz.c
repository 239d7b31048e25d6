#include "ktest.h"
void
fuzz_tests(void)
{
}
