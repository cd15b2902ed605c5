"""Turn ro-crate-metadata.json into N-Quads with PyLD, an independent JSON-LD processor.

Contexts are served from the bundled context/ directory; any other URL is an error, so the
conversion never touches the network. Usage: pyld_to_nquads.py METADATA BASE CONTEXT_DIR
"""
import json
import sys
from pathlib import Path

from pyld import jsonld

CONTEXTS = {
    "https://w3id.org/ro/crate/1.1/context": "ro-crate-1.1.jsonld",
    "https://w3id.org/ro/crate/1.2/context": "ro-crate-1.2.jsonld",
    "https://w3id.org/ro/crate/1.3/context": "ro-crate-1.3.jsonld",
}


def main():
    metadata, base, context_dir = sys.argv[1], sys.argv[2], Path(sys.argv[3])

    def loader(url, options=None):
        name = CONTEXTS.get(url)
        if name is None:
            raise jsonld.JsonLdError(f"refusing to fetch {url}", "loading document failed")
        return {
            "contextUrl": None,
            "documentUrl": url,
            "document": json.loads((context_dir / name).read_text(encoding="utf-8")),
        }

    document = json.loads(Path(metadata).read_text(encoding="utf-8"))
    nquads = jsonld.to_rdf(
        document,
        {"base": base, "format": "application/n-quads", "documentLoader": loader},
    )
    sys.stdout.write(nquads)


if __name__ == "__main__":
    main()
