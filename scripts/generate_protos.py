"""Regenerate the Python bindings of contracts/proto/*.proto with protoc from grpcio-tools.

Usage: python scripts/generate_protos.py [--check]

With --check nothing is written; the exit status is 1 when the committed bindings differ from
what protoc produces now (the test suite runs the same comparison).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

PROTO_DIR = Path(__file__).resolve().parent.parent / "contracts" / "proto"
OUTPUTS = ("tinker_public_pb2.py", "tinker_public_pb2.pyi")


def generate(out_dir: Path) -> None:
    """Run protoc on every .proto file in contracts/proto, writing .py and .pyi into out_dir."""
    from grpc_tools import protoc

    protos = sorted(p.name for p in PROTO_DIR.glob("*.proto"))
    args = ["protoc", f"-I{PROTO_DIR}", f"--python_out={out_dir}", f"--pyi_out={out_dir}", *protos]
    if protoc.main(args) != 0:
        raise SystemExit(f"protoc failed for {protos}")


def stale_outputs() -> list[str]:
    """Names of committed binding files that differ from a fresh protoc run."""
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp))
        return [
            name
            for name in OUTPUTS
            if not (PROTO_DIR / name).exists() or (Path(tmp) / name).read_bytes() != (PROTO_DIR / name).read_bytes()
        ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare, do not write")
    options = parser.parse_args(argv)
    if options.check:
        stale = stale_outputs()
        for name in stale:
            print(f"stale: contracts/proto/{name}", file=sys.stderr)
        return 1 if stale else 0
    generate(PROTO_DIR)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
