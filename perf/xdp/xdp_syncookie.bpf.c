// SPDX-License-Identifier: BSD-3-Clause
/*
 * The kernel's XDP SYN-cookie path as a system perf/compare.sh measures next to rampart.
 *
 * Attached to the server's interface, it answers every IPv4 SYN to SERVED_PORT with a SYN-ACK
 * whose sequence number is the kernel's own SYN cookie (bpf_tcp_raw_gen_syncookie_ipv4, the
 * same secret and layout as net/ipv4/syncookies.c) and sends it back out of the same interface
 * (XDP_TX). Nothing is stored. The client's ACK goes up to the kernel's listener, which checks
 * the cookie and creates the connection (tcp_syncookies must be 1 or 2). Everything that is not
 * a SYN to SERVED_PORT passes to the kernel untouched.
 *
 * Two details make the kernel accept ACKs to cookies it did not send itself:
 *  - cookie_v4_check() accepts a cookie ACK only while the listener has sent a cookie of its own
 *    in the last two minutes (tcp_synq_no_recent_overflow()). So the first SYN of every second
 *    passes to the kernel, which answers it itself (tcp_syncookies=2: always with a cookie) and
 *    keeps its listener in cookie mode; the counter syns_passed counts them.
 *  - With timestamps, the low 6 bits of our TSval carry the SYN's window scale, SACK and ECN
 *    (cookie_init_timestamp()'s layout), and the kernel reads them back from the ACK's TSecr
 *    after subtracting its per-connection offset. That offset is 0 only with
 *    net.ipv4.tcp_timestamps=2, which the server's namespace must set.
 *
 * Our own window scale (WSCALE) must be the one the kernel will compute when it rebuilds the
 * connection from the ACK (tcp_select_initial_window()); the loader derives it from the
 * namespace's tcp_rmem and rmem_max.
 *
 * Built by perf/load/testbed.py: clang -O2 -target bpf -DSERVED_PORT=80 -DWSCALE=<n> -c ...
 */

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#ifndef SERVED_PORT
#error "build with -DSERVED_PORT=<the listener's TCP port>"
#endif
#ifndef WSCALE
#error "build with -DWSCALE=<the window scale the kernel's listener computes>"
#endif

#define OUR_MSS 1460 /* what we accept: a 1500-byte MTU */
#define OUR_WINDOW 65535
#define OUR_TTL 64

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WINDOW 3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_TIMESTAMP 8

/* cookie_init_timestamp()'s layout of the TSval's low bits (net/ipv4/syncookies.c). */
#define TS_OPT_WSCALE_NONE 0xf
#define TS_OPT_SACK (1u << 4)
#define TS_OPT_ECN (1u << 5)
#define TSBITS 6
#define TCP_MAX_WSCALE 14

#define PASS_INTERVAL_NS 1000000000ull /* one SYN a second goes to the kernel (see above) */

/* Counters, one slot per CPU each; perf/load/testbed.py (xdp_program_stats) sums them. */
enum counter {
    SYN_ACKS_SENT, /* SYN answered with a cookie SYN-ACK (XDP_TX) */
    SYNS_PASSED, /* SYN handed to the kernel to keep its listener in cookie mode */
    BAD_CHECKSUM, /* SYN dropped: IPv4 or TCP checksum wrong */
    NOT_HANDLED, /* SYN to the port passed unanswered: IP options, fragment, payload, odd header */
    COUNTER_COUNT,
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __type(key, __u32);
    __type(value, __u64);
    __uint(max_entries, COUNTER_COUNT);
} counters SEC(".maps");

/* When the last SYN was passed to the kernel (bpf_ktime_get_ns); shared by all CPUs, racy on
 * purpose: two SYNs passed in the same nanosecond do no harm. */
__u64 last_pass_ns = 0;

static __always_inline void count(enum counter which)
{
    __u32 key = which;
    __u64 *value = bpf_map_lookup_elem(&counters, &key);
    if (value) {
        *value += 1;
    }
}

