"""The project's command line run in a subprocess, as a user runs it: a fresh interpreter and
an environment holding none of this machine's CHECKPOINT_* or DAGSTER_* settings, only the
ones a test gives."""

from __future__ import annotations

import os
import subprocess
import sys

CLI = (sys.executable, "-m", "pipelines.cli")


def cli_env(**variables: str) -> dict[str, str]:
    """``os.environ`` without any CHECKPOINT_* or DAGSTER_* variable, plus ``variables``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHECKPOINT_", "DAGSTER_"))}
    env.update(variables)
    return env


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 900,
            **subprocess_kwargs) -> subprocess.CompletedProcess:
    """``checkpoint-warehouse *args``, its output captured as text (``env``: ``cli_env()`` if not given)."""
    return subprocess.run([*CLI, *args], env=cli_env() if env is None else env, capture_output=True, text=True,
                          timeout=timeout, **subprocess_kwargs)


def one_line(result: subprocess.CompletedProcess) -> str:
    """The command's standard error, asserted to be exactly one non-empty line."""
    assert result.stderr.strip() and result.stderr.strip().count("\n") == 0, result.stderr
    return result.stderr.strip()
