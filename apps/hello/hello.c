/*
 * hello: the smallest component. It greets from init() and then waits for signals that
 * never come. Its description may configure it (systems/greetings): `greeting` (a string,
 * default "hello") and `times` (how many greetings, default 1, at most 10).
 */
#include <stdio.h>
#include <vallum/os.h>

#define MAX_TIMES 10

void
init(void)
{
    const char *greeting = "hello";
    int64_t times = 1;
    /* Absent parameters keep the defaults; a parameter of the wrong type is a mistake in
     * the description, which lib/os reports in debug builds. */
    (void)vl_os_config_str("greeting", &greeting);
    (void)vl_os_config_int("times", &times);
    if (times < 0 || times > MAX_TIMES) {
        printf("%s: 'times' %ld out of range 0..%d\n", vl_os_name(), (long)times, MAX_TIMES);
        return;
    }
    for (int64_t i = 0; i < times; i++) {
        printf("%s from %s\n", greeting, vl_os_name());
    }
}
