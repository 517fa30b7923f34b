#!/usr/bin/env python3
"""Validates Kubernetes manifests offline against the Kubernetes API's own OpenAPI
(swagger 2.0) definitions, strictly: a field the schema does not define is an error
(the API server would drop it silently, so a typo would go unnoticed), as are a wrong
type, an int32 out of range and a missing required field.

    validate_manifests.py --schema swagger.json FILE... ('-' reads stdin)

Every YAML document of every file is one object; its apiVersion and kind pick the
definition (x-kubernetes-group-version-kind). Prints each problem as
FILE: KIND NAME: PATH: PROBLEM and exits 1 if there was any, else prints one line per
object and exits 0.
"""

import argparse
import json
import sys

import yaml

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
# The API publishes a Quantity ("100m", "1Gi") as a string, but its decoder takes a
# plain number too ("cpu: 1"), as kubectl and the API server do.
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"


class Schema:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        self.version = doc.get("info", {}).get("version", "?")
        self.definitions = doc["definitions"]
        self.by_kind = {}
        for name, definition in self.definitions.items():
            for gvk in definition.get("x-kubernetes-group-version-kind", []):
                group, version = gvk.get("group", ""), gvk["version"]
                api_version = f"{group}/{version}" if group else version
                self.by_kind[(api_version, gvk["kind"])] = name

    def resolve(self, ref):
        prefix = "#/definitions/"
        if not ref.startswith(prefix):
            raise ValueError(f"unsupported $ref {ref}")
        name = ref[len(prefix):]
        return name, self.definitions[name]


def type_name(value):
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null" if value is None else type(value).__name__


def join(path, key):
    return f"{path}.{key}" if path else str(key)


class Validator:
    def __init__(self, schema):
        self.schema = schema
        self.problems = []

    def problem(self, path, text):
        self.problems.append(f"{path or '(top)'}: {text}")

    def check(self, value, node, path, definition=None):
        if "$ref" in node:
            name, target = self.schema.resolve(node["$ref"])
            return self.check(value, target, path, name)
        if definition == QUANTITY:
            if type_name(value) not in ("string", "integer", "number"):
                self.problem(path, f"expected a quantity (string or number), got {type_name(value)}")
            return
        # Many definitions leave out "type": "object" and only list their properties.
        expected = node.get("type") or ("object" if "properties" in node else None)
        actual = type_name(value)
        if node.get("format") == "int-or-string":
            if actual not in ("integer", "string"):
                self.problem(path, f"expected an integer or a string, got {actual}")
            return
        if expected is None:
            return  # free-form (RawExtension and the like): anything goes
        if expected == "number" and actual == "integer":
            actual = "number"
        if actual != expected:
            self.problem(path, f"expected {expected}, got {actual} {json.dumps(value)[:40]}")
            return
        if expected == "integer":
            low, high = INT32 if node.get("format") == "int32" else INT64
            if not low <= value <= high:
                self.problem(path, f"{value} is out of the range of {node.get('format', 'int64')}")
        elif expected == "array":
            for i, item in enumerate(value):
                self.check(item, node.get("items", {}), f"{path}[{i}]")
        elif expected == "object":
            self.check_object(value, node, path)

    def check_object(self, value, node, path):
        properties = node.get("properties")
        additional = node.get("additionalProperties")
        for key in node.get("required", []):
            if key not in value:
                self.problem(join(path, key), "required field missing")
        for key, item in value.items():
            if properties is not None and key in properties:
                self.check(item, properties[key], join(path, key))
            elif isinstance(additional, dict):
                self.check(item, additional, join(path, key))
            elif properties is not None and additional is not True:
                self.problem(join(path, key), f"unknown field; expected one of: {', '.join(sorted(properties))}")


def validate_object(schema, obj):
    """The problems of one manifest object (an empty list when it is valid)."""
    if not isinstance(obj, dict):
        return [f"(top): expected an object, got {type_name(obj)}"]
    key = (obj.get("apiVersion"), obj.get("kind"))
    name = schema.by_kind.get(key)
    if name is None:
        return [f"(top): no definition for apiVersion {key[0]} kind {key[1]} in the Kubernetes {schema.version} API"]
    validator = Validator(schema)
    validator.check(obj, schema.definitions[name], "", name)
    if not obj.get("metadata", {}).get("name"):
        validator.problem("metadata.name", "required field missing")
    return validator.problems


def read_documents(path):
    text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
    return [doc for doc in yaml.safe_load_all(text) if doc is not None]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schema", required=True, help="the Kubernetes API's swagger.json")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    schema = Schema(args.schema)
    failed = False
    for path in args.files:
        documents = read_documents(path)
        if not documents:
            print(f"{path}: no objects", file=sys.stderr)
            failed = True
        for obj in documents:
            label = f"{obj.get('kind', '?')} {obj.get('metadata', {}).get('name', '?')}" if isinstance(obj, dict) else "?"
            problems = validate_object(schema, obj)
            for p in problems:
                print(f"{path}: {label}: {p}", file=sys.stderr)
            if problems:
                failed = True
            else:
                print(f"{path}: {label}: valid (Kubernetes {schema.version} API)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
