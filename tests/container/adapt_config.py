#!/usr/bin/env python3
"""Prints the config of the rendered ConfigMap (kubectl kustomize deploy/kubernetes), adapted
for a test on a shared machine: TC only on lo, never on the machine's uplink, and the
metrics endpoint on a free loopback port instead of every address's 9469. Everything else
stays as the DaemonSet would run it.

    adapt_config.py RENDERED.yaml METRICS_PORT > procflow.yaml
"""

import sys

import yaml


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        (config_map,) = [o for o in yaml.safe_load_all(f) if o and o["kind"] == "ConfigMap"]
    config = yaml.safe_load(config_map["data"]["procflow.yaml"])
    config["interfaces"] = ["lo"]
    config["metrics"]["address"] = f"127.0.0.1:{int(sys.argv[2])}"
    yaml.safe_dump(config, sys.stdout, sort_keys=False)


if __name__ == "__main__":
    main()
