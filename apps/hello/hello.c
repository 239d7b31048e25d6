/*
 * hello: the smallest component. It greets from init() and then waits for signals that
 * never come.
 */
#include <stdio.h>
#include <vallum/os.h>

void
init(void)
{
    printf("hello from %s\n", vl_os_name());
}
