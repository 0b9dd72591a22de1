"""The adapter protocol's framing: the runner's side against fakes, the Python loop, and the tinkex script.

The tinkex adapter cannot run here (no Elixir), so a Python fake speaking the same framing stands
in for it, and the ``.exs`` is parsed with tree-sitter-elixir to check it handles every step op.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
import tree_sitter
import tree_sitter_elixir
from conformance_support import ROOT

from tinker_harness.scenarios.adapter_process import AdapterProcess, AdapterProtocolError
from tinker_harness.scenarios.adapters.loop import Unsupported, serve
from tinker_harness.scenarios.protocol import ADAPTER_OPS, StepMessage

HELLO = {"type": "hello", "protocol": 1, "name": "fake", "version": "1.0", "sdk_protocol": "0.38.0", "capabilities": []}
EXS = ROOT / "scenarios" / "adapters" / "tinkex_adapter.exs"


def _fake(tmp_path: Path, body: str) -> AdapterProcess:
    script = tmp_path / "fake.py"
    script.write_text("import json, sys\n" + body)
    return AdapterProcess([sys.executable, str(script)], {}, tmp_path / "stderr.txt").start()


GOOD = f"""print(json.dumps({HELLO!r}), flush=True)
for line in sys.stdin:
    m = json.loads(line)
    if m["type"] == "shutdown":
        break
    result = {{"op": m["op"], "args": m["args"]}}
    print(json.dumps({{"type": "result", "id": m["id"], "ok": True, "result": result}}), flush=True)
