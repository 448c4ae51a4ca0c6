"""Checks uploaded works (images, short videos) by their content, and makes the
files Atelier publishes from them: metadata-free copies, thumbnails, video
posters and credited, watermarked copies.

Pure Python on Pillow and PyAV, with no Django imports, so it can be tested
and reused alone. Callers pass file objects or paths; every function leaves a
file object rewound to the start.

Decisions worth knowing (see also each function's docstring):

* A file whose name contradicts its content (a PNG named ``.jpg``) is refused
  (rule ``"mismatch"``) with a message that names the real type, so the name
  an artist sees, stores and shares always matches what is inside.
  Aliases are fine: ``.jpeg``/``.jpe``/``.jfif`` for JPEG, ``.m4v``/``.mov``
  for the MP4 family. A name with no extension is refused the same way.
* Sizes use decimal megabytes (1 MB = 1,000,000 bytes).
* Animated images (GIF, WebP, APNG) are limited by ``max_gif_frames`` and by
  ``max_animation_pixels`` (all frames together), which bounds the time and
  memory it takes to check them and to make their derived files.
* Derived video (``watermark_video``) is always MP4 with H.264 video and AAC
  audio, whatever the source container, because every browser plays it.
"""

from __future__ import annotations

import contextlib
import functools
import io
import math
import os
import re
import struct
import threading
import warnings
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import IO, Iterator, Union

import av
from PIL import Image, ImageCms, ImageDraw, ImageFile, ImageFont, ImageOps

__all__ = [
    "MediaInfo",
    "MediaLimits",
    "MediaRejected",
    "inspect_upload",
    "make_image_thumbnail",
    "make_video_poster",
    "strip_metadata",
    "watermark_image",
    "watermark_video",
]

MB = 1_000_000

Source = Union[str, "os.PathLike[str]", IO[bytes]]


@dataclass(frozen=True)
class MediaLimits:
    max_bytes_image: int = 20 * MB
    max_bytes_video: int = 200 * MB
    max_pixels: int = 40_000_000  # per image or per frame
    max_image_side: int = 12_000
    max_video_seconds: float = 60.0
    # Compared as long side / short side, so 1080x1920 (upright) is accepted.
    max_video_width: int = 1920
    max_video_height: int = 1080
    max_gif_frames: int = 500  # for every animated image: GIF, WebP, APNG
    # All frames of an animation together: bounds decoding time and the memory
    # needed to re-encode it (about 4 bytes per pixel).
    max_animation_pixels: int = 150_000_000
    # Guards against a video made of millions of tiny frames.
    max_video_fps: int = 240


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


@dataclass
class MediaInfo:
    kind: str  # "image" | "video"
    mime_type: str
    extension: str  # canonical: jpg, png, webp, gif, mp4, webm
    width: int  # as displayed (after EXIF orientation / video rotation)
    height: int
    duration_seconds: float | None  # None for still images
    frame_count: int
    size_bytes: int
    has_audio: bool = False


@dataclass(frozen=True)
class _Format:
    ext: str
    label: str
    mime: str
    kind: str
    pil_formats: tuple[str, ...] = ()


_FORMATS = {
    "jpg": _Format("jpg", "JPEG", "image/jpeg", "image", ("JPEG",)),
    "png": _Format("png", "PNG", "image/png", "image", ("PNG",)),
    "webp": _Format("webp", "WebP", "image/webp", "image", ("WEBP",)),
    "gif": _Format("gif", "GIF", "image/gif", "image", ("GIF",)),
    "mp4": _Format("mp4", "MP4", "video/mp4", "video"),
    "webm": _Format("webm", "WebM", "video/webm", "video"),
}
_EXTENSIONS = {
    "jpg": "jpg", "jpeg": "jpg", "jpe": "jpg", "jfif": "jpg",
    "png": "png", "webp": "webp", "gif": "gif",
    "mp4": "mp4", "m4v": "mp4", "mov": "mp4",
    "webm": "webm",
}
_ACCEPTED = "a JPEG, PNG, WebP, GIF, MP4 or WebM file"

_VIDEO_CODECS = {
    "mp4": ("h264", "hevc", "av1", "mpeg4", "vp9"),
    "webm": ("vp8", "vp9", "av1"),
}
_CODEC_LABELS = {
    "h264": "H.264", "hevc": "HEVC", "av1": "AV1",
    "mpeg4": "MPEG-4", "vp8": "VP8", "vp9": "VP9",
}
_DEMUXERS = {"mp4": "mov", "webm": "matroska"}

# Bytes after an image's or video's end that are not padding (NUL, 0xFF,
# whitespace) are refused beyond this many: enough for sloppy writers, too few
# for an archive or a script.
_TRAILING_SLACK = 8
_PADDING = b"\x00\xff \t\r\n"
# Container durations are rounded; a clip this much over the limit still passes.
_DURATION_SLACK = 0.1


# --------------------------------------------------------------------------
# Messages


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


def _display_name(filename: str | None) -> str:
    name = re.split(r"[\\/]", filename or "")[-1].strip()
    return name or "upload"


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[1].lower() if "." in name.strip(".") else ""


# --------------------------------------------------------------------------
# Recognising content


class _Corrupt(Exception):
    """Raised by the structure walkers; becomes rule "corrupt"."""


_IMAGE_BRANDS = {
    b"heic": "an HEIC image", b"heix": "an HEIC image", b"hevc": "an HEIC image",
    b"heim": "an HEIC image", b"heis": "an HEIC image", b"hevx": "an HEIC image",
    b"mif1": "an HEIF image", b"msf1": "an HEIF image",
    b"avif": "an AVIF image", b"avis": "an AVIF image",
    b"crx ": "a Canon raw photo", b"jxl ": "a JPEG XL image",
    b"M4A ": "an audio file", b"M4B ": "an audio file",
}


