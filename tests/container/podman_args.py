#!/usr/bin/env python3
"""The `podman run` options that run a container the way the rendered DaemonSet's pod does:
its host namespaces, its privileges (privileged, or the capability list), its environment
(the downward API's node name) and its mounts (hostPath and the ConfigMap volume), read
from the manifest itself so that the test runs what the manifest says.

    podman_args.py RENDERED.yaml --node-name NAME --config-dir DIR [--host-path FROM=TO ...]

--host-path redirects a hostPath the test must not touch on a shared machine (the real
/var/log/pods, /run/procflow) to a directory of the test's own. Prints one option per line.
"""

import argparse

import yaml


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("rendered")
    parser.add_argument("--node-name", required=True)
    parser.add_argument("--config-dir", required=True)
    parser.add_argument("--host-path", action="append", default=[], metavar="FROM=TO")
    args = parser.parse_args()
    redirect = dict(item.split("=", 1) for item in args.host_path)

    with open(args.rendered, encoding="utf-8") as f:
        (ds,) = [o for o in yaml.safe_load_all(f) if o and o["kind"] == "DaemonSet"]
    pod = ds["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    options = []

    if pod.get("hostPID"):
        options.append("--pid=host")
    if pod.get("hostNetwork"):
        options.append("--network=host")
    # The pod spec has no field for it: podman's default on cgroup v2 is a private cgroup
    # namespace, where other processes' /proc/PID/cgroup paths are relative; the host's, as
    # on a cgroup v1 node, gives them from the root.
    options.append("--cgroupns=host")

    context = container.get("securityContext", {})
    if context.get("privileged"):
        options.append("--privileged")
    else:
        capabilities = context.get("capabilities", {})
        options += [f"--cap-drop={c}" for c in capabilities.get("drop", [])]
        options += [f"--cap-add={c}" for c in capabilities.get("add", [])]

    for env in container.get("env", []):
        field = env.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
        if field == "spec.nodeName":
            options.append(f"--env={env['name']}={args.node_name}")
        elif "value" in env:
            options.append(f"--env={env['name']}={env['value']}")
        else:
            raise SystemExit(f"podman_args: env {env['name']}: only spec.nodeName and values are known")

    volumes = {v["name"]: v for v in pod["volumes"]}
    for mount in container["volumeMounts"]:
        volume = volumes[mount["name"]]
        if "hostPath" in volume:
            source = redirect.get(volume["hostPath"]["path"], volume["hostPath"]["path"])
        elif "configMap" in volume:
            source = args.config_dir
        else:
            raise SystemExit(f"podman_args: volume {mount['name']}: only hostPath and configMap are known")
        suffix = ":ro" if mount.get("readOnly") else ""
        options.append(f"--volume={source}:{mount['mountPath']}{suffix}")

    print("\n".join(options))


if __name__ == "__main__":
    main()