static __always_inline __u16 fold(__u64 sum)
{
    sum = (sum & 0xffffffff) + (sum >> 32);
    sum = (sum & 0xffffffff) + (sum >> 32);
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return (__u16)~sum;
}

/* The TCP pseudo-header's contribution (RFC 9293 §3.1), in network order like the words. */
static __always_inline __u64 pseudo_header_sum(__be32 saddr, __be32 daddr, __u32 tcp_len)
{
    return (__u64)saddr + daddr + bpf_htons(IPPROTO_TCP) + bpf_htons((__u16)tcp_len);
}

/* The one's-complement sum of `count` 32-bit words (at most 16) of a copy on the stack. */
static __always_inline __u64 sum_words(const __u32 *words, __u32 count)
{
    __u64 sum = 0;
    for (__u32 i = 0; i < 16 && i < count; i++) {
        sum += words[i];
    }
    return sum;
}

/* What the SYN offered, as cookie_init_timestamp() needs it. */
struct syn_options {
    __u32 tsval; /* the client's TSval, host order */
    __u8 wscale; /* TS_OPT_WSCALE_NONE when absent */
    __u8 has_timestamp;
    __u8 sack_permitted;
};

/* The option walk runs in bpf_loop(): a plain loop over a variable-length list makes the
 * verifier walk every path of every iteration (over its million-instruction limit), a callback
 * is verified once. The options are copied to the stack first, so every read is an index masked
 * into a 64-byte buffer. */
struct option_walk {
    __u8 bytes[64]; /* the SYN's options, at most 40 bytes, zero after them */
    __u32 length;
    __u32 offset;
    struct syn_options found;
};

/* One option per call; 1 ends the walk. A malformed list ends it too, and what was read so far
 * stands, as in the kernel's tcp_parse_options(). */
static long next_option(__u32 index, void *context)
{
    struct option_walk *walk = context;
    __u32 at = walk->offset;
    if (at >= walk->length) {
        return 1;
    }
    __u8 kind = walk->bytes[at & 63];
    if (kind == TCPOPT_EOL) {
        return 1;
    }
    if (kind == TCPOPT_NOP) {
        walk->offset = at + 1;
        return 0;
    }
    __u8 size = walk->bytes[(at + 1) & 63];
    if (size < 2 || at + size > walk->length) {
        return 1;
    }
    if (kind == TCPOPT_WINDOW && size == 3) {
        __u8 shift = walk->bytes[(at + 2) & 63];
        walk->found.wscale = shift < TCP_MAX_WSCALE ? shift : TCP_MAX_WSCALE;
    } else if (kind == TCPOPT_SACK_PERM && size == 2) {
        walk->found.sack_permitted = 1;
    } else if (kind == TCPOPT_TIMESTAMP && size == 10) {
        walk->found.has_timestamp = 1;
        walk->found.tsval = ((__u32)walk->bytes[(at + 2) & 63] << 24) | ((__u32)walk->bytes[(at + 3) & 63] << 16)
                            | ((__u32)walk->bytes[(at + 4) & 63] << 8) | walk->bytes[(at + 5) & 63];
    }
    walk->offset = at + size;
    return 0;
}

/* Reads the options of a SYN (`length` bytes, at most 40) from its copy on the stack. */
static __always_inline void parse_options(const __u8 *options, __u32 length, struct syn_options *out)
{
    struct option_walk walk = {};
    walk.found.wscale = TS_OPT_WSCALE_NONE;
    if (length > 40) {
        length = 40;
    }
    __builtin_memcpy(walk.bytes, options, 40);
    walk.length = length;
    bpf_loop(40, next_option, &walk, 0);
    *out = walk.found;
}

/* cookie_init_timestamp(): our TSval, never ahead of the clock the kernel's connection will
 * use afterwards (tcp_clock_ms(), CLOCK_MONOTONIC in ms), its low bits the SYN's options. */
