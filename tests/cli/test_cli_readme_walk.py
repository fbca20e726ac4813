"""The README's sandbox steps, followed exactly as a newcomer types them.

The commands are read from the README itself (the block after "To play with the sandboxes
yourself"), run as subprocesses from a temporary folder with the README's relative paths
(`--workdir demo-work`, `--config demo-work/config.toml`), `.venv/bin/ml-connector` being
this environment's console script. `sandbox up` serves in the background until SIGINT, as
a person would leave it running in another terminal; so does `run`, whose web app is then
opened as the README says (the one change: the config's web app port becomes a free one,
as 8780 may be taken on a shared machine).
"""

from __future__ import annotations

import csv
import io
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cli_world import assert_clean, subprocess_env

README = Path(__file__).resolve().parents[2] / "README.md"
MARKER = "To play with the sandboxes yourself:"


def readme_sandbox_steps() -> list[list[str]]:
    """The command lines of the README's sandbox block, comments dropped."""
    text = README.read_text(encoding="utf-8")
    after = text.split(MARKER, 1)[1]
    block = after.split("```", 2)[1]
    return [shlex.split(line, comments=True) for line in block.splitlines() if line.strip()]


def _console_script_in(folder: Path) -> None:
    """`folder/.venv/bin/ml-connector` is this environment's console script, so the README's
    `.venv/bin/ml-connector ...` runs as written."""
    script = Path(sys.executable).parent / "ml-connector"
    assert script.is_file(), f"no console script beside {sys.executable}"
    bin_dir = folder / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "ml-connector").symlink_to(script)


def test_readme_names_the_five_steps() -> None:
    steps = readme_sandbox_steps()
    assert [s[1:3] for s in steps] == [
        ["sandbox", "up"],
        ["sync", "--once"],
        ["review", "list"],
        ["audit", "--config"],
        ["run", "--config"],
    ]
    assert all(s[0] == ".venv/bin/ml-connector" for s in steps)


@pytest.mark.timeout(180)
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _open_the_web_app(folder: Path, run: list[str], env: dict[str, str]) -> None:
    """`run` as the README gives it, then the pages at the address the README names."""
    readme = README.read_text(encoding="utf-8")
    assert "<http://127.0.0.1:8780/>" in readme
    config = folder / "demo-work" / "config.toml"
    text = config.read_text(encoding="utf-8")
    assert "port = 8780" in text
    port = _free_port()
    config.write_text(text.replace("port = 8780", f"port = {port}"), encoding="utf-8")
    server = subprocess.Popen(
        run, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.communicate()
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the web app did not answer"
            time.sleep(0.2)
        review = httpx.get(f"{base}/", follow_redirects=True, timeout=30)
        assert review.status_code == 200
        heading = re.search(r"<h1>Review queue: (\d+) problem", review.text)
        assert heading is not None, review.text[:500]
        assert int(heading.group(1)) > 0  # the sandbox's bills waiting for a person
        for page in ("/bills", "/runs", "/audit"):
            assert httpx.get(f"{base}{page}", timeout=30).status_code == 200, page
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=30)
    assert server.returncode == 0


def test_readme_sandbox_steps_work_from_a_relative_folder(tmp_path: Path) -> None:
    _console_script_in(tmp_path)
    up, *steps, run = readme_sandbox_steps()
    env = subprocess_env()
    server = subprocess.Popen(
        up, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    outputs: dict[str, subprocess.CompletedProcess[str]] = {}
    try:
        assert server.stdout is not None
        lines: list[str] = []
        while not any(line.startswith("Press Ctrl-C") for line in lines):
            line = server.stdout.readline()
            assert line, f"sandbox up ended early: {''.join(lines)}"
            lines.append(line)
        # The config names the Sage root relative to its own folder.
        config_text = (tmp_path / "demo-work" / "config.toml").read_text(encoding="utf-8")
        assert 'root = "sage100"' in config_text
        for step in steps:
            done = subprocess.run(
                step, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
            )
            outputs[step[1]] = done
            assert done.returncode == 0, f"{shlex.join(step)} failed:\n{done.stdout}{done.stderr}"
            assert_clean(done.stdout + done.stderr, what=shlex.join(step))
        _open_the_web_app(tmp_path, run, env)
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    assert "Stopped." in out

    sync = outputs["sync"]
    assert "written" in sync.stdout
    assert "cannot" not in sync.stdout + sync.stderr
    # The clerk's terminal gets the report, not the log records (they are in the log file).
    assert "[info" not in sync.stderr
    assert (tmp_path / "demo-work" / "logs" / "ml-connector.log").stat().st_size > 0
    assert "Review queue:" in outputs["review"].stdout
    rows = list(csv.DictReader(io.StringIO(outputs["audit"].stdout)))
    assert rows, "the audit export is empty"
    assert any(r["action"] == "written" for r in rows), rows[0]
