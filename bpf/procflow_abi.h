/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * procflow_abi.h: every record that crosses from the kernel programs to
 * userspace, and the keys of the maps userspace reads.
 *
 * Shared verbatim by bpf/procflow.bpf.c and the C++ decoder. Rules:
 *   - fixed-width types only, explicit padding, every struct a multiple of 8;
 *   - every ring-buffer record starts with struct pf_header {kind, size};
 *   - the C++ side static_asserts each size and decodes with memcpy after
 *     checking kind and size (src/collect/record_decoder.cpp).
 * Changing a layout means bumping PF_ABI_VERSION.
 */
#ifndef PROCFLOW_ABI_H
#define PROCFLOW_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h> /* userspace: the same __uN types the kernel uses */
#endif

#define PF_ABI_VERSION 4
#define PF_COMM_LEN 16
#define PF_PATH_LEN 256
#define PF_EXE_PATH_LEN 1024 /* the image path: room for 1023 bytes, or its tail */

enum pf_record_kind {
	PF_REC_PROC_EXEC = 1,
	PF_REC_PROC_FORK = 2,
	PF_REC_PROC_EXIT = 3,
	PF_REC_TCP_START = 4, /* a connection attempt (SYN_SENT) or an accepted one (ESTABLISHED) */
	PF_REC_TCP_OWNER = 5, /* the process acting on a socket changed */
	PF_REC_TCP_ESTABLISHED = 6, /* an outbound attempt completed its handshake */
	PF_REC_TCP_END = 7,
	PF_REC_TCP_SNAPSHOT = 8,  /* counters of a still-open socket, on request */
	PF_REC_UDP_START = 9,	  /* first datagram between a local socket and one peer */
	PF_REC_UDP_RELEASE = 10,  /* a UDP socket was released: all its flows end */
	PF_REC_DNS = 11,	  /* a DNS query or response seen on the wire (TC) */
	PF_REC_TCP_RESET = 12,	  /* a closed socket sent an RST (after its TCP_END) */
	PF_REC_TCP_EXISTING = 13, /* a TCP socket that existed before procflow started */
	PF_REC_PAYLOAD = 14,	  /* the first bytes of a turn of a TCP/UDP conversation (TC) */
	PF_REC_TLS_DATA = 15,	  /* plaintext an OpenSSL SSL_write/SSL_read moved (uprobes) */
};

/* How the owner of a socket was learned, best first. */
enum pf_owner_source {
	PF_OWNER_NONE = 0,
	PF_OWNER_CONNECT = 1,  /* inside connect(): exact */
	PF_OWNER_ACCEPT = 2,   /* accept() returned this socket: exact */
	PF_OWNER_SENDRECV = 3, /* the process sent or received on it: exact for that moment */
	PF_OWNER_LISTENER = 4, /* the process that called listen(): a guess for pre-fork servers */
};

/* Which attach point produced the owner or start record (for `probe` and tests). */
enum pf_hook {
	PF_HOOK_NONE = 0,
	PF_HOOK_FENTRY = 1,
	PF_HOOK_KPROBE = 2,
	PF_HOOK_TRACEPOINT = 3,
	PF_HOOK_TP_BTF = 4,
	PF_HOOK_SYSCALL_TP = 5,
	PF_HOOK_SOCK_LENGTH_TP = 6,
};

/* Why a TCP socket closed, as the kernel side can tell. */
enum pf_close_cause {
	PF_CLOSE_NORMAL = 0,
	PF_CLOSE_RESET = 1,   /* RST received (or sent on abort) */
	PF_CLOSE_TIMEOUT = 2, /* retransmission / SYN timeout, unreachable */
};

