"""``tinker-harness serve``, ``tinker-harness offline-assets`` and ``tinker-harness openapi``."""

from __future__ import annotations

import argparse
import ipaddress
import json
import secrets
import sys
from pathlib import Path
from typing import Any

from tinker_harness.contracts.usage_errors import UsageError, check_output_file, port_number, validation_line

__all__ = ["DEFAULT_API_KEY", "register"]

DEFAULT_API_KEY = "tml-tinker-harness-local"


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _serve(options: argparse.Namespace) -> int:
    if options.replay is not None:  # serve a cassette's answers instead of the mock (mock_server.recording)
        from tinker_harness.mock_server.recording.commands import serve_replay

        return serve_replay(options)
    if options.replay_latency is not None:
        print("tinker-harness serve: --replay-latency needs --replay CASSETTE", file=sys.stderr)
        return 2
    from pydantic import ValidationError

    from tinker_harness.mock_server.app import MockServer
    from tinker_harness.mock_server.config import ServerConfig, load_config_file
    from tinker_harness.mock_server.faults.plan import FaultPlan
    from tinker_harness.mock_server.runner import bind_socket, serve_forever

    overrides = {
        k: v
        for k, v in (
            ("host", options.host),
            ("port", options.port),
            ("seed", options.seed),
            ("journal_path", options.journal),
            ("control_token", options.control_token),
            ("tokenizers", options.tokenizers),
            ("accept_any_base_model", options.accept_any_base_model or None),
        )
        if v is not None
    }
    if options.api_keys_file is not None:  # only these keys are accepted (protocol reference §12)
        from tinker_harness.mock_server.auth import load_api_keys_file

        try:
            overrides["api_keys"] = load_api_keys_file(options.api_keys_file)
        except (OSError, ValueError) as exc:
            print(f"tinker-harness serve: --api-keys-file: {exc}", file=sys.stderr)
            return 2
    if options.completion_plan is not None:
        from tinker_harness.mock_server.completion_plan import load_completion_plan

        try:
            overrides["completion_plan"] = load_completion_plan(options.completion_plan)
        except ValueError as exc:
            print(f"tinker-harness serve: --completion-plan {exc}", file=sys.stderr)
            return 2
    try:
        config = load_config_file(options.config, **overrides) if options.config else ServerConfig(**overrides)
    except ValidationError as exc:
        raise UsageError(validation_line(exc, "invalid option")) from None
    plan = FaultPlan.from_file(options.faults) if options.faults is not None else None
    if config.journal_path is not None:
        check_output_file(Path(config.journal_path), "--journal")
    try:
        sock = bind_socket(config.host, config.port)
    except OSError as exc:
        print(f"tinker-harness serve: cannot listen on {config.host}:{config.port}: {exc.strerror}", file=sys.stderr)
        return 2
    generated = config.control_token is None and not is_loopback(config.host)
    if generated:  # anything bound beyond loopback is protected
        config = config.model_copy(update={"control_token": secrets.token_urlsafe(24)})
    server = MockServer(config)
    if plan is not None:
        server.faults.load(plan)
    host, port = sock.getsockname()[:2]
    base_url = f"http://{host}:{port}"
    print(f"tinker-harness mock Tinker server listening on {base_url}", flush=True)
    print(f"  export TINKER_BASE_URL={base_url}", flush=True)
    if options.api_keys_file is not None:
        print(f"  export TINKER_API_KEY=<one of the keys in {options.api_keys_file}>", flush=True)
    else:
        print(f"  export TINKER_API_KEY={DEFAULT_API_KEY}   # any key starting with 'tml-' is accepted", flush=True)
    if not is_loopback(config.host):
        print(
            f"tinker-harness serve: warning: {config.host} is not loopback: the Tinker API is exposed to anyone who "
            "can reach this port (the control API needs the control token)",
            file=sys.stderr,
            flush=True,
        )
    if generated:
        print(f"  control token (Authorization: Bearer ...): {config.control_token}", flush=True)
    serve_forever(server, sock, log_level=options.log_level)
    return 0