def _sniff(head: bytes) -> str | None:
    """Canonical extension of a supported format, from the first bytes."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    if head[4:8] == b"ftyp":
        return None if head[8:12] in _IMAGE_BRANDS else "mp4"
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"):
        return "mp4"  # QuickTime without an ftyp box
    return None


def _describe_other(head: bytes) -> str | None:
    """What an unsupported file looks like, for the message ("a PDF")."""
    if head[4:8] == b"ftyp" and head[8:12] in _IMAGE_BRANDS:
        return _IMAGE_BRANDS[head[8:12]]
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    checks: list[tuple[bool, str]] = [
        (head.startswith(b"%PDF"), "a PDF"),
        (head[:4] in (b"PK\x03\x04", b"PK\x05\x06"), "a ZIP archive or Office document"),
        (head[:4] in (b"II*\x00", b"MM\x00*"), "a TIFF image or camera raw file"),
        (head.startswith(b"8BPS"), "a Photoshop document"),
        (head.startswith(b"BM") and len(head) > 14 and head[6:10] == b"\0\0\0\0", "a BMP image"),
        (head.startswith(b"\x00\x00\x01\x00"), "an icon file"),
        (head.startswith(b"\x00\x00\x00\x0cjP  "), "a JPEG 2000 image"),
        (head.startswith(b"\xff\x0a"), "a JPEG XL image"),
        (b"<svg" in stripped, "an SVG image"),
        (stripped.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script")), "an HTML page"),
        (stripped.startswith(b"<?xml"), "an XML document"),
        (head.startswith(b"Rar!"), "a RAR archive"),
        (head.startswith(b"7z\xbc\xaf\x27\x1c"), "a 7-Zip archive"),
        (head.startswith(b"\x1f\x8b"), "a gzip archive"),
        (head.startswith(b"ID3"), "an MP3 audio file"),
        (head[:4] == b"RIFF" and head[8:12] == b"WAVE", "a WAV audio file"),
        (head[:4] == b"RIFF" and head[8:12] == b"AVI ", "an AVI video"),
        (head.startswith(b"OggS"), "an Ogg audio or video file"),
        (head.startswith(b"fLaC"), "a FLAC audio file"),
        (head.startswith(b"FLV"), "a Flash video"),
        (head.startswith(b"\x30\x26\xb2\x75"), "a Windows Media file"),
        (head.startswith(b"\x7fELF") or head.startswith(b"MZ"), "a program"),
        (head.startswith(b"#!"), "a script"),
    ]
    for matched, description in checks:
        if matched:
            return description
    if head and all(32 <= c < 127 or c in b"\t\r\n" for c in head):
        return "plain text"
    return None


# --------------------------------------------------------------------------
# Structure walkers: where an image or video really ends (for truncation and
# appended payloads), without decoding anything.


def _png_end(data: bytes) -> int:
    pos, n, first = 8, len(data), True
    while True:
        if pos + 8 > n:
            raise _Corrupt
        length, ctype = struct.unpack(">I4s", data[pos : pos + 8])
        if (first and ctype != b"IHDR") or length > 0x7FFFFFFF:
            raise _Corrupt
        first = False
        end = pos + 12 + length
        if end > n:
            raise _Corrupt
        if ctype == b"IEND":
            return end
        pos = end


# Progressive JPEGs use about 10 scans; thousands make a cheap file that takes
# minutes to decode.
_MAX_JPEG_SCANS = 100


def _jpeg_end(data: bytes, pos: int = 0) -> int:
    """Offset just after the EOI marker of the JPEG starting at ``pos``."""
    n = len(data)
    if data[pos : pos + 2] != b"\xff\xd8":
        raise _Corrupt
    i = pos + 2
    scans = 0
    while True:
        if i >= n:
            raise _Corrupt
        if data[i] != 0xFF:  # stray bytes between segments (libjpeg skips them)
            i = data.find(b"\xff", i)
            if i < 0:
                raise _Corrupt
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            raise _Corrupt
        marker = data[i]
        i += 1
        if marker == 0xD9:
            return i
        if marker in (0x00, 0x01) or 0xD0 <= marker <= 0xD7:
            continue
        if i + 2 > n:
            raise _Corrupt
        seglen = int.from_bytes(data[i : i + 2], "big")
        if seglen < 2:
            raise _Corrupt
        i += seglen
        if marker == 0xDA:  # entropy-coded data runs to the next real marker
            scans += 1
            if scans > _MAX_JPEG_SCANS:  # each scan re-walks the whole picture
                raise _Corrupt
            while True:
                j = data.find(b"\xff", i)
                if j < 0 or j + 1 >= n:
                    raise _Corrupt
                following = data[j + 1]
                if following == 0xFF:
                    i = j + 1
                elif following == 0x00 or 0xD0 <= following <= 0xD7:
                    i = j + 2
                else:
                    i = j
                    break


def _jpeg_files_end(data: bytes) -> int:
    """End of the JPEG and of any further JPEGs appended to it (MPF/MPO:
    depth maps, HDR gain maps, multi-picture files from phones and cameras)."""
    end = _jpeg_end(data)
    for _ in range(16):
        if data[end : end + 3] != b"\xff\xd8\xff":
            break
        end = _jpeg_end(data, end)
    return end


def _skip_sub_blocks(data: bytes, pos: int) -> int:
    n = len(data)
    while True:
        if pos >= n:
            raise _Corrupt
        size = data[pos]
        pos += 1
        if size == 0:
            return pos
        pos += size


def _gif_end(data: bytes) -> tuple[int, int, int, int]:
    """(end offset, frame count, canvas width, canvas height). Pillow grows
    the canvas to fit frames that lie outside the logical screen, so the
    canvas is the union of the screen and every frame."""
    n = len(data)
    if n < 13:
        raise _Corrupt
    width, height, flags = struct.unpack("<HHB", data[6:11])
    pos = 13
    if flags & 0x80:
        pos += 3 << ((flags & 7) + 1)
    frames = 0
    while True:
        if pos >= n:
            if frames and pos == n:  # trailer missing after a complete frame
                return n, frames, width, height
            raise _Corrupt
        block = data[pos]
        if block == 0x3B:
            return pos + 1, frames, width, height
        if block == 0x21:
            pos = _skip_sub_blocks(data, pos + 2)
        elif block == 0x2C:
            if pos + 10 > n:
                raise _Corrupt
            left, top, w, h, fflags = struct.unpack("<HHHHB", data[pos + 1 : pos + 10])
            width, height = max(width, left + w), max(height, top + h)
            frames += 1
            pos += 10
            if fflags & 0x80:
                pos += 3 << ((fflags & 7) + 1)
            pos = _skip_sub_blocks(data, pos + 1)
        else:
            raise _Corrupt


def _webp_end(data: bytes) -> int:
    riff = struct.unpack("<I", data[4:8])[0]
    end = 8 + riff + (riff & 1)
    if end == len(data) + 1:  # odd-sized chunk without its pad byte
        return len(data)
    if end > len(data) or riff < 4:
        raise _Corrupt
    return end


_MP4_TOP_LEVEL = {
    b"ftyp", b"styp", b"moov", b"mdat", b"free", b"skip", b"wide", b"uuid",
    b"meta", b"pdin", b"moof", b"mfra", b"sidx", b"ssix", b"emsg", b"prft",
    b"pnot", b"junk", b"udta",
}


def _mp4_end(f: IO[bytes], size: int) -> int:
    """Offset where the chain of top-level boxes ends. A known box that runs
    past the end of the file means truncation; anything that is not a box
    is data appended after the video; so is anything at all when no movie
    box (moov/moof) came before it, which means the file is broken."""
    pos = count = 0
    has_movie = False
    while pos + 8 <= size:
        f.seek(pos)
        header = f.read(16)
        box_size, box_type = struct.unpack(">I4s", header[:8])
        header_len = 8
        if box_size == 1:
            if len(header) < 16:
                return pos
            box_size, header_len = struct.unpack(">Q", header[8:16])[0], 16
        elif box_size == 0:
            box_size = size - pos
        known = box_type in _MP4_TOP_LEVEL
        if not all(0x20 <= c < 0x7F for c in box_type) or (
            not known and (box_size < header_len or pos + box_size > size)
        ):
            if not has_movie:
                raise _Corrupt
            return pos
        if box_size < header_len or pos + box_size > size:
            raise _Corrupt
        has_movie = has_movie or box_type in (b"moov", b"moof")
        pos += box_size
        count += 1
        if count > 100_000:
            raise _Corrupt
    return pos


def _read_vint(f: IO[bytes], keep_marker: bool = False) -> tuple[int, bool]:
    """An EBML variable-length integer: (value, is the 'unknown size' value)."""
    first = f.read(1)
    if not first or first[0] == 0:
        raise _Corrupt
    length = 9 - first[0].bit_length()
    rest = f.read(length - 1)
    if len(rest) != length - 1:
        raise _Corrupt
    value = first[0] if keep_marker else first[0] & ((1 << (8 - length)) - 1)
    for byte in rest:
        value = (value << 8) | byte
    return value, (not keep_marker and value == (1 << (7 * length)) - 1)


def _webm_end(f: IO[bytes], size: int) -> int:
    """Offset where the EBML header and the Segment end."""
    f.seek(0)
    element, _ = _read_vint(f, keep_marker=True)
    if element != 0x1A45DFA3:
        raise _Corrupt
    length, unknown = _read_vint(f)
    if unknown:
        raise _Corrupt
    f.seek(f.tell() + length)
    while True:
        if f.tell() >= size:
            raise _Corrupt
        element, _ = _read_vint(f, keep_marker=True)
        length, unknown = _read_vint(f)
        if element == 0x18538067:  # Segment
            if unknown:  # live recording (e.g. MediaRecorder): runs to the end
                return size
            end = f.tell() + length
            if end > size:
                raise _Corrupt
            return end
        if element not in (0xEC, 0xBF) or unknown:  # only Void / CRC-32 allowed before it
            raise _Corrupt
        f.seek(f.tell() + length)


def _contains_zip(f: IO[bytes], size: int) -> bool:
    """True if a ZIP archive's end record (in the last 64 KB, where unzip
    tools look for it) points at a real central directory."""
    tail_len = min(size, 65_535 + 22)
    start = size - tail_len
    f.seek(start)
    tail = f.read(tail_len)
    i = tail.rfind(b"PK\x05\x06")
    for _ in range(16):
        if i < 0:
            return False
        if i + 22 <= len(tail):
            cd_size = struct.unpack("<I", tail[i + 12 : i + 16])[0]
            cd_start = start + i - cd_size
            if 0 <= cd_start < start + i:
                f.seek(cd_start)
                if f.read(4) == b"PK\x01\x02":
                    return True
        i = tail.rfind(b"PK\x05\x06", 0, i)
    return False


def _is_padding(trailing: bytes) -> bool:
    return len(trailing.strip(_PADDING)) <= _TRAILING_SLACK


# --------------------------------------------------------------------------
# Pillow guard

_PIL_LOCK = threading.RLock()
_ALL_PIL_FORMATS = ["JPEG", "PNG", "WEBP", "GIF"]  # the JPEG opener also returns MPO


@contextlib.contextmanager
def _pillow_guard(max_pixels: int) -> Iterator[None]:
    """Pillow's decompression-bomb guard at our limit, truncated images
    refused. Both are process-wide settings, hence the lock (image work is
    serialised within a process) and the restore afterwards."""
    with _PIL_LOCK:
        old_max, old_truncated = Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES
        Image.MAX_IMAGE_PIXELS = max_pixels
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                yield
        finally:
            Image.MAX_IMAGE_PIXELS = old_max
            ImageFile.LOAD_TRUNCATED_IMAGES = old_truncated


def _bomb(name: str, exc: Exception, limit: int) -> MediaRejected:
    found = re.search(r"\((\d+) pixels\)", str(exc))
    if found:
        count = f"{int(found.group(1)):,} pixels"
    else:
        count = "too many pixels"
    return MediaRejected(name, "pixels", f'"{name}" has {count}; the limit is {limit:,}.')


def _check_pixels(name: str, width: int, height: int, limits: MediaLimits) -> None:
    if width <= 0 or height <= 0:
        raise _corrupt(name)
    if width * height > limits.max_pixels:
        raise MediaRejected(
            name, "pixels",
            f'"{name}" has {width * height:,} pixels; the limit is {limits.max_pixels:,}.',
        )
    if max(width, height) > limits.max_image_side:
        raise MediaRejected(
            name, "resolution",
            f'"{name}" is {width:,} × {height:,} pixels; images may be at most '
            f"{limits.max_image_side:,} pixels on each side.",
        )


# --------------------------------------------------------------------------
# Inspecting uploads


def inspect_upload(fileobj: IO[bytes], filename: str, limits: MediaLimits = MediaLimits()) -> MediaInfo:
    """Decide whether an upload is an acceptable work and describe it.

    The type comes from the content (magic bytes, then a full decode), never
    from the name. Checks, in order: size (before anything is decoded), type,
    name/content agreement, structure (truncation; data appended after the
    image or video, as in ZIP/HTML polyglots; hidden ZIP archives), then for
    images the pixel count from the header, ``verify()`` and a full decode of
    every frame; for videos the container, exactly one video track with a
    supported codec, resolution, duration and a decoded first frame.

    A name that contradicts the content (a PNG named ``photo.jpg``) is refused
    with rule ``"mismatch"`` and a message naming the real type; unknown
    content under a supported name is reported as damaged (``"corrupt"``),
    other content as ``"type"``.

    Raises ``MediaRejected``; returns ``MediaInfo``. The file object is
    rewound to the start afterwards, whatever happens.
    """
    name = _display_name(filename)
    try:
        return _inspect(fileobj, name, limits)
    finally:
        fileobj.seek(0)


def _inspect(f: IO[bytes], name: str, limits: MediaLimits) -> MediaInfo:
    f.seek(0, os.SEEK_END)
    size = f.tell()
    f.seek(0)
    head = f.read(64)
    fmt = _sniff(head)
    ext = _extension(name)
    named = _EXTENSIONS.get(ext)

    kind = _FORMATS[fmt].kind if fmt else (_FORMATS[named].kind if named else "video")
    limit = limits.max_bytes_image if kind == "image" else limits.max_bytes_video
    if size > limit:
        raise MediaRejected(
            name, "size", f'"{name}" is {_fmt_mb(size)} MB; the limit for {kind}s is {_fmt_mb(limit)} MB.'
        )
    if size == 0:
        raise MediaRejected(name, "corrupt", f'"{name}" is empty.')

    if fmt is None:
        other = _describe_other(head)
        if other is None and named:
            raise _corrupt(name)  # e.g. random bytes named .mp4: a broken file
        content = f" (its content is {other})" if other else ""
        raise MediaRejected(name, "type", f'"{name}" is not {_ACCEPTED}{content}.')

    spec = _FORMATS[fmt]
    if named != fmt:
        article = "an" if spec.label[0] in "AEFHILMNORSX" else "a"
        what = f"{article} {spec.label} {spec.kind}"
        if ext:
            problem = f"but its name ends in .{ext}"
        else:
            problem = "but its name has no extension"
        raise MediaRejected(
            name, "mismatch",
            f'"{name}" is {what}, {problem}. Rename it to end in .{spec.ext} and upload it again.',
        )

    if spec.kind == "image":
        f.seek(0)
        data = f.read()
        return _inspect_image(data, name, spec, limits)
    return _inspect_video(f, name, spec, size, limits)


def _inspect_image(data: bytes, name: str, spec: _Format, limits: MediaLimits) -> MediaInfo:
    try:
        if spec.ext == "png":
            end = _png_end(data)
        elif spec.ext == "jpg":
            end = _jpeg_files_end(data)
        elif spec.ext == "gif":
            end, _, canvas_w, canvas_h = _gif_end(data)
            _check_pixels(name, canvas_w, canvas_h, limits)
        else:
            end = _webp_end(data)
    except _Corrupt:
        raise _corrupt(name) from None
    if not _is_padding(data[end:]):
        raise _trailing(name, "image", data[end:])
    if _contains_zip(io.BytesIO(data), len(data)):
        raise _hidden_zip(name, "image")

    with _pillow_guard(limits.max_pixels):
        try:
            im = Image.open(io.BytesIO(data), formats=list(spec.pil_formats))
            width, height = im.size
            _check_pixels(name, width, height, limits)
            # MPO: the extra pictures are depth maps / gain maps, not frames.
            frames = 1 if im.format == "MPO" else getattr(im, "n_frames", 1)
            if frames > limits.max_gif_frames:
                raise MediaRejected(
                    name, "frames",
                    f'"{name}" has {frames:,} frames; animations may have at most '
                    f"{limits.max_gif_frames:,}.",
                )
            if frames > 1 and frames * width * height > limits.max_animation_pixels:
                raise MediaRejected(
                    name, "pixels",
                    f'"{name}" has {frames:,} frames of {width:,} × {height:,} pixels '
                    f"({frames * width * height:,} pixels in all); the limit is "
                    f"{limits.max_animation_pixels:,}.",
                )
            im.verify()

            im = Image.open(io.BytesIO(data), formats=list(spec.pil_formats))
            orientation = im.getexif().get(0x0112, 1)
            total_ms = 0.0
            for index in range(frames):
                if index:
                    im.seek(index)
                _check_pixels(name, *im.size, limits)
                im.load()
                total_ms += float(im.info.get("duration") or 0)
        except MediaRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _bomb(name, exc, limits.max_pixels) from None
        except MemoryError:
            raise MediaRejected(name, "pixels", f'"{name}" is too large to open.') from None
        except Exception:
            raise _corrupt(name) from None

    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return MediaInfo(
        kind="image",
        mime_type=spec.mime,
        extension=spec.ext,
        width=width,
        height=height,
        duration_seconds=round(total_ms / 1000, 3) if frames > 1 else None,
        frame_count=frames,
        size_bytes=len(data),
    )


def _main_video_stream(container: av.container.InputContainer, name: str) -> av.video.stream.VideoStream:
    streams = [
        s for s in container.streams.video
        if not (s.disposition & av.stream.Disposition.attached_pic)  # cover art
    ]
    if not streams:
        raise MediaRejected(name, "type", f'"{name}" has no video track.')
    if len(streams) > 1:
        raise MediaRejected(
            name, "type",
            f'"{name}" has {len(streams)} video tracks; upload a video with exactly one.',
        )
    return streams[0]


def _codec_name(stream: av.stream.Stream) -> str:
    ctx = stream.codec_context
    if ctx is None:
        return "unknown"
    return ctx.codec.canonical_name


def _header_duration(container: av.container.InputContainer, stream: av.stream.Stream) -> float | None:
    found = []
    if container.duration:
        found.append(container.duration / av.time_base)
    if stream.duration and stream.time_base:
        found.append(float(stream.duration * stream.time_base))
    return max(found) if found else None


def _rotation(frame: av.VideoFrame) -> int:
    """Display rotation (counter-clockwise degrees: 0, 90, 180 or 270)."""
    degrees = frame.rotation
    if not -360 <= degrees <= 360:  # no or degenerate display matrix
        return 0
    return (round(degrees / 90) * 90) % 360


def _check_video_resolution(name: str, width: int, height: int, limits: MediaLimits) -> None:
    long_limit = max(limits.max_video_width, limits.max_video_height)
    short_limit = min(limits.max_video_width, limits.max_video_height)
    if width <= 0 or height <= 0:
        raise _corrupt(name)
    if max(width, height) > long_limit or min(width, height) > short_limit:
        raise MediaRejected(
            name, "resolution",
            f'"{name}" is {width} × {height} pixels; videos may be at most '
            f"{long_limit} × {short_limit} (or {short_limit} × {long_limit} upright).",
        )


def _check_duration(name: str, seconds: float | None, limits: MediaLimits) -> None:
    if seconds is not None and seconds > limits.max_video_seconds + _DURATION_SLACK:
        raise MediaRejected(
            name, "duration",
            f'"{name}" lasts {_fmt_seconds(seconds)} s; videos may last at most '
            f"{_fmt_seconds(limits.max_video_seconds)} s.",
        )


def _first_frame(container: av.container.InputContainer, stream: av.stream.Stream) -> av.VideoFrame | None:
    for index, packet in enumerate(container.demux(stream)):
        for frame in packet.decode():
            return frame
        if index > 500:  # a decoder that yields nothing for this long never will
            break
    return None


def _inspect_video(f: IO[bytes], name: str, spec: _Format, size: int, limits: MediaLimits) -> MediaInfo:
    try:
        end = _mp4_end(f, size) if spec.ext == "mp4" else _webm_end(f, size)
    except (_Corrupt, struct.error):
        raise _corrupt(name) from None
    if end < size:
        if size - end > 65_536:
            raise _trailing(name, "video")
        f.seek(end)
        if not _is_padding(f.read()):
            raise _trailing(name, "video")
    if _contains_zip(f, size):
        raise _hidden_zip(name, "video")

    try:
        f.seek(0)
        with av.open(f, "r", format=_DEMUXERS[spec.ext]) as container:
            family = container.format.name
            expected = ("mp4", "mov") if spec.ext == "mp4" else ("matroska", "webm")
            if not any(word in family for word in expected):
                raise _corrupt(name)
            stream = _main_video_stream(container, name)
            codec = _codec_name(stream)
            if codec not in _VIDEO_CODECS[spec.ext]:
                allowed = ", ".join(_CODEC_LABELS[c] for c in _VIDEO_CODECS[spec.ext])
                raise MediaRejected(
                    name, "type",
                    f'"{name}" uses the {_CODEC_LABELS.get(codec, codec)} video codec; '
                    f"{spec.label} videos must use {allowed}.",
                )
            width, height = stream.codec_context.width, stream.codec_context.height
            _check_video_resolution(name, width, height, limits)
            header_duration = _header_duration(container, stream)
            _check_duration(name, header_duration, limits)
            has_audio = bool(container.streams.audio)
            frame = _first_frame(container, stream)
            if frame is None or frame.is_corrupt:
                raise _corrupt(name)
            rotation = _rotation(frame)
            stream_index = stream.index

        # Second pass: count frames and measure the real span of the packets
        # (a header can under-report), without decoding.
        f.seek(0)
        with av.open(f, "r", format=_DEMUXERS[spec.ext]) as container:
            video = container.streams[stream_index]
            wanted = [video, *container.streams.audio]
            max_frames = int(limits.max_video_seconds * limits.max_video_fps) + 1
            count, first, last = 0, None, None
            for packet in container.demux(wanted):
                if packet.dts is None and packet.pts is None:
                    continue  # end-of-stream flush packet
                if packet.stream.index == stream_index:
                    count += 1
                    if count > max_frames:
                        raise MediaRejected(
                            name, "frames",
                            f'"{name}" has more than {max_frames:,} frames; videos may have at most '
                            f"{limits.max_video_fps} frames per second.",
                        )
                ts = packet.pts if packet.pts is not None else packet.dts
                start = float(ts * packet.time_base)
                stop = float((ts + (packet.duration or 0)) * packet.time_base)
                first = start if first is None else min(first, start)
                last = stop if last is None else max(last, stop)
                if last - first > limits.max_video_seconds + _DURATION_SLACK:
                    _check_duration(name, last - first, limits)
    except MediaRejected:
        raise
    except (av.FFmpegError, ValueError, OSError, EOFError, IndexError, KeyError):
        raise _corrupt(name) from None

    if count == 0:
        raise _corrupt(name)
    span = (last - first) if first is not None and last is not None else 0.0
    duration = max(header_duration or 0.0, span)
    _check_duration(name, duration, limits)
    if rotation in (90, 270):
        width, height = height, width
    return MediaInfo(
        kind="video",
        mime_type=spec.mime,
        extension=spec.ext,
        width=width,
        height=height,
        duration_seconds=round(duration, 3),
        frame_count=count,
        size_bytes=size,
        has_audio=has_audio,
    )


# --------------------------------------------------------------------------
# Helpers for derived files


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


_ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_VIDEO_TRANSPOSE = {
    90: Image.Transpose.ROTATE_90,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_270,
}

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _to_srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    """Convert colours to sRGB so the embedded profile can be dropped without
    changing how the picture looks (phones embed Display P3)."""
    if im.mode == "CMYK" and not icc:
        return im.convert("RGB")
    if not icc or im.mode not in ("RGB", "RGBA", "CMYK"):
        return im
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if im.mode != "CMYK" and "srgb" in (ImageCms.getProfileDescription(profile) or "").lower():
            return im
        return ImageCms.profileToProfile(
            im, profile, _SRGB, outputMode="RGBA" if im.mode == "RGBA" else "RGB"
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        return im.convert("RGBA" if im.mode == "RGBA" else "RGB")


def _clean(im: Image.Image) -> Image.Image:
    """A copy carrying pixels only: no EXIF, XMP, ICC, comments, text chunks."""
    out = im.copy()
    keep = {"transparency": out.info["transparency"]} if "transparency" in out.info else {}
    out.info = keep
    return out


def _has_alpha(im: Image.Image) -> bool:
    return im.mode in ("RGBA", "LA", "PA") or (im.mode in ("P", "L", "RGB") and "transparency" in im.info)


def _flatten(im: Image.Image, background: tuple[int, int, int] = (255, 255, 255)) -> Image.Image:
    """RGB (or L) with any transparency composited onto ``background``."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        im = im.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if _has_alpha(im):
        rgba = im.convert("RGBA")
        base = Image.new("RGBA", rgba.size, background + (255,))
        return Image.alpha_composite(base, rgba).convert("RGB")
    if im.mode in ("RGB", "L"):
        return im
    return im.convert("RGB")


