"""The tinker_public schema: generated bindings are fresh and wire-identical to the official SDK's (§7)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from google.protobuf import descriptor_pb2
from tinker.proto import tinker_public_pb2 as sdk_pb

from tinker_harness.contracts import tensor_codec as tc
from tinker_harness.contracts.proto import tinker_public_pb2 as pb

ROOT = Path(__file__).resolve().parents[2]


def _file_proto(module: object) -> descriptor_pb2.FileDescriptorProto:
    proto = descriptor_pb2.FileDescriptorProto()
    module.DESCRIPTOR.CopyToProto(proto)  # type: ignore[attr-defined]
    return proto


def test_committed_bindings_match_a_fresh_protoc_run() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_protos.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_schema_is_the_sdk_schema_field_for_field() -> None:
    ours, theirs = _file_proto(pb), _file_proto(sdk_pb)
    assert ours.package == theirs.package == "tinker_public"
    assert ours == theirs


def test_sdk_decodes_what_we_encode() -> None:
    arrays = [np.arange(3, dtype=np.float32), np.arange(5, dtype=np.float32) * -1]
    record = pb.ArrayRecord(type_tag="ArrayRecord", num_datums=2)
    record.fields["logprobs"].CopyFrom(tc.arrays_to_batched(arrays))
    message = pb.ForwardBackwardOutput(
        loss_fn_output_type="ArrayRecord", loss_fn_outputs=[record], metrics={"loss:sum": 1.5}
    )
    decoded = sdk_pb.ForwardBackwardOutput.FromString(message.SerializeToString())
    assert dict(decoded.metrics) == {"loss:sum": 1.5}
    assert [a.tolist() for a in tc.batched_to_arrays(decoded.loss_fn_outputs[0].fields["logprobs"], "x")] == [
        a.tolist() for a in arrays
    ]
