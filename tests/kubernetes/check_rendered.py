#!/usr/bin/env python3
"""What the rendered manifests must hold beyond the API schema: the DaemonSet a node
needs (host namespaces, mounts, probes, node name, tolerations), a config that agrees
with the mounts and ports, and a least-privilege variant that differs from the
privileged one only in its capabilities, which are the systemd unit's.

    check_rendered.py BASE_CONFIG PRIVILEGED.yaml LEAST_PRIVILEGE.yaml
"""

import copy
import os
import sys

import yaml

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
failures = []


def expect(condition, text):
    if not condition:
        failures.append(text)


def objects_of(path):
    with open(path, encoding="utf-8") as f:
        return {obj["kind"]: obj for obj in yaml.safe_load_all(f) if obj}


def unit_capabilities():
    """The systemd unit's CapabilityBoundingSet, in Kubernetes' spelling (no CAP_)."""
    with open(os.path.join(REPO, "systemd", "procflow.service"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("CapabilityBoundingSet="):
                return [c.removeprefix("CAP_") for c in line.split("=", 1)[1].split()]
    raise SystemExit("no CapabilityBoundingSet in systemd/procflow.service")


def check_privileged(objects, base_config_text):
    expect(sorted(objects) == ["ConfigMap", "DaemonSet", "Namespace", "ServiceAccount"],
           f"objects: {sorted(objects)}")
    for kind in ("ConfigMap", "DaemonSet", "ServiceAccount"):
        expect(objects[kind]["metadata"].get("namespace") == "procflow", f"{kind} not in namespace procflow")
    config_map = objects["ConfigMap"]
    expect(config_map["data"]["procflow.yaml"] == base_config_text,
           "the ConfigMap's procflow.yaml differs from deploy/kubernetes/base/procflow.yaml")
    config = yaml.safe_load(base_config_text)

    ds = objects["DaemonSet"]
    pod = ds["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    expect(ds["spec"]["updateStrategy"]["type"] == "RollingUpdate", "not RollingUpdate")
    expect(pod.get("hostPID") is True and pod.get("hostNetwork") is True, "hostPID/hostNetwork not set")
    expect(pod.get("tolerations") == [{"operator": "Exists"}], "does not tolerate every taint")
    expect(pod.get("serviceAccountName") == objects["ServiceAccount"]["metadata"]["name"], "service account")
    expect({"name": "PROCFLOW_NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}
           in container.get("env", []), "PROCFLOW_NODE_NAME is not the downward API's spec.nodeName")
    expect(container["securityContext"] == {"privileged": True}, "the base is not privileged")
    for part in ("requests", "limits"):
        expect(set(container["resources"].get(part, {})) == {"cpu", "memory"}, f"resources.{part}")

    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    expect(volumes[mounts["/etc/procflow"]["name"]]["configMap"]["name"] == config_map["metadata"]["name"],
           "the config volume does not name the generated ConfigMap")
    # host path -> (mount path in the container, read-only)
    wanted = {
        "/sys/kernel/btf": ("/sys/kernel/btf", True),
        "/sys/fs/bpf": ("/sys/fs/bpf", False),
        "/sys/kernel/tracing": ("/sys/kernel/tracing", False),
        "/sys/fs/cgroup": ("/sys/fs/cgroup", True),
        "/proc": (config["host_proc"], True),
        "/var/log/pods": (config["kubernetes"]["pod_log_dir"], True),
        # next to pod_log_dir, where procflow looks for the kubelet's container links
        "/var/log/containers": (config["kubernetes"]["pod_log_dir"].rsplit("/", 1)[0] + "/containers", True),
        "/run/procflow": ("/run/procflow", False),
    }
    for host_path, (mount_path, read_only) in wanted.items():
        mount = mounts.get(mount_path)
        expect(mount is not None, f"nothing mounted at {mount_path}")
        if mount:
            volume = volumes[mount["name"]]
            expect(volume.get("hostPath", {}).get("path") == host_path, f"{mount_path} is not the host's {host_path}")
            expect(bool(mount.get("readOnly")) == read_only, f"{mount_path} readOnly should be {read_only}")

    port = int(config["metrics"]["address"].rsplit(":", 1)[1])
    (named,) = [p for p in container["ports"] if p["name"] == "metrics"]
    expect(named["containerPort"] == port, "the metrics port differs from the config's metrics.address")
    expect(container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}, "liveness probe")
    expect(container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}, "readiness probe")


def check_least_privilege(privileged, least):
    lp_container = least["DaemonSet"]["spec"]["template"]["spec"]["containers"][0]
    context = lp_container["securityContext"]
    expect(context.get("privileged") is False, "least-privilege: privileged is not false")
    expect(context.get("capabilities", {}).get("drop") == ["ALL"], "least-privilege: does not drop ALL")
    expect(context.get("capabilities", {}).get("add") == unit_capabilities(),
           f"least-privilege: adds {context.get('capabilities', {}).get('add')}, "
           f"the systemd unit's bounding set is {unit_capabilities()}")
    # Everything else is the same.
    a, b = copy.deepcopy(privileged), copy.deepcopy(least)
    for objs in (a, b):
        del objs["DaemonSet"]["spec"]["template"]["spec"]["containers"][0]["securityContext"]
    expect(a == b, "least-privilege differs from the privileged variant in more than the securityContext")


def main():
    base_config, privileged_path, least_path = sys.argv[1:4]
    with open(base_config, encoding="utf-8") as f:
        base_config_text = f.read()
    privileged = objects_of(privileged_path)
    check_privileged(privileged, base_config_text)
    check_least_privilege(privileged, objects_of(least_path))
    for failure in failures:
        print(f"check_rendered: {failure}", file=sys.stderr)
    if not failures:
        print("check_rendered: both variants hold what a node needs; they differ only in privileges")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
