"""Validate BagIt bags with the PyPI `bagit` package (the Library of Congress's bagit.py).

Each argument is a bag directory, or a zip holding one: the zip is unpacked by Python's
zipfile into a temporary directory and its one top-level folder validated, as a recipient
would. Prints one line per argument; exits 1 if any bag is invalid.
Usage: bagit_validate.py PATH...
"""
import sys
import tempfile
import zipfile
from pathlib import Path

import bagit


def validate(path):
    bag = bagit.Bag(str(path))
    bag.validate(completeness_only=False)
    return bag


def main():
    failed = False
    for argument in sys.argv[1:]:
        path = Path(argument)
        try:
            if path.is_dir():
                bag = validate(path)
            else:
                with tempfile.TemporaryDirectory() as unpacked, zipfile.ZipFile(path) as z:
                    z.extractall(unpacked)
                    tops = list(Path(unpacked).iterdir())
                    if len(tops) != 1 or not tops[0].is_dir():
                        raise bagit.BagError(f"the zip holds {len(tops)} top-level entries, not one folder")
                    bag = validate(tops[0])
            print(f"valid {argument} {bag.info.get('Payload-Oxum')}")
        except (bagit.BagError, bagit.BagValidationError) as error:
            failed = True
            print(f"invalid {argument}: {error}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
