"""Driver for the legacy archive flow, run by the interpreter of a ``tinker==0.30.4`` environment.

Usage: ``python archive_0_30.py BASE_URL API_KEY TINKER_PATH MODE`` with MODE ``download`` (get the
archive URL through the official SDK, then download it as the 0.30 CLI does: plain urllib, no
credentials) or ``wait`` (print the URL, wait for a line on stdin, then download it and a tampered
copy of it). Prints one JSON object per step. Never imports the harness: it is a separate world.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import tarfile
import urllib.error
import urllib.request
from typing import Any

import tinker


def fetch(url: str) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            data = response.read()
            length = response.headers.get("Content-Length")
    except urllib.error.HTTPError as error:
        return {"status": error.code, "body": json.loads(error.read())}
    members = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
        for member in tar.getmembers():
            content = tar.extractfile(member)
            members[member.name] = hashlib.sha256(content.read() if content else b"").hexdigest()
    return {"status": 200, "content_length": length, "bytes": len(data), "members": members}


def tampered(url: str) -> str:
    head, signature = url.rsplit("signature=", 1)
    return f"{head}signature={'0' if signature[0] != '0' else '1'}{signature[1:]}"


def main() -> None:
    base_url, api_key, path, mode = sys.argv[1:5]
    rest = tinker.ServiceClient(base_url=base_url, api_key=api_key).create_rest_client()
    answer = rest.get_checkpoint_archive_url_from_tinker_path(path).result()
    print(json.dumps({"url": answer.url, "expires": answer.expires.isoformat()}), flush=True)
    if mode == "wait":
        sys.stdin.readline()
        print(json.dumps({"download": fetch(answer.url), "tampered": fetch(tampered(answer.url))}), flush=True)
    else:
        print(json.dumps({"download": fetch(answer.url)}), flush=True)


if __name__ == "__main__":
    main()