_PIL_SAVE_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP", ".gif": "GIF"}
_EXT_TO_PIL = {"jpg": "JPEG", "png": "PNG", "webp": "WEBP", "gif": "GIF"}


def _save_format(dest: str | os.PathLike[str], default: str) -> str:
    return _PIL_SAVE_FORMATS.get(Path(dest).suffix.lower(), default)


def _still_format(dest: str | os.PathLike[str]) -> str:
    """WebP for a ``.webp`` path, JPEG for anything else (thumbnails, posters)."""
    return "WEBP" if Path(dest).suffix.lower() == ".webp" else "JPEG"


def _prepare_for(im: Image.Image, fmt: str) -> Image.Image:
    if fmt == "JPEG":
        return _flatten(im)
    if fmt == "WEBP":
        if im.mode in ("RGB", "RGBA"):
            return im
        return im.convert("RGBA" if _has_alpha(im) else "RGB")
    if fmt == "GIF":
        return im if im.mode in ("P", "L", "RGB", "RGBA") else im.convert("RGBA" if _has_alpha(im) else "RGB")
    if im.mode in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
        return im
    return im.convert("RGBA" if _has_alpha(im) else "RGB")


def _save_image(
    frames: list[Image.Image],
    durations: list[float],
    loop: int | None,
    dest: str | os.PathLike[str],
    fmt: str,
    lossless: bool = False,
) -> None:
    frames = [_clean(_prepare_for(frame, fmt)) for frame in frames]
    options: dict = {}
    if fmt == "JPEG":
        options = {"quality": 92, "optimize": True}
        frames = frames[:1]
    elif fmt == "PNG":
        options = {"compress_level": 6}
    elif fmt == "WEBP":
        options = {"lossless": True} if lossless else {"quality": 90, "method": 4}
    if len(frames) == 1 and "transparency" in frames[0].info and fmt in ("GIF", "PNG"):
        options["transparency"] = frames[0].info["transparency"]
    if len(frames) > 1:
        options.update(save_all=True, append_images=frames[1:], duration=durations)
        if fmt == "GIF":
            options["disposal"] = 2
        if loop is not None:
            options["loop"] = loop
        elif fmt == "WEBP":
            options["loop"] = 1
    with _atomic_output(dest) as tmp:
        frames[0].save(tmp, fmt, **options)


