"""``MediaRejected``, the one error callers see, and the sentences it carries.

Every refusal names the file and the rule, in words an artist can act on.
``_Corrupt`` is internal: the structure walkers raise it and the checks turn
it into rule ``"corrupt"``."""

from __future__ import annotations

import math
import re

from atelier.media.limits import MB


class MediaRejected(Exception):
    """An upload that Atelier will not accept. ``str(exc)`` is a sentence for
    the artist that names the file and the rule; ``rule`` is a short code:
    ``type``, ``mismatch``, ``size``, ``pixels``, ``resolution``, ``frames``,
    ``corrupt``, ``duration``."""

    def __init__(self, filename: str, rule: str, message: str) -> None:
        super().__init__(filename, rule, message)  # all three, so it pickles
        self.filename = filename
        self.rule = rule
        self.message = message

    def __str__(self) -> str:
        return self.message


class _Corrupt(Exception):
    """Raised by the structure walkers; becomes rule "corrupt"."""


def _fmt_mb(n: int) -> str:
    # Round up, so 20,000,001 bytes never reads as "20 MB" against a 20 MB limit.
    value = math.ceil(n / MB * 10) / 10
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _fmt_seconds(s: float) -> str:
    value = math.ceil(s * 10 - 1e-9) / 10
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _corrupt(name: str) -> MediaRejected:
    return MediaRejected(name, "corrupt", f'"{name}" is damaged or truncated and cannot be read.')


def _trailing(name: str, what: str, trailing: bytes = b"") -> MediaRejected:
    if what == "image" and (b"ftyp" in trailing[:64] or trailing.rstrip(b"\0").endswith(b"SEFT")):
        return MediaRejected(
            name,
            "type",
            f'"{name}" is a motion photo: it has a video clip stored after the '
            f"picture. Export it as a still photo (or turn off its motion) and "
            f"upload that copy.",
        )
    return MediaRejected(
        name,
        "type",
        f'"{name}" contains data after the {what} ends (for example a hidden '
        f"archive or script), so it cannot be accepted. Save or export the "
        f"{what} again and upload that copy.",
    )


def _hidden_zip(name: str, what: str) -> MediaRejected:
    return MediaRejected(
        name,
        "type",
        f'"{name}" contains a hidden ZIP archive inside the {what}, so it cannot '
        f"be accepted. Save or export the {what} again and upload that copy.",
    )


def _bomb(name: str, exc: Exception, limit: int) -> MediaRejected:
    found = re.search(r"\((\d+) pixels\)", str(exc))
    if found:
        count = f"{int(found.group(1)):,} pixels"
    else:
        count = "too many pixels"
    return MediaRejected(name, "pixels", f'"{name}" has {count}; the limit is {limit:,}.')
