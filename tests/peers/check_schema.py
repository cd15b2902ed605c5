"""Validate JSON documents against a JSON Schema; prints one line per document: ok or the error.

Usage: check_schema.py SCHEMA DOCUMENT...
"""
import json
import sys

from jsonschema import Draft202012Validator


def main():
    schema = json.load(open(sys.argv[1], encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    for path in sys.argv[2:]:
        document = json.load(open(path, encoding="utf-8"))
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
        print("ok" if not errors else f"invalid: {errors[0].message}")


if __name__ == "__main__":
    main()