def _image_frames(im: Image.Image, max_frames: int) -> tuple[list[Image.Image], list[float]]:
    """Every frame (composited, upright, sRGB) and its duration in ms."""
    icc = im.info.get("icc_profile")
    count = 1 if im.format == "MPO" else min(getattr(im, "n_frames", 1), max_frames)
    transpose = _ORIENTATION_TRANSPOSE.get(im.getexif().get(0x0112, 1))
    frames, durations = [], []
    for index in range(count):
        im.seek(index)
        if count == 1:
            frame = ImageOps.exif_transpose(im)
        else:
            frame = im.convert("RGBA")
            if transpose is not None:
                frame = frame.transpose(transpose)
        frames.append(_to_srgb(frame, icc))
        durations.append(float(im.info.get("duration") or 100))
    return frames, durations


def _peek(f: IO[bytes], marker: bytes) -> bool:
    f.seek(0)
    return marker in f.read(65_536)


# --------------------------------------------------------------------------
# Derived files


def strip_metadata(
    src_path_or_file: Source,
    dest_path: str | os.PathLike[str],
    info: MediaInfo,
    *,
    limits: MediaLimits = MediaLimits(),
) -> None:
    """Write a copy of an inspected upload without location, camera or
    editing metadata, in the same format (``info.extension``).

    Images are re-encoded from pixel data only: EXIF (GPS, Make/Model), XMP,
    IPTC, comments and text chunks are dropped; EXIF orientation is applied
    first so the picture stays upright; an ICC profile is converted to sRGB
    and dropped; animations keep every frame, its duration and the loop
    count. JPEG is re-encoded at quality 92; PNG and lossless WebP stay
    lossless.

    Videos are remuxed (no re-encoding): the video track and the first audio
    track are copied; container and stream tags (``location``,
    ``com.apple.quicktime.*``, ``creation_time``, ...) and data tracks
    (timed metadata, timecode) are dropped. The display rotation is kept. An
    audio track the container cannot carry is dropped. If remuxing fails
    (broken timestamps) the video is re-encoded instead.
    """
    name = _source_name(src_path_or_file)
    if info.kind == "image":
        _strip_image(src_path_or_file, dest_path, info, name, limits)
    else:
        try:
            _remux_video(src_path_or_file, dest_path, info, name)
        except av.FFmpegError:
            _transcode_video(
                src_path_or_file, dest_path, name, limits,
                out_format="mp4" if info.extension == "mp4" else "webm",
            )


