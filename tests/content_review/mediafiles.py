"""Small, fast test media for content-review tests: real images and videos
(with the metadata a phone or camera would leave in them) and bad files
(truncated, decompression bombs, polyglots). No Django imports.

Every maker writes to ``path`` and returns it (as a ``Path``).
"""

from __future__ import annotations

import io
import math
import struct
import zipfile
import zlib
from fractions import Fraction
from pathlib import Path

import av
from PIL import ExifTags, Image, ImageChops, ImageCms, ImageDraw

GPS_LATITUDE = (38.0, 42.0, 1.5)
GPS_LONGITUDE = (9.0, 8.0, 3.25)
CAMERA_MAKE = "Canon"
CAMERA_MODEL = "EOS R5"
VIDEO_LOCATION = "+38.7100-009.1400/"
VIDEO_CREATION_TIME = "2024-05-01T10:00:00.000000Z"


def pattern(w: int, h: int, mode: str = "RGB", shift: int = 0) -> Image.Image:
    """A colourful, non-uniform picture (gradients plus a few shapes)."""
    gx = Image.linear_gradient("L").rotate(90).resize((w, h))
    gy = Image.linear_gradient("L").resize((w, h))
    gr = Image.radial_gradient("L").resize((w, h))
    im = Image.merge("RGB", (gx, gy, gr))
    if shift:
        im = ImageChops.offset(im, shift, shift // 2)
    draw = ImageDraw.Draw(im)
    for i in range(4):
        x0 = (i * w) // 5 + 2
        y0 = (i * h) // 7 + 2
        draw.rectangle(
            (x0, y0, x0 + max(2, w // 8), y0 + max(2, h // 8)),
            fill=(255 - 60 * i, 40 * i, 120),
        )
    if mode != "RGB":
        im = im.convert(mode)
    return im


def camera_exif(gps: bool = True, orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = CAMERA_MAKE
    exif[ExifTags.Base.Model] = CAMERA_MODEL
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Software] = "PhoneCam 1.0"
    if gps:
        ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        ifd[ExifTags.GPS.GPSLatitudeRef] = "N"
        ifd[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
        ifd[ExifTags.GPS.GPSLongitudeRef] = "W"
        ifd[ExifTags.GPS.GPSLongitude] = GPS_LONGITUDE
    return exif


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def make_jpeg(
    path, w: int = 64, h: int = 48, exif_gps: bool = True, orientation: int = 1
) -> Path:
    """A JPEG with camera EXIF (Make/Model, optional GPS IFD), XMP, a comment
    and an ICC profile."""
    path = Path(path)
    pattern(w, h).save(
        path,
        "JPEG",
        quality=90,
        exif=camera_exif(gps=exif_gps, orientation=orientation),
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">creator: Ana</x:xmpmeta>',
        comment=b"shot at home",
        icc_profile=srgb_icc(),
    )
    return path


def make_png(path, w: int = 64, h: int = 48, mode: str = "RGB") -> Path:
    """A PNG with an eXIf chunk (GPS, Make/Model) and a text chunk."""
    from PIL import PngImagePlugin

    path = Path(path)
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "made at 38.71N 9.14W")
    pattern(w, h, mode=mode).save(path, "PNG", pnginfo=info, exif=camera_exif())
    return path


def make_webp(path, w: int = 64, h: int = 48, frames: int = 1) -> Path:
    """A WebP (animated if frames > 1) with EXIF."""
    path = Path(path)
    images = [pattern(w, h, shift=i * 7) for i in range(frames)]
    kwargs = {}
    if frames > 1:
        kwargs = dict(save_all=True, append_images=images[1:], duration=80, loop=0)
    images[0].save(path, "WEBP", quality=80, exif=camera_exif(), **kwargs)
    return path


def make_gif(
    path, frames: int = 3, w: int = 64, h: int = 48, duration_ms: int = 100
) -> Path:
    """A looping GIF with ``frames`` frames of ``duration_ms`` each, and a comment."""
    path = Path(path)
    images = [pattern(w, h, shift=i * 5).convert("P") for i in range(frames)]
    images[0].save(
        path,
        "GIF",
        save_all=frames > 1,
        append_images=images[1:],
        duration=duration_ms,
        loop=0,
        comment=b"made at 38.71N 9.14W",
    )
    return path


def _write_video(
    path,
    fmt: str,
    codec: str,
    seconds: float,
    w: int,
    h: int,
    fps: int,
    audio_codec: str | None,
    metadata: dict[str, str] | None,
    options: dict[str, str] | None = None,
    frames: int | None = None,
) -> Path:
    path = Path(path)
    n_frames = frames if frames is not None else max(1, round(seconds * fps))
    with av.open(str(path), "w", format=fmt, options=options or {}) as out:
        if metadata:
            out.metadata.update(metadata)
        vs = out.add_stream(codec, rate=Fraction(fps).limit_denominator(1000))
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        if codec == "libx264":
            vs.options = {"preset": "ultrafast", "crf": "30"}
        elif codec.startswith("libvpx"):
            vs.options = {"deadline": "realtime", "cpu-used": "8", "crf": "40", "b": "0"}
        if metadata:
            vs.metadata.update(metadata)
        aus = None
        if audio_codec:
            aus = out.add_stream(audio_codec, rate=48000 if audio_codec == "libopus" else 44100)
            aus.layout = "mono"
        base = pattern(w + 32, h + 32)
        for i in range(n_frames):
            shifted = ImageChops.offset(base, (i * 3) % 32, (i * 2) % 32).crop((0, 0, w, h))
            frame = av.VideoFrame.from_image(shifted)
            frame.pts = i
            out.mux(vs.encode(frame))
        out.mux(vs.encode(None))
        if aus is not None:
            rate = aus.codec_context.sample_rate
            total = int(seconds * rate)
            chunk = 960 if audio_codec == "libopus" else 1024
            done = 0
            while done < total:
                n = min(chunk, total - done)
                samples = b"".join(
                    struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * (done + k) / rate)))
                    for k in range(n)
                )
                af = av.AudioFrame(format="s16", layout="mono", samples=n)
                af.planes[0].update(samples + b"\0" * (af.planes[0].buffer_size - len(samples)))
                af.sample_rate = rate
                af.pts = done
                out.mux(aus.encode(af))
                done += n
            out.mux(aus.encode(None))
    return path