/* Counters kept in the pf_drops per-CPU array, one slot each. */
enum pf_drop_counter {
	PF_DROP_RINGBUF_RESERVE = 0, /* a record could not be reserved: lost */
	PF_DROP_FLOW_MAP_FULL = 1,   /* a socket could not be tracked */
	PF_DROP_WIRE_MAP_FULL = 2,   /* a connection's wire flags could not be kept */
	PF_DROP_LISTENER_MAP_FULL = 3,
	PF_DROP_UDP_MAP_FULL = 4,     /* a UDP flow could not be tracked */
	PF_DROP_UDP_UNKNOWN_PEER = 5, /* a datagram on an unconnected socket with no known peer */
	PF_DROP_DNS_TRUNCATED = 6,    /* a DNS message longer than PF_DNS_MAX: not captured whole */
	PF_DROP_DNS_UNREADABLE = 7,   /* a DNS message whose bytes could not be read from the skb */
	PF_DROP_PAYLOAD_RATE = 8, /* payload over the global rate bound: that turn not captured */
	PF_DROP_TLS_RATE = 9,	  /* TLS plaintext over the global rate bound: not captured */
	PF_DROP_TLS_UNREADABLE = 10,	 /* TLS plaintext whose user memory could not be read */
	PF_DROP_PAYLOAD_UNREADABLE = 11, /* payload whose bytes could not be read from the skb */
	PF_DROP_COUNTER_MAX = 12,
	/* Not a loss: connects, accepted connections and datagrams the --pid and
	 * --port filters left out in the kernel (bpf/flow_filter.bpf.h). */
	PF_COUNT_FILTERED = 15,
	/* From here, one slot per record kind: the records PF_DROP_RINGBUF_RESERVE
	 * lost, by what they were (slot PF_DROP_RING_BY_KIND + kind). */
	PF_DROP_RING_BY_KIND = 16,
	PF_DROP_SLOTS = 32,
};

struct pf_header {
	__u16 kind;
	__u16 size; /* sizeof the whole record */
	__u32 _pad;
	__u64 ktime_ns; /* bpf_ktime_get_boot_ns() when the record was made */
};

/* The task acting at a process-context hook. */
struct pf_task {
	__u32 tgid; /* userspace "pid" */
	__u32 tid;
	__u32 ppid; /* real parent's tgid */
	__u32 uid;
	__u32 gid;
	/* tgid in the task's own pid namespace when that is not the initial
	 * one (a container's "pid"); 0 in the initial namespace, or unknown */
	__u32 ns_tgid;
	__u64 start_boot_ns; /* group leader's start_boottime: (tgid, start) names one process */
	__u64 mntns;	     /* mount namespace inode: where to resolve users and paths */
	__u64 cgroup_id;
	char comm[PF_COMM_LEN];
};

/* A TCP/UDP 5-tuple, oriented initiator -> responder. Ports in host order. */
struct pf_tuple {
	__u8 saddr[16]; /* IPv4 in the first 4 bytes */
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u8 family; /* 4 or 6 */
	__u8 proto;  /* IPPROTO_TCP / IPPROTO_UDP */
	__u8 _pad[2];
};

/*
 * What the kernel knows about an image besides its path (pf_proc_exec.exe_flags),
 * as of the exec.
 */
enum pf_image_flag {
	/* The name the image was started from no longer leads to it (unlinked,
	 * replaced) or it never had one (memfd): /proc/<pid>/exe ends in " (deleted)". */
	PF_IMAGE_DELETED = 1 << 0,
	/* A file on no mounted filesystem (memfd_create): exe_path is "/" and
	 * its name, as /proc/<pid>/exe shows it ("/memfd:NAME"). */
	PF_IMAGE_ANONYMOUS = 1 << 1,
	/* The path did not fit (or was deeper than the walk goes): exe_path is
	 * its tail, whole components with their leading '/', basename included. */
	PF_IMAGE_TRUNCATED = 1 << 2,
};

struct pf_proc_exec {
	struct pf_header hdr;
	struct pf_task task;
	__u32 filename_len; /* bytes copied into filename, with the NUL; PF_PATH_LEN: maybe cut */
	__u32 exe_path_len; /* bytes in exe_path, with the NUL; 0 = not resolved */
	__u32 exe_flags;    /* enum pf_image_flag */
	__u32 _pad;
	/* The mount namespace's mnt_namespace.event at the exec: the kernel
	 * changes it with every mount and unmount in that namespace, so two
	 * execs with the same value saw the same mounts (e.g. the same
	 * /etc/passwd). 0 until the namespace's first mount change. */
	__u64 mnt_event;
	char filename[PF_PATH_LEN];	/* the path given to execve() */
	char exe_path[PF_EXE_PATH_LEN]; /* the image running now, resolved in the kernel */
};

struct pf_proc_fork {
	struct pf_header hdr;
	struct pf_task child; /* the new process (a thread never produces a record) */
};

struct pf_proc_exit {
	struct pf_header hdr;
	struct pf_task task;
	__u32 exit_code;
	__u32 _pad;
};