def _strip_image(src: Source, dest: str | os.PathLike[str], info: MediaInfo, name: str, limits: MediaLimits) -> None:
    fmt = _EXT_TO_PIL[info.extension]
    with _pillow_guard(limits.max_pixels), _open_source(src) as f:
        try:
            lossless = info.extension == "png" or (info.extension == "webp" and _peek(f, b"VP8L"))
            f.seek(0)
            im = Image.open(f, formats=_ALL_PIL_FORMATS)
            frames, durations = _image_frames(im, limits.max_gif_frames)
            loop = im.info.get("loop")
            _save_image(frames, durations, loop, dest, fmt, lossless=lossless)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _bomb(name, exc, limits.max_pixels) from None


def _remux_video(src: Source, dest: str | os.PathLike[str], info: MediaInfo, name: str) -> None:
    out_format = "mp4" if info.extension == "mp4" else "webm"
    with _open_source(src) as f, av.open(f, "r") as inp:
        video = _main_video_stream(inp, name)
        audio = inp.streams.audio[0] if inp.streams.audio else None
        with _atomic_output(dest) as tmp:
            options = {"movflags": "+faststart"} if out_format == "mp4" else {}
            with av.open(tmp, "w", format=out_format, options=options) as out:
                mapping = {video.index: out.add_stream_from_template(video, opaque=True)}
                if out_format == "mp4" and _codec_name(video) == "hevc":
                    mapping[video.index].codec_context.codec_tag = "hvc1"  # what Apple players want
                if audio is not None:
                    with contextlib.suppress(ValueError):
                        mapping[audio.index] = out.add_stream_from_template(audio, opaque=True)
                streams = [s for s in (video, audio) if s is not None and s.index in mapping]
                for packet in inp.demux(streams):
                    if packet.dts is None:
                        continue
                    packet.stream = mapping[packet.stream.index]
                    out.mux(packet)