def make_mp4(
    path,
    seconds: float = 2.0,
    w: int = 320,
    h: int = 240,
    fps: int = 12,
    location: str | None = VIDEO_LOCATION,
    audio: bool = False,
    frames: int | None = None,
    rotate: int = 0,
) -> Path:
    """An H.264 MP4. With ``location`` it carries container and stream metadata a
    phone would write: ``location``, ``com.apple.quicktime.location.ISO6709``
    and ``creation_time``. ``rotate`` (90/180/270) writes a display matrix like
    a phone held upright. ``frames`` overrides seconds*fps (e.g. a 1-frame file)."""
    metadata = None
    options = None
    if location:
        metadata = {
            "location": location,
            "com.apple.quicktime.location.ISO6709": location,
            "com.apple.quicktime.make": "Apple",
            "com.apple.quicktime.model": "iPhone 15",
            "creation_time": VIDEO_CREATION_TIME,
        }
        options = {"movflags": "use_metadata_tags"}
    path = _write_video(
        path, "mp4", "libx264", seconds, w, h, fps,
        "aac" if audio else None, metadata, options, frames,
    )
    if rotate:
        _set_mp4_rotation(path, rotate)
    return path


def make_webm(
    path,
    seconds: float = 2.0,
    w: int = 320,
    h: int = 240,
    fps: int = 12,
    location: str | None = VIDEO_LOCATION,
    audio: bool = False,
    codec: str = "libvpx",
    live: bool = False,
) -> Path:
    """A VP8 (or ``codec="libvpx-vp9"``) WebM with ``location``/``creation_time``
    tags. ``live=True`` writes it as a browser's MediaRecorder does: segment of
    unknown size, no duration in the header."""
    metadata = {"location": location, "creation_time": VIDEO_CREATION_TIME} if location else None
    return _write_video(
        path, "webm", codec, seconds, w, h, fps,
        "libopus" if audio else None, metadata, {"live": "1"} if live else None,
    )


