/*
 * A Promela model of lib/ring's signalling protocol, as systems/ring uses it: a producer
 * (apps/ringtx/ringtx.c, pump) and a consumer (apps/ringrx/ringrx.c, drain) over one ring
 * (an active and a free queue, lib/ring/src/ring.c), each sleeping on its notification
 * (lib/os's event loop) when its queue is empty and signalling the other only when asked.
 *
 * Checked by spin (make spin-ring, step spin-ring in make test):
 *   - no lost wakeup: both processes reach their end; a process asleep for ever with work
 *     waiting is an invalid end state;
 *   - no overflow: an enqueue never finds capacity entries in the queue;
 *   - no buffer owned by both sides: every buffer is held by the producer, by the consumer,
 *     or sits in exactly one queue, and a side only writes, reads, enqueues or receives a
 *     buffer in the state that allows it;
 *   - messages arrive in order with their contents.
 * With -DBROKEN the consumer's re-check in ring_sleep_prepare is removed; spin must then
 * find the lost wakeup (make spin-ring checks that it does).
 *
 * Each access to a shared word is one Promela statement, an interleaving point. Promela
 * is sequentially consistent; the C code gets the orderings the model relies on from its
 * fences (the seq_cst fence between a flag store and an index load, and between an index
 * store and a flag load: Dekker) and from release/acquire on the indices (a descriptor and
 * the buffer's bytes are visible before the index that publishes them). docs/drivers.md
 * walks through why.
 *
 * The batch calls (ring_dequeue_many, ring_enqueue_many) follow the same protocol: they
 * publish one index store for several entries instead of one each, which is the model's
 * behaviour when the other process does not run between the single steps; the signalling
 * (ring_signal_needed after the batch, ring_sleep_prepare's re-check) is the same code.
 */

#define CAP 2   /* entries per queue */
#define NBUF 2  /* buffers: as many as a queue holds (as in systems/ring), so no enqueue finds it full */
#define MSGS 5  /* messages the producer sends */

/* Where a buffer is: with a side, or in one of the queues. */
mtype = { PRODUCER, CONSUMER, IN_ACTIVE, IN_FREE };
mtype owner[NBUF];
byte data[NBUF]; /* the message number a buffer holds */

/* struct ring_queue, twice (the free queue and the active queue). */
byte act_tail, act_head, fre_tail, fre_head;
byte act_desc[CAP], fre_desc[CAP];
bit act_wants, fre_wants; /* wants_signal */

/* The two components' notification words (a binary semaphore each). */
bit ntfn_producer, ntfn_consumer;

/* ring_enqueue (ring.c): write the descriptor, then publish the tail (release). The queue
 * is never full: capacity is enough for every buffer (the assertion is the overflow check). */
inline enqueue_active(b)
{
    assert(act_tail - act_head < CAP);
    act_desc[act_tail % CAP] = b;
    owner[b] = IN_ACTIVE;
    act_tail++
}

inline enqueue_free(b)
{
    assert(fre_tail - fre_head < CAP);
    fre_desc[fre_tail % CAP] = b;
    owner[b] = IN_FREE;
    fre_tail++
}

proctype producer()
{
    byte sent = 0, fresh = 0, b;
    bool have;
    bit asked;
loop:
    fre_wants = 0; /* ring_awake */
    /* while (sent < MSGS && next_buffer(&d)) { fill; ring_enqueue } */
    do
    :: sent == MSGS -> break
    :: else ->
        /* next_buffer: a fresh buffer, else ring_dequeue from the free queue */
        if
        :: fresh < NBUF -> b = fresh; fresh++; have = true
        :: else ->
            if
            :: fre_tail != fre_head -> /* ring_dequeue: the acquire load of the tail */
                b = fre_desc[fre_head % CAP];
                assert(owner[b] == IN_FREE); /* the ownership check (RING_ERR_OWNED) */
                fre_head++;
                have = true
            :: else -> have = false
            fi
        fi;
        if
        :: !have -> break
        :: else ->
            assert(owner[b] == PRODUCER || owner[b] == IN_FREE);
            owner[b] = PRODUCER;
            data[b] = sent; /* fill */
            enqueue_active(b);
            sent++
        fi
    od;
    /* ring_signal_needed: the fence, then the load of the consumer's flag */
    if
    :: act_wants -> ntfn_consumer = 1
    :: else -> skip
    fi;
    if
    :: sent == MSGS -> goto done
    :: else -> skip
    fi;
    /* ring_sleep_prepare: the flag, the fence, the re-check */
    fre_wants = 1;
    if
    :: fre_tail != fre_head -> fre_wants = 0; goto loop
    :: else -> skip
    fi;
    /* Sleep: back to the event loop, which waits on the notification. */
    atomic { ntfn_producer == 1 -> ntfn_producer = 0 };
    goto loop;
done:
    skip
}

proctype consumer()
{
    byte received = 0, b;
loop:
    act_wants = 0; /* ring_awake */
    /* while (ring_dequeue(...) == RING_OK) { check; give the buffer back } */
    do
    :: act_tail != act_head -> /* ring_dequeue: the acquire load of the tail */
        b = act_desc[act_head % CAP];
        assert(owner[b] == IN_ACTIVE); /* never a buffer the producer still holds */
        act_head++;
        owner[b] = CONSUMER;
        assert(data[b] == received); /* in order, contents intact */
        received++;
        enqueue_free(b)
    :: else -> break
    od;
    if
    :: fre_wants -> ntfn_producer = 1 /* ring_signal_needed */
    :: else -> skip
    fi;
    if
    :: received == MSGS -> goto done
    :: else -> skip
    fi;
    /* ring_sleep_prepare */
    act_wants = 1;
#ifndef BROKEN
    if
    :: act_tail != act_head -> act_wants = 0; goto loop
    :: else -> skip
    fi;
#endif
    atomic { ntfn_consumer == 1 -> ntfn_consumer = 0 };
    goto loop;
done:
    skip
}

init
{
    byte i;
    for (i : 0 .. NBUF - 1) {
        owner[i] = PRODUCER /* ring_own_all on the producer's side */
    }
    atomic {
        run producer();
        run consumer()
    }
}
