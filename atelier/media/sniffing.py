"""Recognising content from its first bytes: the formats Atelier accepts,
the names that go with them, and what an unsupported file looks like (for
the message: "its content is a PDF").

Aliases are fine: ``.jpeg``/``.jpe``/``.jfif`` for JPEG, ``.m4v``/``.mov``
for the MP4 family."""

from __future__ import annotations

from dataclasses import dataclass


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


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[1].lower() if "." in name.strip(".") else ""


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