struct pf_tcp_start {
	struct pf_header hdr;
	__u64 sock_id; /* kernel socket address: the flow's key until its end */
	__u64 netns;   /* network namespace inode of the socket */
	struct pf_tuple tuple;
	struct pf_task owner; /* valid when owner_source != PF_OWNER_NONE */
	__u8 initiated;	      /* 1: local connect(); 0: accepted */
	__u8 owner_source;    /* enum pf_owner_source */
	__u8 hook;	      /* enum pf_hook that produced this record */
	__u8 _pad[5];
};

struct pf_tcp_owner {
	struct pf_header hdr;
	__u64 sock_id;
	struct pf_task owner;
	__u8 owner_source;
	__u8 hook;
	__u8 _pad[6];
};

struct pf_tcp_established {
	struct pf_header hdr;
	__u64 sock_id;
	struct pf_tuple tuple; /* local -> remote: complete now (the source port is bound) */
};

/*
 * A TCP flow's packet count comes from TC when TC saw the connection open
 * (its SYN) on a traced interface: the segments of that one connection
 * (pf_wire_stats, below). Otherwise it is the socket's own count, carried
 * here: segs_in + segs_out (one per segment, a GSO/GRO super-packet as the
 * segments it carries) plus the packets the socket never counts itself (on
 * the accepting side the SYN-ACKs its request socket sent; RSTs the kernel's
 * control socket sent for it). An RST the socket sends after TCP_CLOSE comes
 * as PF_REC_TCP_RESET.
 */
struct pf_tcp_end {
	struct pf_header hdr;
	__u64 sock_id;
	__u64 netns;
	struct pf_tuple tuple;
	__u64 app_bytes_in;  /* payload received: bytes_received less the peer's FIN */
	__u64 app_bytes_out; /* payload the peer acknowledged: bytes_acked less SYN and FIN */
	__u64 bytes_sent;    /* tcp_sock.bytes_sent: payload sent, retransmits included */
	__u64 packets;	     /* the socket's own count, as explained above */
	__u32 sk_err;	     /* the error the socket closed with (ECONNRESET, ETIMEDOUT...) */
	__u32 syn_seq;	     /* the initiator's initial sequence number: the TC generation */
	__u8 close_cause;    /* enum pf_close_cause */
	__u8 implied_flags;  /* flags the state changes imply (SYN, ACK, FIN, RST) */
	__u8 last_state;     /* state before TCP_CLOSE */
	__u8 established;    /* the handshake completed at some point */
	__u8 _pad[4];
};

/* A socket that already reached TCP_CLOSE sent an RST (an abortive close:
 * SO_LINGER 0, unread data, a reply to a late segment): one more packet and
 * the RST flag for the flow that ended with sock_id. */
struct pf_tcp_reset {
	struct pf_header hdr;
	__u64 sock_id;
};

/* The listeners map's key: who listens on a port of a network namespace.
 * Userspace writes the owners of listeners that predate it. */
struct pf_listener_key {
	__u64 netns;
	__u16 port;
	__u8 _pad[6];
};

/*
 * A TCP socket found by the start-up walk over every TCP socket (iter/tcp),
 * in the iterator's output, not the ring: a connection or a listener that
 * existed before procflow started. Connections are followed from then on like
 * any other (the walk enters them into the flows map), listeners become the
 * last-resort owners of what they accept. Who owns it comes from userspace
 * (the socket's inode in /proc/<pid>/fd).
 */
struct pf_tcp_existing {
	struct pf_header hdr;
	__u64 sock_id;
	__u64 netns;
	__u64 inode;	       /* the socket's inode: /proc/<pid>/fd/N -> socket:[inode] */
	struct pf_tuple tuple; /* local -> remote, as the socket has it */
	__u64 app_bytes_in;    /* so far, as in pf_tcp_end */
	__u64 app_bytes_out;
	__u64 packets; /* the socket's own count so far */
	__u32 uid;     /* the socket's owner uid */
	__u32 syn_seq; /* the initiator's initial sequence number (connections) */
	__u8 state;
	__u8 listening;
	__u8 initiated; /* 0: its local port is one a listener of its namespace has */
	__u8 tracked;	/* entered into the flows map (not already there, map not full) */
	__u8 implied_flags;
	__u8 _pad[3];
};

/*
 * UDP: a flow is one local socket and one peer. The kernel keeps its counters
 * in the udp_flows map (userspace reads them in batches and deletes ended
 * flows); records only announce a new flow and a released socket.
 */
struct pf_udp_key {
	__u64 sock_id; /* kernel socket address */
	__u8 peer_addr[16];
	__u16 peer_port; /* host order */
	__u8 family;	 /* 4 or 6 */
	__u8 _pad[5];
};

