"""The two entry points that take any upload, image or video:
``inspect_upload`` decides whether it is acceptable and describes it;
``strip_metadata`` writes a copy without location, camera or editing
metadata. Both hand the work to images.py or video.py by the content's kind.

A file whose name contradicts its content (a PNG named ``.jpg``) is refused
(rule ``"mismatch"``) with a message that names the real type, so the name an
artist sees, stores and shares always matches what is inside. A name with no
extension is refused the same way."""

from __future__ import annotations

import os
from typing import IO

import av

from atelier.media.errors import MediaRejected, _corrupt, _fmt_mb
from atelier.media.files import Source, _display_name, _source_name
from atelier.media.images import _inspect_and_strip_image, _inspect_image, _strip_image
from atelier.media.limits import MediaInfo, MediaLimits
from atelier.media.sniffing import _ACCEPTED, _EXTENSIONS, _FORMATS, _describe_other, _extension, _sniff
from atelier.media.video import _inspect_video, _remux_video, _transcode_video


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


def _inspect(f: IO[bytes], name: str, limits: MediaLimits,
             strip_to: str | os.PathLike[str] | None = None) -> MediaInfo:
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
        if strip_to is not None:
            return _inspect_and_strip_image(data, name, spec, strip_to, limits)
        return _inspect_image(data, name, spec, limits)
    info = _inspect_video(f, name, spec, size, limits)
    if strip_to is not None:
        strip_metadata(f, strip_to, info, limits=limits)
    return info


def inspect_and_strip(
    fileobj: IO[bytes],
    filename: str,
    dest_path: str | os.PathLike[str],
    limits: MediaLimits = MediaLimits(),
) -> MediaInfo:
    """``inspect_upload`` then ``strip_metadata`` into ``dest_path``, with the
    same checks, errors and output, but an image is decoded once: the copy is
    written from the picture the check decoded, not from a second decode of
    the file. Nothing is written if the upload is refused."""
    name = _display_name(filename)
    try:
        return _inspect(fileobj, name, limits, strip_to=dest_path)
    finally:
        fileobj.seek(0)


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