static __always_inline __u32 cookie_tsval(const struct syn_options *syn, int ecn)
{
    __u32 now = (__u32)(bpf_ktime_get_ns() / 1000000);
    __u32 options = syn->wscale | (syn->sack_permitted ? TS_OPT_SACK : 0) | (ecn ? TS_OPT_ECN : 0);
    __u32 ts = ((now >> TSBITS) << TSBITS) | options;
    if (ts > now) {
        ts -= 1u << TSBITS;
    }
    return ts;
}

/* The IPv4 and TCP headers of the SYN, then of the SYN-ACK, on the stack: the kernel's cookie
 * helper and the checksums read them there with lengths the verifier can bound, which it cannot
 * do for a variable-length header in the packet. */
struct headers {
    struct iphdr ip;
    union {
        struct tcphdr tcp;
        __u8 tcp_bytes[60];
        __u32 tcp_words[15];
    };
};

SEC("xdp")
int xdp_syncookie(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;

    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP)) {
        return XDP_PASS;
    }
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > data_end || ip->protocol != IPPROTO_TCP) {
        return XDP_PASS;
    }
    struct tcphdr *tcp = (void *)(ip + 1); /* valid only when ihl == 5, checked below */
    if ((void *)(tcp + 1) > data_end || tcp->dest != bpf_htons(SERVED_PORT) || !tcp->syn || tcp->ack) {
        return XDP_PASS;
    }
    if (tcp->rst || tcp->fin) {
        return XDP_DROP; /* the kernel drops SYN+RST and SYN+FIN too (tcp_rcv_state_process) */
    }
    __u32 tcp_len = tcp->doff * 4;
    if (ip->version != 4 || ip->ihl != 5 || (ip->frag_off & bpf_htons(0x3fff)) != 0 || tcp_len < 20
        || bpf_ntohs(ip->tot_len) != sizeof(*ip) + tcp_len || (void *)tcp + tcp_len > data_end) {
        count(NOT_HANDLED); /* IP options, fragments, data on the SYN: the kernel's business */
        return XDP_PASS;
    }

    /* Keep the listener in cookie mode: the first SYN of each second goes to the kernel. */
    __u64 now_ns = bpf_ktime_get_ns();
    if (now_ns - last_pass_ns > PASS_INTERVAL_NS) {
        last_pass_ns = now_ns;
        count(SYNS_PASSED);
        return XDP_PASS;
    }

    struct headers syn = {};
    if (tcp_len > 60 || bpf_xdp_load_bytes(ctx, sizeof(*eth), &syn, sizeof(syn.ip) + tcp_len) != 0) {
        return XDP_ABORTED; /* cannot happen: the bytes were bounds-checked above */
    }

    /* Both checksums before answering, as the kernel would (ip_rcv_core, tcp_v4_rcv). */
    if (fold(sum_words((const __u32 *)&syn.ip, 5)) != 0
        || fold(sum_words(syn.tcp_words, tcp_len / 4) + pseudo_header_sum(syn.ip.saddr, syn.ip.daddr, tcp_len)) != 0) {
        count(BAD_CHECKSUM);
        return XDP_DROP;
    }

    /* The cookie: hash of the 4-tuple, the client's ISN, the minute and the MSS index. */
    __s64 cookie_and_mss = bpf_tcp_raw_gen_syncookie_ipv4(&syn.ip, &syn.tcp, tcp_len);
    if (cookie_and_mss < 0) {
        count(NOT_HANDLED);
        return XDP_PASS;
    }
    __u32 cookie = (__u32)cookie_and_mss;

    struct syn_options offered;
    parse_options(syn.tcp_bytes + sizeof(syn.tcp), tcp_len - sizeof(syn.tcp), &offered);
    int ecn = offered.has_timestamp && syn.tcp.ece && syn.tcp.cwr;

    /* The SYN-ACK: MSS; then, with a timestamp, SACK-permitted (or two NOPs), the timestamp and
     * window scale. The kernel keeps window scale and SACK only when a timestamp carries them
     * (tcp_conn_request clears the options of a cookie SYN without one). */
    struct headers reply = {};
    __u32 words = 1;
    reply.tcp_words[5] = bpf_htonl((TCPOPT_MSS << 24) | (4 << 16) | OUR_MSS);
    if (offered.has_timestamp) {
        __u32 lead = offered.sack_permitted ? (TCPOPT_SACK_PERM << 24) | (2 << 16)
                                            : (TCPOPT_NOP << 24) | (TCPOPT_NOP << 16);
        reply.tcp_words[6] = bpf_htonl(lead | (TCPOPT_TIMESTAMP << 8) | 10);
        reply.tcp_words[7] = bpf_htonl(cookie_tsval(&offered, ecn));
        reply.tcp_words[8] = bpf_htonl(offered.tsval);
        words = 4;
        if (offered.wscale != TS_OPT_WSCALE_NONE) {
            reply.tcp_words[9] = bpf_htonl((TCPOPT_NOP << 24) | (TCPOPT_WINDOW << 16) | (3 << 8) | WSCALE);
            words = 5;
        }
    }
    __u32 reply_tcp_len = sizeof(reply.tcp) + words * 4;

    reply.ip.version = 4;
    reply.ip.ihl = 5;
    reply.ip.tot_len = bpf_htons(sizeof(reply.ip) + reply_tcp_len);
    reply.ip.frag_off = bpf_htons(0x4000); /* DF */
    reply.ip.ttl = OUR_TTL;
    reply.ip.protocol = IPPROTO_TCP;
    reply.ip.saddr = syn.ip.daddr;
    reply.ip.daddr = syn.ip.saddr;
    reply.ip.check = fold(sum_words((const __u32 *)&reply.ip, 5));

    reply.tcp.source = syn.tcp.dest;
    reply.tcp.dest = syn.tcp.source;
    reply.tcp.seq = bpf_htonl(cookie);
    reply.tcp.ack_seq = bpf_htonl(bpf_ntohl(syn.tcp.seq) + 1);
    reply.tcp.doff = reply_tcp_len / 4;
    reply.tcp.syn = 1;
    reply.tcp.ack = 1;
    reply.tcp.ece = ecn; /* the client asked for ECN (RFC 3168 §6.1.1) */
    reply.tcp.window = bpf_htons(OUR_WINDOW);
    reply.tcp.check = fold(sum_words(reply.tcp_words, reply_tcp_len / 4)
                           + pseudo_header_sum(reply.ip.saddr, reply.ip.daddr, reply_tcp_len));

    /* Resize the frame to the reply (dropping any Ethernet padding), write it, send it back. */
    int delta = (int)(sizeof(*eth) + sizeof(reply.ip) + reply_tcp_len) - (int)(data_end - data);
    if (delta != 0 && bpf_xdp_adjust_tail(ctx, delta) != 0) {
        count(NOT_HANDLED);
        return XDP_PASS;
    }
    if (reply_tcp_len > 40 || bpf_xdp_store_bytes(ctx, sizeof(*eth), &reply, sizeof(reply.ip) + reply_tcp_len) != 0) {
        return XDP_ABORTED; /* cannot happen: the frame was just sized for the reply */
    }
    data = (void *)(long)ctx->data;
    data_end = (void *)(long)ctx->data_end;
    eth = data;
    if ((void *)(eth + 1) > data_end) {
        return XDP_ABORTED;
    }
    __u8 mac[ETH_ALEN];
    __builtin_memcpy(mac, eth->h_source, ETH_ALEN);
    __builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
    __builtin_memcpy(eth->h_dest, mac, ETH_ALEN);

    count(SYN_ACKS_SENT);
    return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