struct pf_udp_stats {
	__u64 bytes_in;	 /* payload bytes received by the socket from the peer */
	__u64 bytes_out; /* payload bytes sent by the socket to the peer */
	__u64 dgrams_in;
	__u64 dgrams_out;
	__u64 last_ns; /* the last datagram (the first one's when new) */
};

struct pf_udp_start {
	struct pf_header hdr;
	struct pf_udp_key key;
	__u64 netns;
	struct pf_tuple tuple; /* initiator -> responder */
	struct pf_task owner;
	__u8 initiated; /* 1: the local socket sent first */
	__u8 _pad[7];
};

struct pf_udp_release {
	struct pf_header hdr;
	__u64 sock_id;
};

/* A DNS message copied from the wire, query or response: UDP to or from
 * port 53 (and mDNS 5353, LLMNR 5355), TCP to or from port 53. Userspace
 * accepts an answer only when it matches a query it saw (ids, endpoints,
 * question, time), so both directions are captured. Over TCP the payload
 * starts with the 2-byte length and is captured only when the whole message
 * is in one segment. */
#define PF_DNS_MAX 1024
struct pf_dns {
	struct pf_header hdr;
	__u32 ifindex;	       /* the interface TC saw it on */
	__u16 payload_len;     /* bytes in payload */
	__u8 proto;	       /* IPPROTO_UDP or IPPROTO_TCP */
	__u8 egress;	       /* 1: leaving through ifindex; 0: arriving */
	struct pf_tuple tuple; /* as on the wire: source -> destination */
	__u8 payload[PF_DNS_MAX];
};

/* Answer to a snapshot request (the pf_snapshot program, run by userspace
 * through BPF_PROG_TEST_RUN at shutdown): one per socket still open. */
struct pf_tcp_snapshot {
	struct pf_header hdr;
	__u64 sock_id;
	__u64 app_bytes_in; /* as in pf_tcp_end */
	__u64 app_bytes_out;
	__u64 packets;
	__u32 syn_seq;
	__u8 implied_flags;
	__u8 state;
	__u8 _pad[2];
};

/*
 * What TC saw of one TCP connection, kept per connection: keyed by the
 * canonical tuple (the lower address and port first, so both directions and
 * both local sockets of a loopback connection meet in one entry) and tagged
 * with the initiator's initial sequence number (its SYN). A SYN with a new
 * sequence number on the same tuple is a new connection: the entry moves to
 * wire_retired under (tuple, old syn_seq) and starts over, so a reused port
 * never mixes two connections. Packets are counted as TCP segments (a GSO
 * super-packet as its gso_segs, or, from a tun/tap device's virtio-net header
 * where the kernel has not counted them yet, its payload in gso_size pieces),
 * on the interface where the SYN was seen only, so a packet crossing two
 * traced interfaces counts once. Flags are ORed from every interface.
 * Userspace reads both maps at a flow's end.
 */
struct pf_wire_key {
	__u8
	    addr_lo[16]; /* IPv4 (also a dual-stack socket's mapped address) in the first 4 bytes */
	__u8 addr_hi[16];
	__u16 port_lo;
	__u16 port_hi;
	__u8 family;
	__u8 _pad[3];
};

struct pf_wire_gen_key {
	struct pf_wire_key conn;
	__u32 syn_seq;
	__u32 _pad;
};

struct pf_wire_stats {
	__u64 packets;	/* segments on the counting interface, both directions */
	__u32 syn_seq;	/* the SYN that opened it (valid when from_syn) */
	__u32 ifindex;	/* the counting interface: where the SYN (or first packet) was seen */
	__u8 tcp_flags; /* union of the flags seen, on any traced interface */
	__u8 from_syn;	/* the SYN was seen: packets is the whole connection */
	__u8 _pad[6];
};

/*
 * Content capture (the `message` action). TC copies the first bytes of each
 * *turn* of a conversation: a turn begins when one side sends payload after
 * the other side did (a request, then its response, then the next request
 * on a keep-alive connection). Per direction, at most payload_turns turns
 * (1 with --messages first) and payload_bytes bytes per turn are copied, so
 * a bulk transfer costs one map look-up per packet after its first bytes.
 * DNS ports are not copied here: PF_REC_DNS carries those messages whole.
 */
#define PF_PAYLOAD_MAX 512 /* bytes one record carries; a longer turn takes several */

