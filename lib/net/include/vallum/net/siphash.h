/*
 * SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed hash for short inputs, used where
 * an attacker must not predict or steer a value (TCP initial sequence numbers, RFC 6528;
 * SYN cookies; ephemeral ports, RFC 6056). Not a message authentication code for long data
 * and not a random number generator: the key comes from the component's entropy.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Returns SipHash-2-4 of len bytes at msg under the 16-byte key. */
uint64_t net_siphash24(const uint8_t key[16], const void *msg, size_t len);
