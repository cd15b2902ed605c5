"""Seed rocrate-validator's HTTP cache with the bundled JSON-LD contexts, so it runs offline.

rocrate-validator fetches the contexts a crate names through a requests_cache session; here
the same kind of session is built over the same cache file, with a transport adapter that
answers from context/ instead of the network. Usage: seed_rocv_cache.py CACHE_PATH CONTEXT_DIR
"""
import io
import sys
from pathlib import Path

import requests
from requests.adapters import BaseAdapter
from requests_cache import CachedSession
from urllib3 import HTTPResponse

CONTEXTS = {
    "w3id.org/ro/crate/1.1/context": "ro-crate-1.1.jsonld",
    "w3id.org/ro/crate/1.2/context": "ro-crate-1.2.jsonld",
    "w3id.org/ro/crate/1.3/context": "ro-crate-1.3.jsonld",
    "w3id.org/ro/terms/workflow-run/context": "ro-terms-workflow-run.jsonld",
    "w3id.org/ro/terms/workflow-run": "ro-terms-workflow-run.jsonld",
    "w3id.org/ro/terms/sapporo": "ro-terms-sapporo.jsonld",
}


class LocalContexts(BaseAdapter):
    def __init__(self, directory):
        super().__init__()
        self.directory = Path(directory)

    def send(self, request, **kwargs):
        response = requests.Response()
        response.url = request.url
        response.request = request
        key = request.url.split("://", 1)[1].removesuffix(".jsonld")
        name = CONTEXTS.get(key)
        status, body = (404, b"") if name is None else (200, (self.directory / name).read_bytes())
        headers = {"Content-Type": "application/ld+json"}
        response.status_code = status
        response.headers.update(headers)
        response.raw = HTTPResponse(
            body=io.BytesIO(body),
            headers=headers,
            status=status,
            preload_content=False,
            request_url=request.url,
        )
        response._content = body
        return response

    def close(self):
        pass


def main():
    cache_path, context_dir = sys.argv[1], sys.argv[2]
    session = CachedSession(
        cache_name=cache_path,
        backend="sqlite",
        expire_after=-1,
        allowable_methods=("GET",),
        allowable_codes=(200, 302, 404),
    )
    adapter = LocalContexts(context_dir)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    for key in CONTEXTS:
        for scheme in ("https", "http"):
            for suffix in ("", ".jsonld"):
                url = f"{scheme}://{key}{suffix}"
                response = session.get(url)
                if response.status_code != 200:
                    sys.exit(f"could not seed {url}")
    session.close()


if __name__ == "__main__":
    main()
