"""The README's quick start is what CI runs: the two commands cannot drift apart."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```\n(.*?)```", section, flags=re.S)]


def test_the_quick_start_has_two_commands_run_demo_then_tests() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2
    assert commands[0].endswith("ims-xl demo")
    assert "pytest" in commands[1] and "ruff" in commands[1] and "mypy" in commands[1]


def test_ci_runs_the_readme_test_command_word_for_word() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = quick_start_commands()[1]
    assert any(line.strip().endswith(test_command.removeprefix("pip install").strip())
               for line in ci.splitlines()), "the README's test command is not in .ci/run"