enum pf_payload_flag {
	PF_PAYLOAD_OFFSET_KNOWN = 1 << 0, /* TCP: stream_offset valid (the SYN was seen) */
	PF_PAYLOAD_TURN_START = 1 << 1,	  /* the first bytes of a new turn in this direction */
	PF_PAYLOAD_CUT = 1 << 2,	  /* the packet carried more than was copied */
};

struct pf_payload {
	struct pf_header hdr;
	struct pf_tuple tuple; /* as on the wire: source -> destination */
	__u32 ifindex;	       /* the interface TC saw it on */
	__u32 stream_offset;   /* TCP: payload bytes this direction sent before this packet */
	__u32 wire_len;	       /* payload bytes the packet carried */
	__u16 payload_len;     /* bytes copied into payload (1..PF_PAYLOAD_MAX) */
	__u8 flags;	       /* enum pf_payload_flag */
	__u8 egress;	       /* 1: leaving through ifindex; 0: arriving */
	__u16 turn;	       /* this direction's turn, from 0 */
	__u8 _pad[6];
	__u8 payload[PF_PAYLOAD_MAX];
};

/* The payload_budget map (LRU): one entry per conversation, keyed like the
 * wire map plus the IP protocol. Direction 0 is the lower endpoint of the
 * canonical key sending (addr_lo:port_lo -> addr_hi:port_hi), 1 the other.
 * Userspace deletes a flow's entry when the flow ends. */
struct pf_payload_key {
	struct pf_wire_key conn;
	__u8 proto;
	__u8 _pad[7];
};

struct pf_payload_state {
	__u32 isn[2];	    /* TCP: each direction's initial sequence number (its SYN) */
	__u32 next_seq[2];  /* TCP: the sequence number after the last byte copied */
	__u32 turn_left[2]; /* bytes the direction's current turn may still copy */
	__u16 turns[2];	    /* turns begun per direction */
	__u32 ifindex;	    /* payload is copied on this interface only (its first) */
	__u32 syn_seq;	    /* the initiator's SYN: a new SYN on the tuple starts over */
	__u8 last_dir;	    /* the direction of the last payload packet; 2: none yet */
	__u8 isn_known;	    /* bit 0/1: isn[0]/isn[1] is valid */
	__u8 _pad[2];
};

/*
 * TLS plaintext from OpenSSL (uprobes on SSL_write/SSL_read and their _ex
 * forms in libssl.so.3): the first bytes of each turn of a socket, like
 * PF_REC_PAYLOAD but before encryption / after decryption. sock_id is the
 * socket the call moved bytes on, learned in the same thread from the
 * sock_send_length / sock_recv_length tracepoints inside the call; 0 when
 * none fired (nothing reached the socket in that call).
 */
#define PF_TLS_MAX 512

enum pf_tls_direction {
	PF_TLS_WRITE = 0, /* SSL_write*: the process sent this (out) */
	PF_TLS_READ = 1,  /* SSL_read*: the process received this (in) */
};

struct pf_tls_data {
	struct pf_header hdr;
	struct pf_task task;
	__u64 sock_id;	 /* the socket's kernel address, as in pf_tcp_start; 0: unknown */
	__u32 data_len;	 /* plaintext bytes the call moved (its result) */
	__u16 copied;	 /* bytes in data (1..PF_TLS_MAX) */
	__u8 direction;	 /* enum pf_tls_direction */
	__u8 turn_start; /* 1: the first bytes of a new turn on this socket */
	__u8 data[PF_TLS_MAX];
};

/* Read-only configuration set by the loader before load. */
struct pf_config {
	__u32 self_tgid;	    /* procflow itself: its own connects are not traced */
	__u8 connect_by_tracepoint; /* no fentry/kprobe on tcp_connect: use SYN_SENT */
	__u8 udp_enabled;	    /* count UDP datagrams (the UDP hooks are attached) */
	__u8 filter_by_pid;	    /* --pid: filter_pids holds the wanted tgids */
	__u8 filter_by_port;	    /* --port: filter_ports holds the wanted ports */
	__u16 payload_bytes; /* bytes copied per turn and direction; 0: content capture off */
	__u16 payload_turns; /* turns copied per direction and flow (1: the first only) */
	__u32 payload_rate;  /* payload and TLS records per second and CPU at most */
	/* Records one packet's payload may take: payload_bytes in PF_PAYLOAD_MAX
	 * pieces. Read-only at load, so the verifier walks only that many turns
	 * of the copy loop (older verifiers give up on 32). */
	__u8 payload_pieces;
	__u8 _pad[7];
};

#endif /* PROCFLOW_ABI_H */
