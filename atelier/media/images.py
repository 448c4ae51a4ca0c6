"""Still and animated images (JPEG, PNG, WebP, GIF) on Pillow: checking an
upload (pixel limits under Pillow's decompression-bomb guard, ``verify()``
and a full decode of every frame), metadata-free copies and thumbnails.

Animated images are limited by ``max_gif_frames`` and by
``max_animation_pixels`` (all frames together), which bounds the time and
memory it takes to check them and to make their derived files."""

from __future__ import annotations

import contextlib
import io
import os
import threading
import warnings
from pathlib import Path
from typing import IO, TYPE_CHECKING, Iterator

from PIL import Image, ImageCms, ImageFile

from atelier.media.containers import _contains_zip, _gif_end, _is_padding, _jpeg_files_end, _png_end, _webp_end
from atelier.media.errors import MediaRejected, _bomb, _corrupt, _Corrupt, _hidden_zip, _trailing
from atelier.media.files import Source, _atomic_output, _open_source, _source_name
from atelier.media.limits import MediaInfo, MediaLimits

if TYPE_CHECKING:
    from atelier.media.sniffing import _Format


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


def _inspect_image(data: bytes, name: str, spec: _Format, limits: MediaLimits) -> MediaInfo:
    with _checked_image(data, name, spec, limits) as (info, _):
        return info


@contextlib.contextmanager
def _checked_image(data: bytes, name: str, spec: _Format,
                   limits: MediaLimits) -> Iterator[tuple[MediaInfo, Image.Image]]:
    """Check an image upload and yield its description with the picture decoded for the check (the last
    frame loaded), under the Pillow guard, so a copy can be written from it without decoding it again."""
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
        yield MediaInfo(
            kind="image",
            mime_type=spec.mime,
            extension=spec.ext,
            width=width,
            height=height,
            duration_seconds=round(total_ms / 1000, 3) if frames > 1 else None,
            frame_count=frames,
            size_bytes=len(data),
        ), im


_ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
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
    """The image carrying pixels only: no EXIF, XMP, ICC, comments, text chunks. The savers read metadata from
    `info` (and from their arguments), so emptying it is enough: the pixels are not copied. Every image passed
    here is our own (decoded or made from a source), never the caller's."""
    im.info = {"transparency": im.info["transparency"]} if "transparency" in im.info else {}
    return im


def _upright(im: Image.Image) -> Image.Image:
    """The picture turned by its EXIF orientation (`ImageOps.exif_transpose`'s pixels), decoded; the image
    itself when it is upright already, rather than exif_transpose's full-frame copy."""
    transpose = _ORIENTATION_TRANSPOSE.get(im.getexif().get(0x0112, 1))
    if transpose is None:
        im.load()
        return im
    return im.transpose(transpose)


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
            frame = _upright(im)
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


def _strip_image(src: Source, dest: str | os.PathLike[str], info: MediaInfo, name: str, limits: MediaLimits) -> None:
    with _pillow_guard(limits.max_pixels), _open_source(src) as f:
        try:
            lossless = info.extension == "png" or (info.extension == "webp" and _peek(f, b"VP8L"))
            f.seek(0)
            _write_stripped(Image.open(f, formats=_ALL_PIL_FORMATS), dest, info, limits, lossless=lossless)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _bomb(name, exc, limits.max_pixels) from None


def _write_stripped(im: Image.Image, dest: str | os.PathLike[str], info: MediaInfo, limits: MediaLimits, *,
                    lossless: bool) -> None:
    """The metadata-free copy of `im` (opened, or already decoded by the check), in the upload's format."""
    frames, durations = _image_frames(im, limits.max_gif_frames)
    _save_image(frames, durations, im.info.get("loop"), dest, _EXT_TO_PIL[info.extension], lossless=lossless)


def _inspect_and_strip_image(data: bytes, name: str, spec: _Format, dest: str | os.PathLike[str],
                             limits: MediaLimits) -> MediaInfo:
    """`_inspect_image` then `_strip_image` with one decode: the copy is written from the picture the check
    decoded (for an animation, whose frames were decoded one after another, the frames are read again)."""
    with _checked_image(data, name, spec, limits) as (info, im):
        lossless = info.extension == "png" or (info.extension == "webp" and b"VP8L" in data[:65_536])
        try:
            _write_stripped(im, dest, info, limits, lossless=lossless)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _bomb(name, exc, limits.max_pixels) from None
    return info


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
            thumb = _to_srgb(_upright(im), icc)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _bomb(name, exc, limits.max_pixels) from None
        # RGB(A) and L(A) are resized before transparency goes on white (Pillow resizes RGBA premultiplied, so
        # the result is the same), the compositing then works on the small picture. Palettes, colour keys and
        # 16-bit greys are flattened first: Pillow resizes those with nearest-neighbour or not at all.
        if not (thumb.mode in ("RGBA", "LA") or (thumb.mode in ("RGB", "L") and "transparency" not in thumb.info)):
            thumb = _flatten(thumb)
        thumb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS, reducing_gap=3.0)
        thumb = _flatten(thumb)
        with _atomic_output(dest_path) as tmp:
            _clean(thumb).save(tmp, fmt, quality=85)
        return thumb.size


def _apply_band(im: Image.Image, band: Image.Image) -> Image.Image:
    position = (0, im.height - band.height)
    if im.mode == "RGBA":
        im.alpha_composite(band, position)
    else:
        im.paste(band, position, band)
    return im
