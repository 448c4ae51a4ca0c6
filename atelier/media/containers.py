"""Structure walkers: where an image or video really ends (for truncation and
appended payloads such as ZIP/HTML polyglots), and whether a ZIP archive hides
inside, without decoding anything."""

from __future__ import annotations

import struct
from typing import IO

from atelier.media.errors import _Corrupt


# Bytes after an image's or video's end that are not padding (NUL, 0xFF,
# whitespace) are refused beyond this many: enough for sloppy writers, too few
# for an archive or a script.
_TRAILING_SLACK = 8
_PADDING = b"\x00\xff \t\r\n"


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
