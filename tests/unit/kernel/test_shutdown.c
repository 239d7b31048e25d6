/*
 * Shutdown_PowerOff / Shutdown_Reset through object_decode_invocation: each error, nothing
 * stopped on an error, and what the machine is asked to do on success.
 */
#include "ktest.h"

#include "host_arch.h"
#include "object/objecttype.h"

static exception_t
sd_call(struct kt_caller *c, struct cte *slot, word_t label, const word_t *args, word_t n)
{
    struct invocation inv = kt_inv(c, slot, label, args, n, 0, NULL);
    return object_decode_invocation(&inv);
}

KTEST(shutdown_errors)
{
    struct kt_caller c = kt_caller();
    struct cte *sd = kt_insert(cap_shutdown());
    struct cte *tcb = kt_insert(cap_tcb(tcb_slots(kt_thread(5, TS_INACTIVE))));
    struct cte *cn = kt_insert(kt_cnode(2, 0, 0));
    kt_snap_reset();
    kt_snap(sd, sizeof(*sd));
    host_stop_request = ~0ul;
    CHECK_ERR(sd_call(&c, sd, VL_SHUTDOWN_POWER_OFF, NULL, 0), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(sd_call(&c, sd, VL_SHUTDOWN_POWER_OFF, ARGS(VL_SHUTDOWN_MAX_STATUS + 1)),
              VL_RANGE_ERROR);
    CHECK_EQ(current_syscall_error.range_min, 0);
    CHECK_EQ(current_syscall_error.range_max, VL_SHUTDOWN_MAX_STATUS);
    CHECK_ERR(sd_call(&c, sd, VL_SHUTDOWN_POWER_OFF, ARGS(~0ul)), VL_RANGE_ERROR);
    /* Labels next to the Shutdown range, and others' labels, name no operation. */
    const word_t bad[] = {0, VL_SHUTDOWN_POWER_OFF - 1, VL_SHUTDOWN_RESET + 1, VL_TCB_SUSPEND};
    for (word_t i = 0; i < ARRAY_SIZE(bad); i++) {
        CHECK_ERR(sd_call(&c, sd, bad[i], ARGS(0)), VL_ILLEGAL_OPERATION);
    }
    /* A cap of another type with the Shutdown labels. */
    CHECK_ERR(sd_call(&c, tcb, VL_SHUTDOWN_POWER_OFF, ARGS(0)), VL_ILLEGAL_OPERATION);
    CHECK_ERR(sd_call(&c, cn, VL_SHUTDOWN_RESET, NULL, 0), VL_ILLEGAL_OPERATION);
    CHECK_EQ(host_stop_request, ~0ul); /* nothing stopped the machine */
    INV();
}

KTEST(shutdown_power_off_and_reset)
{
    struct kt_caller c = kt_caller();
    struct cte *sd = kt_insert(cap_shutdown());
    /* A copy works like the original: the cap names no object. */
    cap_t copy;
    CHECK_EQ(cap_derive(sd, sd->cap, &copy), EXCEPTION_NONE);
    CHECK_EQ(cap_type(copy), CAP_SHUTDOWN);
    struct cte *sd2 = kt_slot();
    cte_insert(copy, sd, sd2);
    CHECK(cte_is_mdb_parent_of(sd, sd2));
    INV();
    volatile int stops = 0;
    host_stop_request = ~0ul;
    if (setjmp(host_stop_jmp) == 0) {
        host_stop_armed = true;
        sd_call(&c, sd2, VL_SHUTDOWN_POWER_OFF, ARGS(42));
        CHECK(false); /* not reached */
    }
    stops++;
    CHECK_EQ(host_stop_request, 42);
    if (setjmp(host_stop_jmp) == 0) {
        host_stop_armed = true;
        sd_call(&c, sd, VL_SHUTDOWN_POWER_OFF, ARGS(0, 99));
        CHECK(false);
    }
    stops++;
    CHECK_EQ(host_stop_request, 0);
    if (setjmp(host_stop_jmp) == 0) {
        host_stop_armed = true;
        sd_call(&c, sd, VL_SHUTDOWN_RESET, NULL, 0);
        CHECK(false);
    }
    stops++;
    CHECK_EQ(host_stop_request, HOST_RESET);
    CHECK_EQ(stops, 3);
    host_stop_armed = false;
}
