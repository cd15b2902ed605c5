"""Open a crate with ro-crate-py and print what it sees of each File, as JSON.

Usage: rocrate_py_entities.py CRATE_DIR
"""
import json
import sys

from rocrate.rocrate import ROCrate


def main():
    crate = ROCrate(sys.argv[1])
    files = {}
    for entity in crate.data_entities:
        types = entity.type if isinstance(entity.type, list) else [entity.type]
        if "File" in types:
            files[entity.id] = entity.properties()
    print(json.dumps({
        "root": crate.root_dataset.id,
        "name": crate.name,
        "datePublished": crate.root_dataset.get("datePublished"),
        "files": files,
    }))


if __name__ == "__main__":
    main()