def make_image_thumbnail(
    src: Source,
    dest_path: str | os.PathLike[str],
    max_side: int = 480,
    *,
    limits: MediaLimits = MediaLimits(),
) -> tuple[int, int]:
    """An upright, sRGB, metadata-free thumbnail of the first frame, at most
    ``max_side`` on its longer side (never enlarged). WebP if ``dest_path``
    ends in ``.webp``, otherwise JPEG; transparency goes on white. Returns
    the thumbnail's (width, height)."""
    name = _source_name(src)
    fmt = _still_format(dest_path)
    with _pillow_guard(limits.max_pixels), _open_source(src) as f:
        try:
            im = Image.open(f, formats=_ALL_PIL_FORMATS)
            icc = im.info.get("icc_profile")
            if im.format in ("JPEG", "MPO"):
                im.draft("RGB", (max_side, max_side))  # decode at a reduced scale
            frame = _to_srgb(ImageOps.exif_transpose(im), icc)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _bomb(name, exc, limits.max_pixels) from None
        thumb = _flatten(frame)
        thumb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS, reducing_gap=3.0)
        with _atomic_output(dest_path) as tmp:
            _clean(thumb).save(tmp, fmt, quality=85)
        return thumb.size


def make_video_poster(
    src: Source,
    poster_path: str | os.PathLike[str],
    thumb_path: str | os.PathLike[str],
    thumb_side: int = 480,
) -> tuple[tuple[int, int], tuple[int, int]]:
    """A full-size poster frame (the frame at 1 s, or the first frame for
    shorter clips), upright, as JPEG (WebP if the path ends in ``.webp``),
    plus a thumbnail of it at most ``thumb_side`` on its longer side.
    Returns ((poster width, height), (thumbnail width, height))."""
    name = _source_name(src)
    try:
        with _open_source(src) as f, av.open(f, "r") as container:
            stream = _main_video_stream(container, name)
            chosen = start = None
            decoded = 0
            for frame in container.decode(stream):
                decoded += 1
                if chosen is None:
                    chosen, start = frame, frame.time or 0.0
                elif frame.time is not None and frame.time - start >= 1.0:
                    chosen = frame
                    break
                if decoded > 1000:
                    break
            if chosen is None:
                raise _corrupt(name)
            rotation = _rotation(chosen)
            poster = chosen.to_image()
    except av.FFmpegError:
        raise _corrupt(name) from None
    if rotation:
        poster = poster.transpose(_VIDEO_TRANSPOSE[rotation])
    with _atomic_output(poster_path) as tmp:
        poster.save(tmp, _still_format(poster_path), quality=88)
    thumb = poster.copy()
    thumb.thumbnail((thumb_side, thumb_side), Image.Resampling.LANCZOS, reducing_gap=3.0)
    with _atomic_output(thumb_path) as tmp:
        thumb.save(tmp, _still_format(thumb_path), quality=85)
    return poster.size, thumb.size


