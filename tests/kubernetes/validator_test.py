#!/usr/bin/env python3
"""The manifest validator rejects what the API server would refuse or silently drop.

Each case takes the real rendered manifests (PROCFLOW_K8S_RENDERED, from
`kubectl kustomize deploy/kubernetes`), breaks one thing, and checks that the
validator names exactly that path and problem; the unbroken objects must pass.
PROCFLOW_K8S_OPENAPI is the Kubernetes API's swagger.json.

    PROCFLOW_K8S_OPENAPI=... PROCFLOW_K8S_RENDERED=... python3 -m unittest validator_test
"""

import copy
import os
import unittest

import yaml

import validate_manifests as vm


def load():
    schema = vm.Schema(os.environ["PROCFLOW_K8S_OPENAPI"])
    with open(os.environ["PROCFLOW_K8S_RENDERED"], encoding="utf-8") as f:
        objects = [doc for doc in yaml.safe_load_all(f) if doc]
    return schema, {obj["kind"]: obj for obj in objects}


class ValidatorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.schema, cls.objects = load()

    def daemonset(self):
        return copy.deepcopy(self.objects["DaemonSet"])

    def container(self, ds):
        return ds["spec"]["template"]["spec"]["containers"][0]

    def assertProblems(self, obj, expected):
        self.assertEqual(sorted(vm.validate_object(self.schema, obj)), sorted(expected))

    def test_the_rendered_objects_are_valid(self):
        self.assertEqual(sorted(self.objects), ["ConfigMap", "DaemonSet", "Namespace", "ServiceAccount"])
        for obj in self.objects.values():
            self.assertProblems(obj, [])

    def test_unknown_field_is_rejected(self):
        ds = self.daemonset()
        self.container(ds)["securityContext"]["priviledged"] = True
        problems = vm.validate_object(self.schema, ds)
        self.assertEqual(len(problems), 1)
        self.assertTrue(problems[0].startswith(
            "spec.template.spec.containers[0].securityContext.priviledged: unknown field; expected one of: "))
        self.assertIn("privileged", problems[0])

    def test_unknown_top_level_field_is_rejected(self):
        ds = self.daemonset()
        ds["spec"]["updateStrategy"]["rollingUpdate"]["maxSurgeCount"] = 1
        self.assertEqual(len(vm.validate_object(self.schema, ds)), 1)
        self.assertTrue(vm.validate_object(self.schema, ds)[0].startswith(
            "spec.updateStrategy.rollingUpdate.maxSurgeCount: unknown field"))

    def test_wrong_types_are_rejected(self):
        ds = self.daemonset()
        ds["spec"]["template"]["spec"]["hostPID"] = "yes please"
        ds["metadata"]["labels"]["tier"] = 7
        self.container(ds)["ports"][0]["containerPort"] = 2**31
        self.container(ds)["livenessProbe"]["httpGet"]["port"] = [9469]
        self.assertProblems(ds, [
            'metadata.labels.tier: expected string, got integer 7',
            'spec.template.spec.hostPID: expected boolean, got string "yes please"',
            "spec.template.spec.containers[0].ports[0].containerPort: 2147483648 is out of the range of int32",
            "spec.template.spec.containers[0].livenessProbe.httpGet.port: expected an integer or a string, got array",
        ])

    def test_missing_required_fields_are_rejected(self):
        ds = self.daemonset()
        del ds["spec"]["selector"]
        del self.container(ds)["name"]
        del ds["spec"]["template"]["spec"]["volumes"][1]["hostPath"]["path"]
        self.assertProblems(ds, [
            "spec.selector: required field missing",
            "spec.template.spec.containers[0].name: required field missing",
            "spec.template.spec.volumes[1].hostPath.path: required field missing",
        ])

    def test_an_object_without_a_name_is_rejected(self):
        cm = copy.deepcopy(self.objects["ConfigMap"])
        del cm["metadata"]["name"]
        self.assertProblems(cm, ["metadata.name: required field missing"])

    def test_an_unknown_kind_is_rejected(self):
        ds = self.daemonset()
        ds["apiVersion"] = "apps/v9"
        self.assertEqual(vm.validate_object(self.schema, ds), [
            f"(top): no definition for apiVersion apps/v9 kind DaemonSet in the Kubernetes {self.schema.version} API"])

    def test_int_or_string_and_quantities_take_both_forms(self):
        ds = self.daemonset()
        self.container(ds)["livenessProbe"]["httpGet"]["port"] = 9469
        self.container(ds)["resources"]["limits"]["cpu"] = 2
        self.container(ds)["resources"]["requests"]["cpu"] = 0.5
        self.assertProblems(ds, [])
        self.container(ds)["resources"]["limits"]["memory"] = {"Gi": 1}
        self.assertProblems(ds, [
            "spec.template.spec.containers[0].resources.limits.memory: expected a quantity (string or number), got object"])


if __name__ == "__main__":
    unittest.main()
