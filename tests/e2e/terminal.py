"""Running finsync inside a pseudo-terminal, as a person at a terminal would, and reading what it drew."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .conftest import FINSYNC

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def plain(drawn: str) -> str:
    """The text drawn, without colours and cursor moves; every redraw of the live display on lines of its own."""
    return ANSI.sub("", drawn).replace("\r\n", "\n").replace("\r", "\n")


@dataclass
class Screen:
    """Everything the program wrote to its terminal, with the moments each chunk arrived."""

    chunks: list[tuple[float, str]] = field(default_factory=list)
    returncode: int | None = None

    @property
    def text(self) -> str:
        return plain("".join(chunk for _, chunk in self.chunks))

    def seen_while_running(self, pattern: str) -> bool:
        """Whether `pattern` was drawn before the last chunk (the summary) arrived."""
        earlier = plain("".join(chunk for _, chunk in self.chunks[:-1]))
        return re.search(pattern, earlier) is not None


def run_in_terminal(
    args: list[str],
    env: dict[str, str],
    cwd: Path,
    *,
    answer: Callable[[str], str | None] = lambda _text: None,
    timeout: float = 180,
    columns: int = 120,
) -> Screen:
    """Run `finsync args` with a pseudo-terminal as stdin, stdout and stderr; `answer` sees the text so far
    and may return what to type."""
    main, side = pty.openpty()
    os.set_blocking(main, False)
    terminal_env = {**env, "TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": "40"}
    process = subprocess.Popen(
        [*FINSYNC, *args], stdin=side, stdout=side, stderr=side, cwd=cwd, env=terminal_env, start_new_session=True
    )
    os.close(side)
    screen, answered, deadline = Screen(), set(), time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.1)
            if ready:
                try:
                    data = os.read(main, 65536)
                except OSError:  # every holder of the terminal closed it: the program has ended
                    break
                if not data:
                    break
                screen.chunks.append((time.monotonic(), data.decode(errors="replace")))
                reply = answer(screen.text)
                if reply is not None and reply not in answered:
                    answered.add(reply)
                    os.write(main, reply.encode())
            elif process.poll() is not None:
                break
        else:
            process.kill()
        screen.returncode = process.wait(timeout=10)
    finally:
        os.close(main)
    return screen
