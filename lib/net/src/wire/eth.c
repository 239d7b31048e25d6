/* Ethernet II headers. */
#include <vallum/net/config.h>
#include <vallum/net/wire.h>

#include <string.h>

int
net_eth_parse(const uint8_t *frame, size_t len, struct net_eth *out)
{
    if (len < NET_ETH_HDR_LEN) {
        return -NET_DROP_ETH_SHORT;
    }
    /* Longer than any frame our MTU allows: a peer ignoring the MTU, never a valid frame. */
    if (len > NET_FRAME_MAX) {
        return -NET_DROP_ETH_LONG;
    }
    memcpy(out->dst.b, frame + NET_ETH_DST, 6);
    memcpy(out->src.b, frame + NET_ETH_SRC, 6);
    /* No station sends from a group address (IEEE 802.3 4.2.3.1.1); answering one would
     * reply to many. */
    if (net_mac_is_multicast(&out->src)) {
        return -NET_DROP_ETH_SRC;
    }
    out->type = net_get16(frame + NET_ETH_TYPE);
    return 0;
}

void
net_eth_emit(uint8_t *frame, const struct net_eth *h)
{
    memcpy(frame + NET_ETH_DST, h->dst.b, 6);
    memcpy(frame + NET_ETH_SRC, h->src.b, 6);
    net_put16(frame + NET_ETH_TYPE, h->type);
}
