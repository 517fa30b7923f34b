#!/bin/sh
# /init of the kernel-matrix guest: tests/vm/run-matrix.sh packs this file, a
# static busybox, procflow, the helper programs, vm_check and their shared
# libraries into an initramfs, and appends the kernel's own modules.
#
# It mounts what procflow needs, loads the TC and veth modules, runs the in-VM
# suite for the scenarios named on the kernel command line
# (procflow.scenarios=preferred,kprobe,...), prints "@@DONE rc=N" and powers
# off. qemu exits 0 whatever happened, so the host judges by that marker.
# procflow.scenarios=none skips the suite; procflow.shell=1 opens a shell.
PATH=/bin
export PATH

uptime_s() { cut -d' ' -f1 /proc/uptime; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t bpf bpf /sys/fs/bpf
mount -t debugfs debugfs /sys/kernel/debug
# tracefs has its own mount point since 4.1; debugfs/tracing is the fallback.
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null ||
	echo "@@WARN tracefs not mounted at /sys/kernel/tracing"
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null ||
	echo "@@WARN cgroup2 not mounted"

echo "@@INIT uptime=$(uptime_s) kernel=$(uname -r)"
hostname procflow-vm
ip link set lo up

# TC (sch_ingress for clsact, cls_bpf) and veth, dependencies first.
if [ -f /modules/load.list ]; then
	# shellcheck disable=SC2013 # one module name per word
	for m in $(cat /modules/load.list); do
		insmod "/modules/$m.ko" || echo "@@WARN insmod $m failed"
	done
fi

scenarios=preferred
shell=""
# shellcheck disable=SC2013 # one parameter per word
for word in $(cat /proc/cmdline); do
	case "$word" in
	procflow.scenarios=*) scenarios=$(echo "${word#procflow.scenarios=}" | tr ',' ' ') ;;
	procflow.shell=1) shell=1 ;;
	esac
done

rc=0
if [ "$scenarios" != none ]; then
	echo "@@SUITE start uptime=$(uptime_s) scenarios=$scenarios"
	# shellcheck disable=SC2086 # one argument per scenario
	/opt/procflow/bin/vm_check --procflow /opt/procflow/bin/procflow \
		--helpers /opt/procflow/helpers $scenarios
	rc=$?
	if [ "$rc" != 0 ]; then
		echo "---- kernel messages (BPF, warnings) ----"
		dmesg | grep -i -E 'bpf|btf|verif|warn|bug|oops' | tail -n 40
	fi
fi
echo "@@DONE rc=$rc uptime=$(uptime_s)"
# By hand (procflow.shell=1 on the kernel command line): a shell on the
# serial console before powering off; leave it with "exit".
if [ -n "$shell" ]; then
	PS1='procflow-vm# ' setsid cttyhack sh
fi
sync
poweroff -f