def _offline_assets(options: argparse.Namespace) -> int:
    from tinker_harness.mock_server.offline.assets import write_offline_assets

    try:
        assets = write_offline_assets(options.directory, options.models, options.weights or ())
    except ValueError as exc:
        print(f"tinker-harness offline-assets: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"tinker-harness offline-assets: cannot write {options.directory}: {exc.strerror}", file=sys.stderr)
        return 2
    print(f"wrote offline Hub stand-ins to {assets.root}; run clients in {assets.datasets} with:", flush=True)
    for name, value in assets.env.items():
        print(f"  export {name}={value}")
    return 0


def _openapi(options: argparse.Namespace) -> int:
    from tinker_harness.contracts.openapi import build_openapi

    if options.output:
        check_output_file(options.output, "--output")
    document = json.dumps(build_openapi(options.server_url), indent=2)
    if options.output:
        options.output.write_text(document + "\n", encoding="utf-8")
    else:
        print(document)
    return 0


def register(commands: Any) -> None:
    serve = commands.add_parser("serve", help="run the mock Tinker server")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=port_number, help="port to bind (default 4010; 0 picks a free port)")
    serve.add_argument("--seed", type=int, help="seed of ids, model init and unseeded sampling (default 0)")
    serve.add_argument("--config", type=Path, help="server config file (YAML or JSON)")
    serve.add_argument("--faults", type=Path, help="fault plan to load at start (YAML or JSON)")
    serve.add_argument("--journal", type=Path, help="append the redacted request journal to this JSONL file")
    serve.add_argument(
        "--accept-any-base-model",
        action="store_true",
        help="train and sample any base model name, not only the served table (GET get_server_capabilities)",
    )
    serve.add_argument("--api-keys-file", type=Path, help="accept only the API keys in this file (one per line)")
    serve.add_argument(
        "--control-token",
        metavar="TOKEN",
        help="require 'Authorization: Bearer TOKEN' on /_harness/control/ (default: none on loopback, "
        "a generated one, printed once, on any other address)",
    )
    serve.add_argument(
        "--tokenizers",
        choices=["builtin", "hub"],
        help="builtin: every model uses the server's 512-token tokenizer (default); hub: each model uses its "
        "family's stand-in tokenizer and get_info advertises its Hub id (see offline-assets)",
    )
    serve.add_argument(
        "--completion-plan",
        type=Path,
        metavar="FILE",
        help="a test double mixing scripted completions into sampling so RL rewards can rise (YAML or JSON; "
        "offline-assets writes one for its gsm8k stand-in)",
    )
    serve.add_argument("--log-level", default="warning", choices=["debug", "info", "warning", "error"])
    serve.add_argument("--replay", type=Path, metavar="CASSETTE", help="serve the answers recorded in this cassette")
    serve.add_argument(
        "--replay-latency",
        type=float,
        metavar="SCALE",
        help="with --replay: answer after the recorded latency times SCALE (1 = as recorded; default: at once)",
    )
    serve.set_defaults(run=_serve)

    assets = commands.add_parser(
        "offline-assets",
        help="write offline stand-ins of the Hub tokenizers and datasets clients such as tinker-cookbook load",
    )
    assets.add_argument("directory", type=Path, help="where to write them (created if missing)")
    assets.add_argument(
        "--models", nargs="+", metavar="MODEL", help="only these base models (default: every served Hub model)"
    )
    assets.add_argument(
        "--weights",
        nargs="+",
        metavar="MODEL",
        help="also write these models' stand-in base weights (model.safetensors, ~9 MB each; for tools such as "
        "tinker-cookbook's weights.build_lora_adapter)",
    )
    assets.set_defaults(run=_offline_assets)

    openapi = commands.add_parser("openapi", help="print the OpenAPI 3.1 document of the Tinker API")
    openapi.add_argument("--server-url", default="http://127.0.0.1:4010", help="server URL written into the document")
    openapi.add_argument("--output", type=Path, help="write to this file instead of stdout")
    openapi.set_defaults(run=_openapi)