def _set_mp4_rotation(path: Path, degrees: int) -> None:
    """Patch the video track's tkhd matrix, as a phone does for portrait clips."""
    data = bytearray(path.read_bytes())
    pos = data.find(b"tkhd")
    if pos < 0:
        raise ValueError("no tkhd box")
    version = data[pos + 4]
    # after the type: version/flags, times/ids/duration, reserved, layer,
    # alternate group, volume, reserved; then the 3x3 matrix
    matrix = pos + 4 + 4 + (32 if version == 1 else 20) + 8 + 2 + 2 + 2 + 2
    one, minus = 0x10000, (-0x10000) & 0xFFFFFFFF
    w30 = 0x40000000
    values = {
        90: (0, one, 0, minus, 0, 0, 0, 0, w30),
        180: (minus, 0, 0, 0, minus, 0, 0, 0, w30),
        270: (0, minus, 0, one, 0, 0, 0, 0, w30),
    }[degrees]
    data[matrix : matrix + 36] = b"".join(struct.pack(">I", v) for v in values)
    path.write_bytes(bytes(data))


def make_truncated(src, dest, fraction: float = 0.5) -> Path:
    """Copy the first ``fraction`` of ``src`` to ``dest`` (a cut-off upload)."""
    data = Path(src).read_bytes()
    dest = Path(dest)
    dest.write_bytes(data[: int(len(data) * fraction)])
    return dest


def _png_chunk(ctype: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + ctype
        + payload
        + struct.pack(">I", zlib.crc32(ctype + payload) & 0xFFFFFFFF)
    )


def make_png_bomb(path, width: int = 20000, height: int = 20000) -> Path:
    """A valid 1-bit greyscale PNG declaring ``width`` x ``height`` pixels, all
    black: a few tens of KB on disk, hundreds of MB once decoded. Built row by
    row with a streaming compressor, so making it takes well under a second."""
    path = Path(path)
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    comp = zlib.compressobj(9)
    parts = []
    block = row * 256
    for _ in range(height // 256):
        parts.append(comp.compress(block))
    parts.append(comp.compress(row * (height % 256)))
    parts.append(comp.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(_png_chunk(b"IHDR", ihdr))
        f.write(_png_chunk(b"IDAT", b"".join(parts)))
        f.write(_png_chunk(b"IEND", b""))
    return path


def zip_payload() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("index.html", "<html><script>alert(document.cookie)</script></html>")
    return buf.getvalue()


def make_polyglot(path, payload: bytes | None = None, base: str = "png") -> Path:
    """A valid image (PNG by default, or ``base="jpeg"``/``"gif"``) with a ZIP
    archive (or ``payload``) appended after its end marker."""
    path = Path(path)
    maker = {"png": make_png, "jpeg": make_jpeg, "gif": make_gif}[base]
    maker(path)
    with open(path, "ab") as f:
        f.write(zip_payload() if payload is None else payload)
    return path


def make_pdf(path) -> Path:
    path = Path(path)
    path.write_bytes(
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )
    return path


def make_png_with_hidden_zip(path) -> Path:
    """A PNG whose ZIP payload sits in a private chunk *before* IEND, so
    nothing trails the image but unzip tools still find the archive."""
    path = Path(path)
    data = make_png(path).read_bytes()
    iend = data.rindex(b"IEND") - 4
    path.write_bytes(data[:iend] + _png_chunk(b"zzIP", zip_payload()) + data[iend:])
    return path


def make_sparse(path, size: int, head: bytes = b"\x89PNG\r\n\x1a\n") -> Path:
    """A file of ``size`` bytes starting with ``head`` (sparse: instant, no disk)."""
    path = Path(path)
    with open(path, "wb") as f:
        f.write(head)
        f.truncate(size)
    return path
