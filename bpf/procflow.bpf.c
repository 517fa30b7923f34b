// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * procflow's kernel side: one object, every program, one ring buffer.
 *
 * The object carries several programs per need (fentry, kprobe, tracepoint
 * for connect; fexit, kretprobe, syscall tracepoint, send/recv tracepoints for
 * accept; tp_btf and tracepoint twins for state changes and process events).
 * The loader (src/bpf/attach_plan.cpp) probes the kernel and switches off
 * every program it will not attach before load, so a missing hook is never
 * fatal. See docs/attach-plan.md.
 *
 *  process.bpf.h  exec/fork/exit  -> process cache in userspace
 *  tcp.bpf.h      socket lifecycle, owners, counters at close
 *  udp.bpf.h      UDP flows per (socket, peer): peers from cgroup hooks
 *  socket_use.bpf.h  send/recv tracepoints: TCP owners, UDP datagrams
 *  tc.bpf.h       per-connection packets and TCP flags on the wire, DNS messages
 *  existing.bpf.h TCP sockets that existed before procflow started (iter/tcp)
 *  flow_filter.bpf.h  --pid/--port where a flow starts (used by the above)
 *  tls.bpf.h      OpenSSL plaintext: uprobes on SSL_write/SSL_read (+ _ex)
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "maps.bpf.h"
#include "process.bpf.h"
#include "tcp.bpf.h"
#include "udp.bpf.h"
#include "socket_use.bpf.h"
#include "tc.bpf.h"
#include "existing.bpf.h"
#include "tls.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";
