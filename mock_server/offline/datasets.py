"""Tiny datasets shaped like the Hub datasets tinker-cookbook's basic recipes load, written for this project.

``load_dataset("HuggingFaceH4/no_robots")`` (chat SFT: ``prompt``, ``prompt_id``, ``messages``,
``category``), ``load_dataset("openai/gsm8k", "main")`` (``question``, ``answer`` ending in
``#### <number>``), ``load_dataset("Anthropic/hh-rlhf")`` (``chosen``/``rejected`` dialogues in
``\\n\\nHuman: … \\n\\nAssistant: …`` form) and ``load_dataset("zwhe99/DeepMath-103K", split="train")``
(``question``, ``final_answer``, ``difficulty``, ``topic``; a train split only, as the real one: on-policy
distillation's and math RL's deepmath prompts). With ``HF_DATASETS_OFFLINE=1``, ``datasets`` resolves a
repo id to a local folder of that name under the working directory, so :func:`write_datasets` lays
them out as ``<dir>/<org>/<name>/`` with JSON-lines splits (and a card declaring gsm8k's ``main``
config). Rows are generated from templates with a fixed seed: the same files every time, enough
regularity that a small model's loss falls within a few steps, and gsm8k answers a grader can check.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["DATASET_REPOS", "TRAIN_ROWS", "gsm8k_completion_plan", "offline_completion_plan", "write_datasets"]

TRAIN_ROWS = 512
TEST_ROWS = 128
DATASET_REPOS = ("HuggingFaceH4/no_robots", "openai/gsm8k", "Anthropic/hh-rlhf", "zwhe99/DeepMath-103K")
_TRAIN_ONLY = frozenset({"zwhe99/DeepMath-103K"})

_NAMES = ("Mira", "Tomas", "Ada", "Jonas", "Lena", "Omar", "Priya", "Sam", "Ines", "Kofi", "Yuki", "Elena")
_ITEMS = ("apples", "pencils", "stamps", "marbles", "books", "shells", "cards", "buttons", "plums", "coins")
_TOPICS = ("the weekly market", "a rainy morning", "the harbour", "a bicycle ride", "the library", "a garden")
_TONES = ("cheerful", "calm", "formal", "short", "friendly")


def _chat_row(rng: random.Random, index: int) -> dict[str, Any]:
    name, topic, tone = rng.choice(_NAMES), rng.choice(_TOPICS), rng.choice(_TONES)
    kind = index % 3
    if kind == 0:
        prompt = f"Write a {tone} note to {name} about {topic}."
        answer = f"Dear {name}, I wanted to tell you about {topic}. It was lovely, and I hope you can join next time."
        category = "Generation"
    elif kind == 1:
        count = rng.randint(2, 5)
        prompt = f"List {count} things to bring to {topic}."
        things = rng.sample(_ITEMS, count)
        answer = "\n".join(f"{i}. Some {thing}" for i, thing in enumerate(things, 1))
        category = "Brainstorm"
    else:
        prompt = f"Summarize this in one sentence: {name} spent the day at {topic} and came home happy."
        answer = f"{name} enjoyed a happy day at {topic}."
        category = "Summarize"
    messages = [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]
    if index % 7 == 0:
        messages.insert(0, {"role": "system", "content": f"You are a {tone} assistant."})
    return {"prompt": prompt, "prompt_id": f"{index:08x}", "messages": messages, "category": category}


def _maths_row(rng: random.Random, index: int) -> dict[str, Any]:
    name, item = rng.choice(_NAMES), rng.choice(_ITEMS)
    a, b = rng.randint(2, 40), rng.randint(2, 40)
    if index % 2 == 0:
        question = f"{name} has {a} {item} and gets {b} more. How many {item} does {name} have now?"
        total, working = a + b, f"{a}+{b}"
    else:
        a, b = max(a, b), min(a, b)
        question = f"{name} had {a} {item} and gave away {b}. How many {item} are left?"
        total, working = a - b, f"{a}-{b}"
    answer = f"{name} ends with {working} = <<{working}={total}>>{total} {item}.\n#### {total}"
    return {"question": question, "answer": answer}


def _preference_row(rng: random.Random, index: int) -> dict[str, Any]:
    name, topic = rng.choice(_NAMES), rng.choice(_TOPICS)
    question = f"Can you tell me something nice about {topic}?"
    prefix = f"\n\nHuman: Hi, I am {name}.\n\nAssistant: Hello {name}!\n\nHuman: {question}\n\nAssistant:"
    chosen = f" Of course! {topic.capitalize()} is a fine place to spend an afternoon, {name}."
    rejected = " No."
    return {"chosen": prefix + chosen, "rejected": prefix + rejected}


def _deepmath_row(rng: random.Random, index: int) -> dict[str, Any]:
    a, b, c = rng.randint(2, 12), rng.randint(2, 12), rng.randint(1, 30)
    topic = ("Algebra", "Arithmetic", "Number Theory")[index % 3]
    question = f"Compute ${a} \\times {b} + {c}$."
    return {"question": question, "final_answer": str(a * b + c), "difficulty": 1.0 + index % 5, "topic": topic}


_ROWS = {
    "HuggingFaceH4/no_robots": _chat_row,
    "openai/gsm8k": _maths_row,
    "Anthropic/hh-rlhf": _preference_row,
    "zwhe99/DeepMath-103K": _deepmath_row,
}


def _rows(repo: str, split: str, count: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(f"{repo}/{split}")
    make = _ROWS[repo]
    for index in range(count):
        yield make(rng, index)


def _write_jsonl(path: Path, rows: Iterator[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def _card(repo: str, configs: list[dict[str, Any]]) -> str:
    lines = ["---", "configs:"]
    for config in configs:
        lines.append(f"- config_name: {config['name']}")
        lines.append("  data_files:")
        for split, path in config["files"].items():
            lines += [f"  - split: {split}", f"    path: {path}"]
    lines += [
        "---",
        f"# Offline stand-in of {repo}",
        "",
        "Generated by tinker-harness for tests; not the real data.",
        "",
    ]
    return "\n".join(lines)


def write_datasets(root: Path) -> list[Path]:
    """Write every dataset under ``root`` (run the client with ``root`` as its working directory)."""
    folders = []
    for repo in DATASET_REPOS:
        folder = root / repo
        config = "main" if repo == "openai/gsm8k" else "default"
        prefix = "main" if config == "main" else "data"
        splits = ("train",) if repo in _TRAIN_ONLY else ("train", "test")
        files = {split: f"{prefix}/{split}.jsonl" for split in splits}
        for split, relative in files.items():
            _write_jsonl(folder / relative, _rows(repo, split, TRAIN_ROWS if split == "train" else TEST_ROWS))
        (folder / "README.md").write_text(_card(repo, [{"name": config, "files": files}]), encoding="utf-8")
        folders.append(folder)
    return folders


def gsm8k_completion_plan(probability: float = 0.25) -> dict[str, Any]:
    """A completion plan (``ServerConfig.completion_plan``) answering every stand-in gsm8k question correctly.

    Each answer is worked like the dataset's and ends in ``\\boxed{<number>}``, the form gsm8k graders check.
    """
    completions = []
    for split, count in (("train", TRAIN_ROWS), ("test", TEST_ROWS)):
        for row in _rows("openai/gsm8k", split, count):
            working, number = row["answer"].split("\n#### ")
            completion = f"{working.split(' = <<')[0]} = {number}. The answer is \\boxed{{{number}}}."
            completions.append({"prompt_contains": row["question"], "completion": completion})
    return {"probability": probability, "completions": completions}


# The sums tinker-cookbook's arithmetic RL environment asks ("What is X + Y?", X and Y drawn from 0..100);
# its few-shot example precedes the question, and the plan answers the question that ends latest.
ARITHMETIC_OPERANDS = range(101)


def offline_completion_plan(probability: float = 0.25) -> dict[str, Any]:
    """The plan ``offline-assets`` writes: every stand-in gsm8k question, and every sum of the cookbook's
    arithmetic environment answered with the bare number it grades."""
    plan = gsm8k_completion_plan(probability)
    plan["completions"] += [
        {"prompt_contains": f"What is {x} + {y}?", "completion": str(x + y)}
        for x in ARITHMETIC_OPERANDS
        for y in ARITHMETIC_OPERANDS
    ]
    return plan
