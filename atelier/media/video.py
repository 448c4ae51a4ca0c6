"""Short videos (MP4 family, WebM) on PyAV: checking an upload (container,
one video track with a supported codec, resolution, duration, frame rate, a
decoded first frame), metadata-free remuxes, poster frames and re-encoding.

Re-encoded video (``_transcode_video``) is MP4 with H.264 video and AAC audio
unless asked for WebM; ``band`` draws what to burn into every frame (the
watermark, see watermark.py)."""

from __future__ import annotations

import contextlib
import os
import struct
from fractions import Fraction
from typing import IO, TYPE_CHECKING, Callable

import av
from PIL import Image

from atelier.media.containers import _contains_zip, _is_padding, _mp4_end, _webm_end
from atelier.media.errors import MediaRejected, _corrupt, _Corrupt, _fmt_seconds, _hidden_zip, _trailing
from atelier.media.files import Source, _atomic_output, _open_source, _source_name
from atelier.media.images import _apply_band, _still_format
from atelier.media.limits import MediaInfo, MediaLimits

if TYPE_CHECKING:
    from atelier.media.sniffing import _Format


_VIDEO_CODECS = {
    "mp4": ("h264", "hevc", "av1", "mpeg4", "vp9"),
    "webm": ("vp8", "vp9", "av1"),
}
_CODEC_LABELS = {
    "h264": "H.264", "hevc": "HEVC", "av1": "AV1",
    "mpeg4": "MPEG-4", "vp8": "VP8", "vp9": "VP9",
}
_DEMUXERS = {"mp4": "mov", "webm": "matroska"}
# Container durations are rounded; a clip this much over the limit still passes.
_DURATION_SLACK = 0.1
_VIDEO_TRANSPOSE = {
    90: Image.Transpose.ROTATE_90,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_270,
}


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


def _transcode_video(
    src: Source,
    dest: str | os.PathLike[str],
    name: str,
    limits: MediaLimits,
    out_format: str = "mp4",
    band: Callable[[int, int], Image.Image] | None = None,
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
                _encode(inp, inp.streams[index], rotation, dest, name, limits, out_format, band)
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
    band: Callable[[int, int], Image.Image] | None,
) -> None:
    width, height = video.codec_context.width, video.codec_context.height
    if rotation in (90, 270):
        width, height = height, width
    out_w, out_h = width - width % 2, height - height % 2
    rate = video.average_rate or video.guessed_rate or Fraction(30)
    time_base = video.time_base or Fraction(1, 90_000)
    strip = band(out_w, out_h) if band else None  # the band, drawn once at the output size
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
                    if strip is not None:
                        picture = _apply_band(picture, strip)
                    new_frame = av.VideoFrame.from_image(picture)
                    new_frame.pts = pts
                    new_frame.time_base = time_base
                    out.mux(ovideo.encode(new_frame))
            if last_pts is None:
                raise _corrupt(name)
            out.mux(ovideo.encode(None))
            if audio_mode == "encode":
                out.mux(oaudio.encode(None))