# --------------------------------------------------------------------------
# Watermarks

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/local/share/fonts/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/System/Library/Fonts/Supplemental/Arial Unicode.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:\\Windows\\Fonts\\arial.ttf",
)


@functools.lru_cache(maxsize=64)
def _font(size: int, font_path: str | None = None) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in ((font_path,) if font_path else ()) + FONT_CANDIDATES + ("DejaVuSans.ttf",):
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def _line_height(font: ImageFont.FreeTypeFont | ImageFont.ImageFont, size: int) -> int:
    if hasattr(font, "getmetrics"):
        ascent, descent = font.getmetrics()
        return ascent + descent
    return round(size * 1.2)


def _ellipsize(font, text: str, width: float) -> str:
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "…") > width:
        text = text[:-1]
    return (text.rstrip() + "…") if text else ""


def _render_band(
    width: int, height: int, credit: str, mark: str, font_path: str | None = None
) -> Image.Image:
    """An RGBA strip as wide as the picture: a translucent dark band with the
    credit on the left and the program's mark on the right, in white, sized
    to the picture. Two lines when one does not fit; text is shortened with
    an ellipsis only if a line still does not fit."""
    size = max(10, round(min(width, height) * 0.03))
    min_size = 10 if width >= 200 else 8
    credit, mark = credit.strip(), mark.strip()
    lines: list[tuple[str, str]]  # (left text, right text)
    for _ in range(4):
        font = _font(size, font_path)
        pad_x = max(4, round(size * 0.6))
        gap = size * 1.5 if credit and mark else 0
        needed = font.getlength(credit) + font.getlength(mark) + gap + 2 * pad_x
        if needed <= width or size <= min_size:
            break
        size = max(min_size, math.floor(size * (width - 2 * pad_x) / (needed - 2 * pad_x)))
    font = _font(size, font_path)
    pad_x = max(4, round(size * 0.6))
    pad_y = max(3, round(size * 0.4))
    avail = width - 2 * pad_x
    if font.getlength(credit) + font.getlength(mark) + (size * 1.5 if credit and mark else 0) <= avail:
        lines = [(credit, mark)]
    else:
        lines = [(_ellipsize(font, credit, avail), ""), ("", _ellipsize(font, mark, avail))]
        lines = [line for line in lines if line != ("", "")]
    line_h = _line_height(font, size)
    band_h = min(height, len(lines) * line_h + 2 * pad_y)
    band = Image.new("RGBA", (width, band_h), (0, 0, 0, 150))
    draw = ImageDraw.Draw(band)
    for row, (left, right) in enumerate(lines):
        y = pad_y + row * line_h
        if left:
            draw.text((pad_x, y), left, font=font, fill=(255, 255, 255, 255))
        if right:
            draw.text((width - pad_x - font.getlength(right), y), right, font=font, fill=(255, 255, 255, 255))
    return band


def _apply_band(im: Image.Image, band: Image.Image) -> Image.Image:
    position = (0, im.height - band.height)
    if im.mode == "RGBA":
        im.alpha_composite(band, position)
    else:
        im.paste(band, position, band)
    return im


def watermark_image(
    src: Source,
    dest_path: str | os.PathLike[str],
    credit: str,
    mark: str,
    *,
    font_path: str | None = None,
    limits: MediaLimits = MediaLimits(),
) -> None:
    """Write a credited copy: a translucent dark band along the bottom with
    ``credit`` (e.g. "© Ana Lima — @analima") on the left and ``mark`` (e.g.
    "Made with Lumen Beta") on the right, sized to the picture. Same size as
    the upright source; every frame of an animation is marked. The format
    follows ``dest_path``'s extension (.jpg, .png, .webp, .gif), else the
    source's. No metadata is written."""
    name = _source_name(src)
    with _pillow_guard(limits.max_pixels), _open_source(src) as f:
        try:
            im = Image.open(f, formats=_ALL_PIL_FORMATS)
            source_format = "JPEG" if im.format == "MPO" else im.format
            fmt = _save_format(dest_path, source_format)
            frames, durations = _image_frames(im, limits.max_gif_frames)
            loop = im.info.get("loop")
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _bomb(name, exc, limits.max_pixels) from None
        if fmt == "JPEG":
            frames = frames[:1]
        band = _render_band(frames[0].width, frames[0].height, credit, mark, font_path)
        marked = []
        for frame in frames:
            if frame.mode not in ("RGB", "RGBA"):
                frame = frame.convert("RGBA" if _has_alpha(frame) else "RGB")
            marked.append(_apply_band(frame, band))
        _save_image(marked, durations, loop, dest_path, fmt)


