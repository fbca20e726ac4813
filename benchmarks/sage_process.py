"""The Sage sandbox in a process of its own, driven through a pipe, as real BOI is.

Real BOI runs in `pvxcom.exe`, an out-of-process COM server: the connector's process
holds none of Sage's memory. `bench_sync_cycle.py` keeps the sandbox in its own process
by default (the sandbox's tables, caches and result-set building weigh on the figures
then); with `BENCH_SAGE_PROCESS=1` it drives this stand-in instead, so that the peak RSS
it reports is the connector's alone. Every BOI call becomes one round trip (slower), so
throughput is measured the other way.

The child keeps every object it hands out under a number; the parent gets a `RemoteCom`
per object, whose methods send (number, method, arguments) and whose other attributes
(`sLastErrorMsg`, `oLines`) are read the same way. Exceptions (the sandbox's COM errors)
are pickled back and raised in the parent.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_PLAIN = (str, int, float, bool, type(None))


def _serve(root: str, conn: Any) -> None:
    """The child: a ProvideXScript on `root`, serving calls until the pipe closes."""
    from ml_connector.sandbox.sage100 import ProvideXScript

    objects: dict[int, Any] = {0: ProvideXScript(Path(root), apartment="free")}

    def out(value: Any) -> Any:
        if isinstance(value, _PLAIN):
            return ("v", value)
        if isinstance(value, tuple) and all(isinstance(v, _PLAIN) for v in value):
            return ("v", value)
        number = len(objects)
        objects[number] = value
        methods = frozenset(
            n for n in dir(type(value)) if not n.startswith("_") and callable(getattr(value, n))
        )
        return ("o", number, methods)

    def arg(value: Any) -> Any:
        return objects[value[1]] if isinstance(value, tuple) and value[:1] == ("@",) else value

    conn.send(out(objects[0]))
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        op, number, name, args = request
        try:
            if op == "new":  # another ProvideX.Script, as a second Dispatch makes
                conn.send(out(ProvideXScript(Path(root), apartment="free")))
                continue
            target = getattr(objects[number], name)
            result = target(*[arg(a) for a in args]) if op == "call" else target
            conn.send(out(result))
        except Exception as exc:  # noqa: BLE001  # handed to the caller, raised there
            conn.send(("e", exc))


class RemoteCom:
    """One object of the child process, called through the pipe."""

    def __init__(self, conn: Any, number: int, methods: frozenset[str]) -> None:
        self._conn, self._number, self._methods = conn, number, methods

    def _ask(self, op: str, name: str, args: tuple[Any, ...] = ()) -> Any:
        wire = tuple(("@", a._number) if isinstance(a, RemoteCom) else a for a in args)
        self._conn.send((op, self._number, name, wire))
        return _answer(self._conn, self._conn.recv())

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._methods:
            return lambda *args: self._ask("call", name, args)
        return self._ask("get", name)


def _answer(conn: Any, reply: tuple[Any, ...]) -> Any:
    kind = reply[0]
    if kind == "v":
        return reply[1]
    if kind == "e":
        raise reply[1]
    return RemoteCom(conn, reply[1], reply[2])


@dataclass
class SageProcess:
    pid: int
    _conn: Any
    _first: Any = None

    def factory(self) -> Any:
        """A ProvideXScript in the child, for `BoiSage100` (the first one, then new ones)."""
        if self._first is not None:
            script, self._first = self._first, None
            return script
        self._conn.send(("new", 0, "", ()))
        return _answer(self._conn, self._conn.recv())

    def rss_mb(self) -> float:
        """The child's resident memory now (Linux: /proc), 0 when unknown."""
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0


@contextlib.contextmanager
def sage_process(root: Path) -> Iterator[SageProcess]:
    """The sandbox served from a child process; its `factory` is what BoiSage100 takes."""
    spawn = multiprocessing.get_context("spawn")
    parent, child = spawn.Pipe()
    proc = spawn.Process(target=_serve, args=(str(root), child), daemon=True)
    proc.start()
    try:
        first = _answer(parent, parent.recv())
        yield SageProcess(proc.pid or 0, parent, first)
    finally:
        parent.close()
        proc.join(timeout=30)
        if proc.is_alive():
            proc.kill()
