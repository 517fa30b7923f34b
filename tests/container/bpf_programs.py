#!/usr/bin/env python3
"""procflow's BPF programs in the kernel (bpftool's list), for the leftover check.

    bpf_programs.py max-id        the highest program id now
    bpf_programs.py since ID      procflow's programs ("pf_*") loaded after ID, if any

A program that outlives the tracer's stop is held by something in the kernel: a TC
filter or tcx link left on an interface, or a pinned object.
"""

import json
import subprocess
import sys

PREFIX = "pf_"  # every program procflow loads is named pf_*


def programs():
    out = subprocess.run(["bpftool", "--json", "prog", "show"], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    command = sys.argv[1]
    if command == "max-id":
        print(max((p["id"] for p in programs()), default=0))
    elif command == "since":
        after = int(sys.argv[2])
        left = [f"{p['id']}:{p.get('name', '')}" for p in programs()
                if p["id"] > after and p.get("name", "").startswith(PREFIX)]
        print(" ".join(left))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