"""


def test_a_well_behaved_adapter_round_trips_steps(tmp_path: Path) -> None:
    process = _fake(tmp_path, GOOD)
    try:
        assert process.hello().name == "fake"
        answer = process.request(StepMessage(id=1, op="optim_step", args={"learning_rate": 0.1}), timeout=10)
        assert answer.ok and answer.result == {"op": "optim_step", "args": {"learning_rate": 0.1}}
    finally:
        assert process.stop() == 0


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("print('hello there', flush=True)\n", "not JSON"),
        (f"print(json.dumps({{**{HELLO!r}, 'capabilities': ['flying']}}), flush=True)\n", "unknown capabilities"),
        (f"print(json.dumps({{**{HELLO!r}, 'protocol': 2}}), flush=True)\n", "speaks protocol 2"),
        ("sys.exit(3)\n", "exit status 3"),
    ],
)
def test_a_bad_hello_is_a_protocol_error(tmp_path: Path, body: str, problem: str) -> None:
    process = _fake(tmp_path, body)
    try:
        with pytest.raises(AdapterProtocolError, match=problem):
            process.hello(timeout=10)
    finally:
        process.stop()


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ('{"type": "result", "id": 99, "ok": true, "result": {}}', "answered step 99"),
        ('{"type": "result", "id": 1, "ok": false, "error": {"kind": "teapot"}}', "unknown error kind"),
        ('{"type": "result", "id": 1, "ok": false}', "needs an error"),
        ("not json", "not JSON"),
    ],
)
def test_a_bad_result_is_a_protocol_error(tmp_path: Path, answer: str, problem: str) -> None:
    body = f"print(json.dumps({HELLO!r}), flush=True)\nsys.stdin.readline()\n"
    body += f"print({answer!r}, flush=True)\nsys.stdin.read()\n"
    process = _fake(tmp_path, body)
    try:
        process.hello(timeout=10)
        with pytest.raises(AdapterProtocolError, match=problem):
            process.request(StepMessage(id=1, op="close"), timeout=10)
    finally:
        process.stop()


@pytest.mark.parametrize(
    ("printed", "cause"),
    [
        ("==> semaphore", "build-tool output"),
        ("Compiling 3 files (.ex)", "build-tool output"),
        ("02:51:21.169 [warning] Config base_url (http://127.0.0.1:1) differs", "log output"),
        ("[info] starting", "log output"),
        ("WARNING:root:retrying", "log output"),
        ("hello there", "SDK, logger or build-tool output"),
    ],
)
def test_noise_before_the_hello_is_diagnosed_in_one_line(tmp_path: Path, printed: str, cause: str) -> None:
    body = f"print({printed!r}, flush=True)\nprint(json.dumps({HELLO!r}), flush=True)\nsys.stdin.read()\n"
    process = _fake(tmp_path, body)
    try:
        with pytest.raises(AdapterProtocolError) as caught:
            process.hello(timeout=10)
    finally:
        process.stop()
    message = str(caught.value)
    assert "\n" not in message and repr(printed) in message
    assert "before its hello line" in message and "stdout must carry protocol lines only" in message
    assert f"this looks like {cause}" in message


def test_noise_after_the_hello_names_its_likely_cause(tmp_path: Path) -> None:
    body = f"print(json.dumps({HELLO!r}), flush=True)\nsys.stdin.readline()\n"
    body += "print('10:00:00.001 [error] Task terminating', flush=True)\nsys.stdin.read()\n"
    process = _fake(tmp_path, body)
    try:
        process.hello(timeout=10)
        with pytest.raises(AdapterProtocolError, match=r"not JSON: .*this looks like log output"):
            process.request(StepMessage(id=1, op="close"), timeout=10)
    finally:
        process.stop()


def test_a_silent_adapter_times_out(tmp_path: Path) -> None:
    process = _fake(tmp_path, f"print(json.dumps({HELLO!r}), flush=True)\nimport time; time.sleep(30)\n")
    try:
        process.hello(timeout=10)
        with pytest.raises(AdapterProtocolError, match="no answer to the result of step 1"):
            process.request(StepMessage(id=1, op="close"), timeout=0.5)
    finally:
        process.stop(timeout=1)


class _Driver:
    def hello(self) -> dict[str, Any]:
        return {"name": "d", "version": "1", "sdk_protocol": "0.38.0", "capabilities": ["pipelining"]}

    def start(self, op: str, args: dict[str, Any], name: str | None) -> Any:
        if op == "sample":
            raise Unsupported("no sampler")
        if op == "optim_step":
            raise ValueError("bad learning rate")
        return lambda: {"op": op}

    def error_of(self, exc: BaseException) -> dict[str, Any]:
        return {"kind": "invalid_argument", "message": str(exc)}


def test_the_python_loop_answers_in_order_with_pending_steps() -> None:
    steps = [
        {"type": "step", "id": 1, "op": "forward", "args": {}, "as": "fb", "await": False},
        {"type": "step", "id": 2, "op": "optim_step", "args": {}},
        {"type": "step", "id": 3, "op": "await", "args": {"ref": "fb"}},
        {"type": "step", "id": 4, "op": "sample", "args": {}},
        {"type": "shutdown"},
        {"type": "step", "id": 5, "op": "never", "args": {}},
    ]
    out = io.StringIO()
    assert serve(_Driver(), io.StringIO("".join(json.dumps(s) + "\n" for s in steps)), out) == 0
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[0]["type"] == "hello" and lines[0]["protocol"] == 1
    assert [m["id"] for m in lines[1:]] == [1, 2, 3, 4]
    assert lines[1]["result"] == {"pending": True}
    assert lines[2]["error"] == {"kind": "invalid_argument", "message": "bad learning rate"}
    assert lines[3]["result"] == {"op": "forward"}
    assert lines[4]["error"]["kind"] == "unsupported"


def _op_clauses(source: bytes) -> tuple[set[str], bool]:
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_elixir.language()))
    tree = parser.parse(source)
    ops: set[str] = set()
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        target = node.child_by_field_name("target")
        if node.type != "call" or target is None or source[target.start_byte : target.end_byte] != b"defp":
            continue
        head = node.children[1].children[0] if len(node.children) > 1 and node.children[1].children else None
        if head is None or head.type != "call":
            continue
        name = head.child_by_field_name("target")
        arguments = head.children[1] if len(head.children) > 1 else None
        if name is None or source[name.start_byte : name.end_byte] != b"op" or arguments is None:
            continue
        first = next((c for c in arguments.children if c.is_named), None)
        if first is not None and first.type == "string":
            ops.add(source[first.start_byte + 1 : first.end_byte - 1].decode())
    return ops, tree.root_node.has_error


def test_the_tinkex_script_parses_and_has_a_clause_for_every_op() -> None:
    ops, broken = _op_clauses(EXS.read_bytes())
    assert not broken, "tinkex_adapter.exs does not parse as Elixir"
    assert set(ADAPTER_OPS) <= ops, sorted(set(ADAPTER_OPS) - ops)


def test_the_op_finder_notices_a_missing_clause() -> None:
    source = EXS.read_bytes().replace(b'defp op("list_sessions"', b'defp op_gone("list_sessions"')
    ops, _ = _op_clauses(source)
    assert "list_sessions" not in ops
