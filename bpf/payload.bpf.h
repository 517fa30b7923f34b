/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Content capture for the `message` action: the first bytes of each turn of
 * a TCP or UDP conversation, copied by the TC programs (procflow_abi.h,
 * "Content capture", explains turns and the record).
 *
 * Cost: a conversation costs one look-up in payload_budget per packet; once
 * a direction's turns are spent nothing else happens, so a bulk transfer
 * pays for its first bytes only. A per-CPU token bucket bounds the turns
 * copied per second: over it, the turn is counted (PF_DROP_PAYLOAD_RATE)
 * and skipped whole, so content never starts in the middle of a turn.
 *
 * Duplicates: bytes are copied on one interface only (the first that saw
 * the conversation), and TCP bytes below the sequence number already copied
 * (retransmissions) are skipped. Two CPUs handling packets of one
 * conversation at the same moment may both see a turn start; the state is
 * advisory and userspace orders records by turn and stream offset.
 */
#ifndef PROCFLOW_PAYLOAD_BPF_H
#define PROCFLOW_PAYLOAD_BPF_H

#include "flow_filter.bpf.h"
#include "record.bpf.h"
#include "wire_key.bpf.h"

#define PF_NO_DIRECTION 2
/* Records one packet's payload may take at most: the largest per-turn budget
 * (16 KiB, content.bytes) in 512-byte records. The loader sets the real
 * bound, pf_cfg.payload_pieces (the budget's records). */
#define PF_PAYLOAD_RECORDS_PER_PACKET 32

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536); /* the loader sizes it like the wire map */
	__type(key, struct pf_payload_key);
	__type(value, struct pf_payload_state);
} payload_budget SEC(".maps");

struct pf_payload_bucket {
	u64 window_ns; /* the second the count belongs to */
	u64 used;      /* turns admitted in it */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct pf_payload_bucket);
} payload_rate SEC(".maps");

/* One more turn this second on this CPU, if the bound allows it. */
static __always_inline bool payload_turn_admitted(void)
{
	u32 zero = 0;
	struct pf_payload_bucket *b = bpf_map_lookup_elem(&payload_rate, &zero);
	if (!b)
		return false;
	u64 now = bpf_ktime_get_boot_ns();
	if (now - b->window_ns >= 1000000000ull) {
		b->window_ns = now;
		b->used = 0;
	}
	if (b->used >= pf_cfg.payload_rate)
		return false;
	b->used++;
	return true;
}

/* The conversation's state, created on its first packet seen here. */
static __always_inline struct pf_payload_state *payload_state(const struct pf_payload_key *key,
							      u32 ifindex)
{
	struct pf_payload_state *s = bpf_map_lookup_elem(&payload_budget, key);
	if (s)
		return s;
	struct pf_payload_state fresh = {.ifindex = ifindex, .last_dir = PF_NO_DIRECTION};
	bpf_map_update_elem(&payload_budget, key, &fresh, BPF_NOEXIST);
	return bpf_map_lookup_elem(&payload_budget, key);
}

/* A SYN or SYN-ACK: the direction's initial sequence number, for stream
 * offsets. A SYN with a new sequence number is a new connection on the same
 * tuple: its state starts over. */
static __always_inline void payload_note_syn(struct pf_payload_state *s, const struct pf_packet *p,
					     u32 dir, u32 ifindex)
{
	bool opening = !(p->tcp_flags & PF_TCP_ACK);
	if (opening && s->syn_seq != p->seq) {
		__builtin_memset(s, 0, sizeof(*s));
		s->syn_seq = p->seq;
		s->ifindex = ifindex;
		s->last_dir = PF_NO_DIRECTION;
	}
	s->isn[dir & 1] = p->seq;
	s->isn_known |= 1 << (dir & 1);
}

/* One record's worth of a packet's payload (see emit_payload_piece). */
struct pf_payload_piece {
	u32 offset;	   /* from the packet's payload start */
	u32 bytes;	   /* 1..PF_PAYLOAD_MAX */
	u32 rest;	   /* the packet's payload bytes from offset on */
	u32 stream_offset; /* of the packet's first payload byte (valid with offset_known) */
	u16 turn;
	u8 flags;
	u8 egress;
	u8 offset_known;
	u8 cut;
	u8 _pad[2];
};

/* Copies piece->bytes of the packet's payload from piece->offset into a
 * record. Non-zero when the ring is full or the bytes are unreadable (both
 * counted): the rest of the packet is not tried. */
