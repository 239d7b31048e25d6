/*
 * Error codes returned by invocations, in the label of the reply's message info.
 * Message registers of the reply carry the details listed beside each code.
 */
#pragma once

enum vl_error {
    VL_NO_ERROR = 0,
    VL_INVALID_ARGUMENT = 1,   /* MR0: index of the invalid argument */
    VL_INVALID_CAPABILITY = 2, /* MR0: index of the invalid capability (0 = invoked cap) */
    VL_ILLEGAL_OPERATION = 3,  /* no detail */
    VL_RANGE_ERROR = 4,        /* MR0: smallest allowed value, MR1: largest allowed value */
    VL_ALIGNMENT_ERROR = 5,    /* no detail */
    VL_FAILED_LOOKUP = 6,      /* MR0: 1 if source lookup; MR1: lookup failure type,
                                  MR2..: failure detail (see vl_lookup_failure) */
    VL_TRUNCATED_MESSAGE = 7,  /* no detail */
    VL_DELETE_FIRST = 8,       /* no detail */
    VL_REVOKE_FIRST = 9,       /* no detail */
    VL_NOT_ENOUGH_MEMORY = 10, /* MR0: bytes available */
    VL_REPLY_ABORTED = 11,     /* no detail: not an invocation's error but the label a Call
                                  returns with when the reply cap for it was destroyed (the
                                  server deleted it, Recv'd again, or was suspended, restarted
                                  or destroyed): no reply will come */
    VL_NUM_ERRORS
};

/* Why a capability lookup failed (MR1 of a VL_FAILED_LOOKUP error). */
enum vl_lookup_failure {
    VL_LOOKUP_NO_FAILURE = 0,
    VL_LOOKUP_INVALID_ROOT = 1,   /* the root of the walk is not a CNode */
    VL_LOOKUP_MISSING_CAP = 2,    /* MR2: bits left; the slot holds no usable cap */
    VL_LOOKUP_DEPTH_MISMATCH = 3, /* MR2: bits left, MR3: bits the CNode would resolve */
    VL_LOOKUP_GUARD_MISMATCH = 4, /* MR2: bits left, MR3: guard found, MR4: guard size */
};
