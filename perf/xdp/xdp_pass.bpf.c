// SPDX-License-Identifier: BSD-3-Clause
/*
 * Passes every frame to the kernel. Attached to the client's end of a veth pair whose other
 * end runs xdp_syncookie: veth delivers the frames an XDP program sends back (XDP_TX) to a peer
 * only when that peer has an XDP program of its own (drivers/net/veth.c, veth_xdp_flush).
 */

#include <linux/bpf.h>

#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
    (void)ctx;
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
