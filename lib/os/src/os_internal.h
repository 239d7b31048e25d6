/*
 * lib/os: what its files share and components do not see.
 */
#pragma once

#include <vallum/os.h>

/* fault.c: in a fault handler, fetches every fault init has not told yet, passes each to
 * fault() and answers it. Called by the event loop when bit VL_COMP_FAULT_CHANNEL arrives. */
void os_faults_dispatch(void);