static __noinline int emit_payload_piece(struct __sk_buff *skb, const struct pf_packet *p,
					 const struct pf_payload_piece *piece)
{
	struct pf_payload *rec = reserve_record(sizeof(*rec), PF_REC_PAYLOAD);
	if (!rec)
		return -1;
	struct pf_packet at = *p;
	at.payload_off += piece->offset;
	/* bytes is 1..PF_PAYLOAD_MAX: copy (bytes - 1) masked, plus one, as
	 * capture_dns does, so every verifier sees a non-zero bounded size. */
	u32 n = piece->bytes - 1;
	asm volatile("" : "+r"(n));
	n &= (PF_PAYLOAD_MAX - 1);
	if (copy_payload(skb, &at, n, rec->payload)) {
		count_drop(PF_DROP_PAYLOAD_UNREADABLE);
		bpf_ringbuf_discard(rec, 0);
		return -1;
	}
	fill_wire_tuple(&rec->tuple, p);
	rec->ifindex = skb->ifindex;
	u8 flags = piece->flags;
	rec->stream_offset = 0;
	if (piece->offset_known) {
		rec->stream_offset = piece->stream_offset + piece->offset;
		flags |= PF_PAYLOAD_OFFSET_KNOWN;
	}
	if (piece->cut)
		flags |= PF_PAYLOAD_CUT;
	rec->wire_len = piece->rest;
	rec->payload_len = n + 1;
	rec->flags = flags;
	rec->egress = piece->egress;
	rec->turn = piece->turn;
	__builtin_memset(rec->_pad, 0, sizeof(rec->_pad));
	submit_record(rec);
	return 0;
}

/* A function of its own (a BPF-to-BPF call): inlined, its keys and state
 * would share observe_packet's 512-byte stack frame with the wire map's. */
static __noinline void capture_payload(struct __sk_buff *skb, const struct pf_packet *p,
				       bool egress)
{
	u32 budget = pf_cfg.payload_bytes;
	if (!budget)
		return;
	if (is_dns_port(p->sport) || is_dns_port(p->dport))
		return; /* PF_REC_DNS carries DNS messages whole */
	if (!ports_wanted(p->sport, p->dport))
		return;
	u32 end = p->net_base + p->ip_len;
	u32 len = end > p->payload_off ? end - p->payload_off : 0;
	bool tcp = p->proto == IPPROTO_TCP;
	bool syn = tcp && (p->tcp_flags & PF_TCP_SYN);
	if (!len && !syn)
		return;

	struct pf_payload_key key = {.proto = p->proto};
	u32 dir = make_wire_key(&key.conn, p->family, p->saddr, p->sport, p->daddr, p->dport);
	struct pf_payload_state *s = payload_state(&key, skb->ifindex);
	if (!s)
		return; /* LRU: only when every CPU's free list is empty at once */
	if (syn)
		payload_note_syn(s, p, dir, skb->ifindex);
	if (!len || s->ifindex != skb->ifindex)
		return;
	dir &= 1;
	if (tcp && s->turns[dir] && (s32)(p->seq - s->next_seq[dir]) < 0)
		return; /* a retransmission of bytes already copied */

	u8 flags = 0;
	if (s->last_dir != dir) {
		s->last_dir = dir;
		if (s->turns[dir] >= pf_cfg.payload_turns) {
			s->turn_left[dir] = 0;
			return;
		}
		s->turns[dir]++;
		if (!payload_turn_admitted()) {
			count_drop(PF_DROP_PAYLOAD_RATE);
			s->turn_left[dir] = 0;
			return;
		}
		s->turn_left[dir] = budget;
		flags |= PF_PAYLOAD_TURN_START;
	}
	u32 left = s->turn_left[dir];
	if (!left)
		return;
	u32 take = len < left ? len : left;
	u32 pieces = pf_cfg.payload_pieces;
	if (pieces > PF_PAYLOAD_RECORDS_PER_PACKET)
		pieces = PF_PAYLOAD_RECORDS_PER_PACKET;
	if (take > pieces * PF_PAYLOAD_MAX) {
		/* More than this kernel copies from one packet: the turn ends here,
		 * so its content never skips bytes. */
		take = pieces * PF_PAYLOAD_MAX;
		s->turn_left[dir] = 0;
	} else {
		s->turn_left[dir] = left - take;
	}
	if (tcp)
		s->next_seq[dir] = p->seq + len;
	struct pf_payload_piece piece = {
	    .flags = flags,
	    .egress = egress,
	    .turn = s->turns[dir] - 1,
	    .offset_known = tcp && (s->isn_known & (1 << dir)),
	    .stream_offset = p->seq - s->isn[dir] - 1,
	};
	/* A turn's budget may be larger than a record: the packet's bytes go out
	 * in records of PF_PAYLOAD_MAX, as many as the budget allows. */
	for (u32 i = 0; i < pieces; i++) {
		u32 off = i * PF_PAYLOAD_MAX;
		if (off >= take)
			break;
		u32 n = take - off;
		if (n > PF_PAYLOAD_MAX)
			n = PF_PAYLOAD_MAX;
		piece.offset = off;
		piece.bytes = n;
		piece.cut = off + n == take && take < len;
		piece.rest = len - off;
		if (emit_payload_piece(skb, p, &piece))
			return;
		piece.flags &= ~PF_PAYLOAD_TURN_START;
	}
}

#endif /* PROCFLOW_PAYLOAD_BPF_H */
