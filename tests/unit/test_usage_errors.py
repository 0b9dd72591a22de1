"""Misuse rendered as one line, output paths checked before a run, JSON depth bounded."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from tinker_harness.contracts.request_json import JsonTooDeepError, load_json
from tinker_harness.contracts.usage_errors import (
    UsageError,
    check_output_dir,
    check_output_file,
    describe,
    port_number,
)


class _Model(BaseModel):
    port: int


def test_describe_renders_user_errors_in_one_line_and_leaves_bugs_alone() -> None:
    with pytest.raises(ValidationError) as invalid:
        _Model.model_validate({"port": "x"})
    with pytest.raises(yaml.YAMLError) as bad_yaml:
        yaml.safe_load("a: [\n")
    for exc in (UsageError("a\nb"), invalid.value, bad_yaml.value, FileNotFoundError(2, "No such file", "f.yaml")):
        line = describe(exc)
        assert line is not None and "\n" not in line and "errors.pydantic.dev" not in line
    assert describe(FileNotFoundError(2, "No such file", "f.yaml")) == "f.yaml: No such file"
    assert describe(KeyError("bug")) is None and describe(RuntimeError("bug")) is None


def test_output_checks_create_nothing(tmp_path: Path) -> None:
    check_output_dir(tmp_path / "a" / "b", "--out")
    check_output_file(tmp_path / "f.json", "--output")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="not a directory"):
        check_output_dir(tmp_path / "file", "--out")
    with pytest.raises(UsageError, match="file is not a directory"):
        check_output_dir(tmp_path / "file" / "sub", "--out")
    with pytest.raises(UsageError, match="is a directory"):
        check_output_file(tmp_path, "--output")


def test_port_numbers() -> None:
    assert port_number("0") == 0 and port_number("65535") == 65535
    for bad in ("-1", "65536", "http"):
        with pytest.raises(argparse.ArgumentTypeError):
            port_number(bad)


def test_json_depth_is_bounded_without_recursion() -> None:
    assert load_json(b"[" * 200 + b"]" * 200) is not None
    for deep in (b"[" * 201 + b"]" * 201, b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 300 + b"1" + b"}" * 300):
        with pytest.raises(JsonTooDeepError, match="deeper than 200"):
            load_json(deep)
    with pytest.raises(json.JSONDecodeError):
        load_json(b"{nope")
