"""Sources and outputs: a source is a path or a file object (always left
rewound to the start); a derived file is written under a temporary name and
renamed when complete."""

from __future__ import annotations

import contextlib
import os
import re
import threading
from pathlib import Path
from typing import IO, Iterator, Union

Source = Union[str, "os.PathLike[str]", IO[bytes]]


def _display_name(filename: str | None) -> str:
    name = re.split(r"[\\/]", filename or "")[-1].strip()
    return name or "upload"


@contextlib.contextmanager
def _open_source(src: Source) -> Iterator[IO[bytes]]:
    if isinstance(src, (str, os.PathLike)):
        with open(src, "rb") as f:
            yield f
    else:
        src.seek(0)
        try:
            yield src
        finally:
            src.seek(0)


def _source_name(src: Source) -> str:
    """The name to put in a MediaRejected raised while making derived files."""
    if isinstance(src, (str, os.PathLike)):
        return Path(src).name
    name = getattr(src, "name", None)
    return _display_name(name if isinstance(name, str) else None)


@contextlib.contextmanager
def _atomic_output(dest: str | os.PathLike[str]) -> Iterator[str]:
    """Write to a temporary name beside ``dest`` and rename when complete, so
    a crash or a retried task never leaves a half-written derived file."""
    dest = Path(dest)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.{threading.get_ident()}.part")
    try:
        yield str(tmp)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
