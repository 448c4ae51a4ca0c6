"""Credited, watermarked copies: a translucent dark band along the bottom with
the credit on the left and the program's mark on the right, sized to the
picture, on every frame of an image, animation or video."""

from __future__ import annotations

import functools
import math
import os

from PIL import Image, ImageDraw, ImageFont

from atelier.media.errors import _bomb
from atelier.media.files import Source, _open_source, _source_name
from atelier.media.images import (
    _ALL_PIL_FORMATS, _apply_band, _has_alpha, _image_frames, _pillow_guard, _save_format, _save_image,
)
from atelier.media.limits import MediaLimits
from atelier.media.video import _transcode_video


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
    _transcode_video(
        src, dest_path, name, limits, out_format="mp4",
        band=lambda width, height: _render_band(width, height, credit, mark, font_path),
    )