def watermark_video(
    src: Source,
    dest_path: str | os.PathLike[str],
    credit: str,
    mark: str,
    limits: MediaLimits = MediaLimits(),
    *,
    font_path: str | None = None,
) -> None:
    """Write a credited copy of a video with the same band as
    ``watermark_image`` burnt into every frame.

    Output is always MP4: H.264 (libx264, yuv420p) at the source's display
    size (rotation applied; an odd width or height loses one pixel row or
    column) and timestamps, and AAC audio: an AAC or MP3 track is copied,
    any other (Opus, Vorbis, PCM) is re-encoded to AAC, and a track that
    cannot be read is dropped. Name ``dest_path`` ``.mp4``.

    Raises ``MediaRejected`` (``"resolution"`` or ``"duration"``) for clips
    over the limits, checked before encoding and again while decoding."""
    name = _source_name(src)
    _transcode_video(src, dest_path, name, limits, out_format="mp4", band_text=(credit, mark), font_path=font_path)


def _transcode_video(
    src: Source,
    dest: str | os.PathLike[str],
    name: str,
    limits: MediaLimits,
    out_format: str = "mp4",
    band_text: tuple[str, str] | None = None,
    font_path: str | None = None,
) -> None:
    try:
        with _open_source(src) as f:
            with av.open(f, "r") as probe:
                stream = _main_video_stream(probe, name)
                _check_video_resolution(name, stream.codec_context.width, stream.codec_context.height, limits)
                _check_duration(name, _header_duration(probe, stream), limits)
                first = _first_frame(probe, stream)
                if first is None:
                    raise _corrupt(name)
                rotation = _rotation(first)
                index = stream.index
            f.seek(0)
            with av.open(f, "r") as inp:
                _encode(inp, inp.streams[index], rotation, dest, name, limits, out_format, band_text, font_path)
    except MediaRejected:
        raise
    except av.FFmpegError:
        raise _corrupt(name) from None


def _encode(
    inp: av.container.InputContainer,
    video: av.video.stream.VideoStream,
    rotation: int,
    dest: str | os.PathLike[str],
    name: str,
    limits: MediaLimits,
    out_format: str,
    band_text: tuple[str, str] | None,
    font_path: str | None,
) -> None:
    width, height = video.codec_context.width, video.codec_context.height
    if rotation in (90, 270):
        width, height = height, width
    out_w, out_h = width - width % 2, height - height % 2
    rate = video.average_rate or video.guessed_rate or Fraction(30)
    time_base = video.time_base or Fraction(1, 90_000)
    band = _render_band(out_w, out_h, *band_text, font_path) if band_text else None
    audio = inp.streams.audio[0] if inp.streams.audio else None

    with _atomic_output(dest) as tmp:
        options = {"movflags": "+faststart"} if out_format == "mp4" else {}
        with av.open(tmp, "w", format=out_format, options=options) as out:
            encoder = "libx264" if out_format == "mp4" else "libvpx-vp9"
            ovideo = out.add_stream(encoder, rate=rate)
            ovideo.width, ovideo.height, ovideo.pix_fmt = out_w, out_h, "yuv420p"
            ovideo.codec_context.time_base = time_base
            if encoder == "libx264":
                ovideo.options = {"preset": "veryfast", "crf": "20"}
            else:
                ovideo.options = {"deadline": "realtime", "cpu-used": "8", "crf": "32", "b": "0"}

            oaudio, audio_mode = None, None
            if audio is not None:
                copyable = ("aac", "mp3") if out_format == "mp4" else ("opus", "vorbis")
                try:
                    if _codec_name(audio) in copyable:
                        oaudio, audio_mode = out.add_stream_from_template(audio, opaque=True), "copy"
                    else:
                        ctx = audio.codec_context
                        oaudio = out.add_stream(
                            "aac" if out_format == "mp4" else "libopus",
                            rate=ctx.sample_rate if out_format == "mp4" else 48_000,
                        )
                        oaudio.layout = "stereo" if ctx.channels >= 2 else "mono"
                        audio_mode = "encode"
                except (ValueError, av.FFmpegError):
                    oaudio, audio_mode = None, None

            last_pts = first_pts = None
            step = max(1, round(1 / (rate * time_base))) if rate else 1
            streams = [video] + ([audio] if audio_mode else [])
            for packet in inp.demux(streams):
                if packet.stream.index != video.index:
                    if audio_mode == "copy":
                        if packet.dts is None:
                            continue
                        packet.stream = oaudio
                        out.mux(packet)
                    else:
                        try:
                            decoded = packet.decode()
                        except av.FFmpegError:
                            continue  # a damaged audio packet: skip it, keep the picture
                        for frame in decoded:
                            out.mux(oaudio.encode(frame))
                    continue
                for frame in packet.decode():
                    pts = frame.pts
                    if pts is None:
                        pts = 0 if last_pts is None else last_pts + step
                    if last_pts is not None and pts <= last_pts:
                        pts = last_pts + 1
                    if first_pts is None:
                        first_pts = pts
                    _check_duration(name, float((pts - first_pts) * time_base), limits)
                    last_pts = pts
                    picture = frame.to_image()
                    if rotation:
                        picture = picture.transpose(_VIDEO_TRANSPOSE[rotation])
                    if picture.size != (out_w, out_h):
                        if picture.width >= out_w and picture.height >= out_h and (
                            picture.width - out_w <= 1 and picture.height - out_h <= 1
                        ):
                            picture = picture.crop((0, 0, out_w, out_h))
                        else:
                            picture = picture.resize((out_w, out_h))
                    if band is not None:
                        picture = _apply_band(picture, band)
                    new_frame = av.VideoFrame.from_image(picture)
                    new_frame.pts = pts
                    new_frame.time_base = time_base
                    out.mux(ovideo.encode(new_frame))
            if last_pts is None:
                raise _corrupt(name)
            out.mux(ovideo.encode(None))
            if audio_mode == "encode":
                out.mux(oaudio.encode(None))
