"""Rules for uploaded works and their derived files (atelier.media).

Runs without Django: pytest tests/content_review/test_media.py -p no:django
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import random
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest
from PIL import ExifTags, Image, ImageFont, ImageStat

from atelier.media import (
    MediaInfo,
    MediaLimits,
    MediaRejected,
    inspect_and_strip,
    inspect_upload,
    make_image_thumbnail,
    make_video_poster,
    strip_metadata,
    watermark_image,
    watermark_video,
)
from atelier.media.watermark import _font, _render_band
from tests.content_review import mediafiles as mf

CREDIT = "© Ana Lima — @analima"
MARK = "Made with Lumen Beta"


def inspect(path, name: str | None = None, limits: MediaLimits = MediaLimits()) -> MediaInfo:
    with open(path, "rb") as f:
        return inspect_upload(f, name or Path(path).name, limits)


def rejection(path, name: str | None = None, limits: MediaLimits = MediaLimits()) -> MediaRejected:
    with pytest.raises(MediaRejected) as caught:
        inspect(path, name, limits)
    return caught.value


def probe(path) -> dict:
    """What a player sees: decoded frame count, size, duration, tags."""
    with av.open(str(path)) as c:
        video = c.streams.video[0]
        frames = list(c.decode(video))
        tags = dict(c.metadata)
        for s in c.streams:
            tags.update(s.metadata)
        return {
            "frames": len(frames),
            "size": (frames[0].width, frames[0].height),
            "rotation": frames[0].rotation,
            "duration": c.duration / av.time_base,
            "tags": tags,
            "audio": c.streams.audio[0].codec_context.name if c.streams.audio else None,
            "format": c.format.name,
            "last": frames[-1].to_image(),
        }


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    """Files shared by several tests, made once."""
    d = tmp_path_factory.mktemp("media")
    mf.make_mp4(d / "clip.mp4", seconds=2, w=320, h=240, fps=12, audio=True)
    mf.make_webm(d / "clip.webm", seconds=2, w=320, h=240, fps=12, audio=True)
    mf.make_mp4(d / "upright.mp4", seconds=1, w=320, h=240, fps=10, rotate=90)
    mf.make_mp4(d / "wide.mp4", w=2000, h=1200, fps=1, frames=1, location=None)
    mf.make_mp4(d / "long.mp4", seconds=75, w=64, h=48, fps=1, location=None)
    mf.make_jpeg(d / "photo.jpg", w=600, h=400)
    return d


# --------------------------------------------------------------------------
# Accepted uploads


@pytest.mark.parametrize(
    "maker, name, ext, mime",
    [
        (mf.make_jpeg, "photo.jpg", "jpg", "image/jpeg"),
        (mf.make_png, "drawing.png", "png", "image/png"),
        (mf.make_webp, "sketch.webp", "webp", "image/webp"),
        (lambda p: mf.make_gif(p, frames=1), "still.gif", "gif", "image/gif"),
    ],
)
def test_each_image_type_is_accepted_with_its_details(tmp_path, maker, name, ext, mime):
    path = maker(tmp_path / name)
    info = inspect(path)
    assert info == MediaInfo(
        kind="image", mime_type=mime, extension=ext, width=64, height=48,
        duration_seconds=None, frame_count=1, size_bytes=path.stat().st_size,
    )


@pytest.mark.parametrize("maker, name", [(mf.make_gif, "loop.gif"), (mf.make_webp, "loop.webp")])
def test_animations_report_frames_and_total_duration(tmp_path, maker, name):
    path = maker(tmp_path / name, frames=5)
    info = inspect(path)
    assert info.kind == "image" and info.frame_count == 5
    assert info.duration_seconds == pytest.approx(0.5 if name.endswith(".gif") else 0.4)


def test_jpeg_taken_sideways_reports_upright_size(tmp_path):
    info = inspect(mf.make_jpeg(tmp_path / "p.jpg", w=64, h=48, orientation=6))
    assert (info.width, info.height) == (48, 64)


@pytest.mark.parametrize("name, ext", [("clip.mp4", "mp4"), ("clip.webm", "webm")])
def test_mp4_and_webm_videos_are_accepted_with_their_details(files, name, ext):
    info = inspect(files / name)
    assert info.kind == "video" and info.extension == ext and info.mime_type == f"video/{ext}"
    assert (info.width, info.height) == (320, 240)
    assert info.frame_count == 24
    assert info.duration_seconds == pytest.approx(2.0, abs=0.1)
    assert info.has_audio
    assert info.size_bytes == (files / name).stat().st_size


def test_phone_video_recorded_upright_reports_display_size(files):
    info = inspect(files / "upright.mp4")
    assert (info.width, info.height) == (240, 320)


def test_upright_1080x1920_video_is_within_limits(tmp_path):
    path = mf.make_mp4(tmp_path / "story.mp4", w=1080, h=1920, fps=1, frames=1, location=None)
    assert (inspect(path).width, inspect(path).height) == (1080, 1920)


@pytest.mark.parametrize("name", ["photo.jpeg", "photo.JPG", "photo.jfif"])
def test_usual_jpeg_extensions_are_accepted(tmp_path, name):
    assert inspect(mf.make_jpeg(tmp_path / "x.jpg"), name).extension == "jpg"


def test_phone_jpeg_with_extra_pictures_is_one_still_image(tmp_path):
    # MPF/MPO: phones and cameras append depth maps or HDR gain maps after the
    # main picture; that trailing data is JPEG, not a payload.
    path = tmp_path / "IMG_2.jpg"
    mf.pattern(64, 48).save(path, "MPO", save_all=True, append_images=[mf.pattern(32, 24)])
    info = inspect(path)
    assert (info.extension, info.frame_count, info.width) == ("jpg", 1, 64)
    strip_metadata(path, tmp_path / "clean.jpg", info)
    assert Image.open(tmp_path / "clean.jpg").format == "JPEG"


@pytest.mark.parametrize("mode, options", [("RGB", {"progressive": True}), ("CMYK", {}), ("L", {})])
def test_progressive_cmyk_and_grey_jpegs_are_accepted(tmp_path, mode, options):
    path = tmp_path / "p.jpg"
    mf.pattern(300, 200, mode=mode).save(path, "JPEG", **options)
    info = inspect(path)
    assert (info.width, info.height) == (300, 200)
    strip_metadata(path, tmp_path / "c.jpg", info)
    assert Image.open(tmp_path / "c.jpg").mode in ("RGB", "L")


def test_browser_recorded_webm_without_duration_is_measured(tmp_path):
    # MediaRecorder writes live WebM: unknown segment size, no duration header
    path = mf.make_webm(tmp_path / "rec.webm", seconds=2, w=160, h=120, fps=10, live=True)
    with av.open(str(path)) as c:
        assert c.duration is None
    info = inspect(path)
    assert info.frame_count == 20 and info.duration_seconds == pytest.approx(2.0, abs=0.15)


def test_mov_name_is_accepted_for_mp4_content(files):
    assert inspect(files / "clip.mp4", "IMG_0042.MOV").extension == "mp4"


def test_inspection_rewinds_the_file_whatever_the_outcome(tmp_path):
    good = mf.make_png(tmp_path / "a.png").read_bytes()
    for data, name, accepted in [(good, "a.png", True), (good, "a.jpg", False), (b"%PDF-1.4 x", "a.png", False)]:
        f = io.BytesIO(data)
        f.seek(5)
        with contextlib.nullcontext() if accepted else pytest.raises(MediaRejected):
            inspect_upload(f, name)
        assert f.tell() == 0


# --------------------------------------------------------------------------
# Type by content


def test_type_comes_from_content_not_from_the_name(tmp_path):
    err = rejection(mf.make_pdf(tmp_path / "holiday.png"))
    assert err.rule == "type" and err.filename == "holiday.png"
    assert str(err) == '"holiday.png" is not a JPEG, PNG, WebP, GIF, MP4 or WebM file (its content is a PDF).'


def test_iphone_heic_photo_is_named_for_what_it_is(tmp_path):
    path = tmp_path / "IMG_1.jpg"
    path.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 100)
    err = rejection(path)
    assert err.rule == "type" and "HEIC" in str(err)


def test_jpeg_named_png_is_refused_as_mismatch_naming_the_real_type(tmp_path):
    err = rejection(mf.make_jpeg(tmp_path / "photo.png"))
    assert err.rule == "mismatch"
    assert str(err) == (
        '"photo.png" is a JPEG image, but its name ends in .png. '
        "Rename it to end in .jpg and upload it again."
    )


def test_webm_named_mp4_is_a_mismatch(files):
    err = rejection(files / "clip.webm", "clip.mp4")
    assert err.rule == "mismatch" and "WebM video" in str(err)


def test_file_without_extension_is_a_mismatch(tmp_path):
    err = rejection(mf.make_png(tmp_path / "scan"))
    assert err.rule == "mismatch" and "no extension" in str(err)


def test_empty_file_is_refused(tmp_path):
    (tmp_path / "e.png").write_bytes(b"")
    assert rejection(tmp_path / "e.png").rule == "corrupt"


# --------------------------------------------------------------------------
# Size, pixels, frames


def test_oversized_image_is_refused_by_its_size_first(tmp_path):
    err = rejection(mf.make_sparse(tmp_path / "big.png", 48_000_000))
    assert err.rule == "size"
    assert str(err) == '"big.png" is 48 MB; the limit for images is 20 MB.'


def test_oversized_video_is_refused(tmp_path):
    err = rejection(mf.make_sparse(tmp_path / "huge.mp4", 200_000_001, b"\0\0\0\x18ftypisom"))
    assert err.rule == "size"
    assert str(err) == '"huge.mp4" is 200.1 MB; the limit for videos is 200 MB.'


def test_decompression_bomb_is_refused_by_pixel_count(tmp_path):
    path = mf.make_png_bomb(tmp_path / "bomb.png", 18000, 10000)
    assert path.stat().st_size < 100_000
    started = time.perf_counter()
    err = rejection(path)
    assert time.perf_counter() - started < 1.0
    assert err.rule == "pixels"
    assert str(err) == '"bomb.png" has 180,000,000 pixels; the limit is 40,000,000.'


def test_decompression_bomb_is_refused_without_using_much_memory(tmp_path):
    """A fresh process, so its peak memory is the bomb check's own."""
    path = mf.make_png_bomb(tmp_path / "bomb.png", 20000, 20000)  # 400 MB decoded
    code = (
        "import resource, sys; import atelier\n"
        # The atelier package's Celery app loads a little of Django; the media package must add none.
        "before = {m for m in sys.modules if m.split('.')[0] == 'django'}\n"
        "from atelier.media import inspect_upload, MediaRejected\n"
        f"f = open({str(path)!r}, 'rb')\n"
        "try:\n    inspect_upload(f, 'bomb.png'); print('accepted')\n"
        "except MediaRejected as e:\n    print(e.rule)\n"
        # ru_maxrss survives fork+exec (it would report the big pytest parent); VmHWM is this process's own.
        "import os\n"
        "hwm = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')] if os.path.exists('/proc/self/status') else []\n"
        "print(hwm[0] if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
        "print(any(m.split('.')[0] == 'django' and m not in before for m in sys.modules))\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60, check=True
    ).stdout.split()
    assert out[0] == "pixels"
    assert int(out[1]) < 200_000  # KB: far below the 400 MB a decode would take
    assert out[2] == "False"  # the media package imports no Django of its own


def test_image_just_over_the_pixel_limit_is_refused(tmp_path):
    # 49 M pixels: under twice the limit, where Pillow would only warn
    err = rejection(mf.make_png_bomb(tmp_path / "wide.png", 7000, 7000))
    assert err.rule == "pixels" and "49,000,000 pixels" in str(err)


def test_image_too_long_on_one_side_is_refused(tmp_path):
    err = rejection(mf.make_png_bomb(tmp_path / "strip.png", 13000, 100))
    assert err.rule == "resolution" and "12,000" in str(err)


def test_too_many_animation_frames_are_refused(tmp_path):
    path = mf.make_gif(tmp_path / "long.gif", frames=6, w=8, h=8)
    err = rejection(path, limits=MediaLimits(max_gif_frames=5))
    assert err.rule == "frames" and "6 frames" in str(err)


# --------------------------------------------------------------------------
# Damaged files and polyglots


@pytest.mark.parametrize("maker, name", [(mf.make_jpeg, "cut.jpg"), (mf.make_png, "cut.png"), (mf.make_gif, "cut.gif"), (mf.make_webp, "cut.webp")])
def test_truncated_image_is_refused_as_corrupt(tmp_path, maker, name):
    whole = maker(tmp_path / f"whole-{name}", w=300, h=200)
    err = rejection(mf.make_truncated(whole, tmp_path / name))
    assert err.rule == "corrupt"
    assert str(err) == f'"{name}" is damaged or truncated and cannot be read.'


def test_damaged_png_data_is_refused_as_corrupt(tmp_path):
    data = bytearray(mf.make_png(tmp_path / "a.png", w=300, h=200).read_bytes())
    idat = data.index(b"IDAT")
    data[idat + 40 : idat + 60] = b"\xaa" * 20  # structure intact, pixels broken
    (tmp_path / "b.png").write_bytes(bytes(data))
    assert rejection(tmp_path / "b.png").rule == "corrupt"


@pytest.mark.parametrize("base, name", [("png", "poly.png"), ("jpeg", "poly.jpg"), ("gif", "poly.gif")])
def test_image_with_zip_appended_is_refused(tmp_path, base, name):
    err = rejection(mf.make_polyglot(tmp_path / name, base=base))
    assert err.rule == "type" and "data after the image" in str(err)


def test_image_with_html_appended_is_refused(tmp_path):
    err = rejection(mf.make_polyglot(tmp_path / "p.png", payload=b"<html><script>alert(1)</script>"))
    assert err.rule == "type"


def test_zip_hidden_inside_an_image_chunk_is_refused(tmp_path):
    err = rejection(mf.make_png_with_hidden_zip(tmp_path / "p.png"))
    assert err.rule == "type" and "ZIP" in str(err)


def test_motion_photo_is_refused_with_advice(tmp_path, files):
    clip = (files / "clip.mp4").read_bytes()
    err = rejection(mf.make_polyglot(tmp_path / "PXL_1.jpg", base="jpeg", payload=clip))
    assert err.rule == "type" and "motion photo" in str(err)


def test_a_few_padding_bytes_after_the_image_are_tolerated(tmp_path):
    path = mf.make_polyglot(tmp_path / "p.jpg", base="jpeg", payload=b"\0" * 300 + b"\r\n")
    assert inspect(path).extension == "jpg"


def test_video_with_zip_appended_is_refused(tmp_path, files):
    path = tmp_path / "poly.mp4"
    path.write_bytes((files / "clip.mp4").read_bytes() + mf.zip_payload())
    err = rejection(path)
    assert err.rule == "type" and "data after the video" in str(err)


def test_random_bytes_named_mp4_are_refused_as_corrupt(tmp_path):
    (tmp_path / "clip.mp4").write_bytes(random.Random(7).randbytes(50_000))
    assert rejection(tmp_path / "clip.mp4").rule == "corrupt"


def test_mp4_header_followed_by_garbage_is_refused_as_corrupt(tmp_path):
    (tmp_path / "clip.mp4").write_bytes(b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2" + random.Random(8).randbytes(50_000))
    assert rejection(tmp_path / "clip.mp4").rule == "corrupt"


@pytest.mark.parametrize("name", ["clip.mp4", "clip.webm"])
def test_truncated_video_is_refused_as_corrupt(tmp_path, files, name):
    err = rejection(mf.make_truncated(files / name, tmp_path / name))
    assert err.rule == "corrupt"


def test_video_longer_than_a_minute_is_refused(files):
    err = rejection(files / "long.mp4", "clip.mp4")
    assert err.rule == "duration"
    assert str(err) == '"clip.mp4" lasts 75 s; videos may last at most 60 s.'


def test_video_above_1080p_is_refused(files):
    err = rejection(files / "wide.mp4")
    assert err.rule == "resolution" and "2000 × 1200" in str(err)


def test_rejection_survives_pickling_for_celery():
    err = pickle.loads(pickle.dumps(MediaRejected("a.png", "size", '"a.png" is too big.')))
    assert (err.filename, err.rule, str(err)) == ("a.png", "size", '"a.png" is too big.')


# --------------------------------------------------------------------------
# Stripping metadata


def test_strip_metadata_removes_gps_and_camera_from_jpeg(tmp_path):
    src = mf.make_jpeg(tmp_path / "photo.jpg", w=200, h=150)
    assert Image.open(src).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the fixture has GPS
    dest = tmp_path / "clean.jpg"
    strip_metadata(src, dest, inspect(src))
    out = Image.open(dest)
    assert dict(out.getexif()) == {}
    assert not {"exif", "xmp", "comment", "icc_profile"} & set(out.info)
    raw = dest.read_bytes()
    assert mf.CAMERA_MAKE.encode() not in raw and mf.CAMERA_MODEL.encode() not in raw
    assert out.size == (200, 150)
    assert ImageStat.Stat(out).mean == pytest.approx(ImageStat.Stat(Image.open(src)).mean, abs=3)


def test_strip_metadata_keeps_the_photo_upright(tmp_path):
    src = mf.make_jpeg(tmp_path / "p.jpg", w=64, h=48, orientation=6)
    strip_metadata(src, tmp_path / "c.jpg", inspect(src))
    out = Image.open(tmp_path / "c.jpg")
    assert out.size == (48, 64) and dict(out.getexif()) == {}


@pytest.mark.parametrize("maker, name", [(mf.make_png, "a.png"), (mf.make_webp, "a.webp")])
def test_strip_metadata_removes_exif_and_text_from_png_and_webp(tmp_path, maker, name):
    src = maker(tmp_path / name)
    dest = tmp_path / f"clean-{name}"
    with open(src, "rb") as f:  # file objects work as well as paths
        strip_metadata(f, dest, inspect(src))
    out = Image.open(dest)
    assert dict(out.getexif()) == {}
    assert not {"exif", "xmp", "Comment", "icc_profile"} & set(out.info)
    assert out.size == (64, 48) and out.format == Image.open(src).format


def _grey_with_key(path):
    im = mf.pattern(64, 48).convert("L")
    im.save(path, "PNG", transparency=0)
    return path


@pytest.mark.parametrize("make, name", [
    (lambda p: mf.make_jpeg(p, orientation=6), "turned.jpg"),
    (lambda p: mf.make_png(p, mode="RGBA"), "alpha.png"),
    (_grey_with_key, "key.png"),
    (mf.make_webp, "still.webp"),
    (lambda p: mf.make_gif(p, frames=4), "anim.gif"),
    (lambda p: mf.make_webp(p, frames=3), "anim.webp"),
])
def test_inspect_and_strip_describes_and_writes_what_inspect_then_strip_do(tmp_path, make, name):
    src = make(tmp_path / name)
    expected = inspect(src)
    strip_metadata(src, tmp_path / f"two-steps-{name}", expected)
    with open(src, "rb") as f:
        info = inspect_and_strip(f, name, tmp_path / f"one-decode-{name}")
        assert f.tell() == 0
    assert info == expected
    assert (tmp_path / f"one-decode-{name}").read_bytes() == (tmp_path / f"two-steps-{name}").read_bytes()


def test_inspect_and_strip_refuses_like_inspect_and_writes_nothing(tmp_path):
    src = mf.make_polyglot(tmp_path / "art.png")
    expected = rejection(src)
    with open(src, "rb") as f, pytest.raises(MediaRejected) as caught:
        inspect_and_strip(f, "art.png", tmp_path / "clean.png")
    assert (caught.value.rule, str(caught.value)) == (expected.rule, str(expected))
    assert not list(tmp_path.glob("clean*")) and not list(tmp_path.glob(".clean*"))


def test_thumbnail_of_a_transparent_png_is_on_white(tmp_path):
    src = tmp_path / "cut-out.png"
    im = Image.new("RGBA", (800, 600), (0, 0, 0, 0))
    im.paste((200, 30, 30, 255), (200, 150, 600, 450))
    im.save(src)
    make_image_thumbnail(src, tmp_path / "t.jpg", 200)
    out = Image.open(tmp_path / "t.jpg")
    assert out.size == (200, 150) and out.mode == "RGB"
    assert min(out.getpixel((2, 2))) > 245  # transparent corner: white, not black
    assert out.getpixel((100, 75)) == pytest.approx((200, 30, 30), abs=8)


@pytest.mark.parametrize("maker, name, ms", [(mf.make_gif, "a.gif", 100), (mf.make_webp, "a.webp", 80)])
def test_strip_metadata_keeps_animation_frames_and_timing(tmp_path, maker, name, ms):
    src = maker(tmp_path / name, frames=4)
    dest = tmp_path / f"clean-{name}"
    strip_metadata(src, dest, inspect(src))
    out = Image.open(dest)
    assert out.n_frames == 4
    durations = []
    for i in range(4):
        out.seek(i)
        out.load()
        durations.append(out.info["duration"])
    assert durations == [ms] * 4
    assert "comment" not in out.info and dict(out.getexif()) == {}


@pytest.mark.parametrize("name", ["clip.mp4", "clip.webm"])
def test_strip_metadata_drops_video_location_and_dates(tmp_path, files, name):
    src = files / name
    before = probe(src)
    assert mf.VIDEO_LOCATION in before["tags"].values()  # the fixture has them
    dest = tmp_path / f"clean-{name}"
    strip_metadata(src, dest, inspect(src))
    after = probe(dest)
    assert not {"location", "LOCATION", "creation_time", "com.apple.quicktime.location.ISO6709",
                "com.apple.quicktime.make", "com.apple.quicktime.model"} & set(after["tags"])
    raw = dest.read_bytes()
    assert mf.VIDEO_LOCATION.encode() not in raw and b"iPhone" not in raw and b"2024-05-01" not in raw
    assert after["frames"] == before["frames"] and after["size"] == before["size"]
    assert after["audio"] == before["audio"]


def test_strip_metadata_keeps_an_upright_video_upright(tmp_path, files):
    dest = tmp_path / "clean.mp4"
    strip_metadata(files / "upright.mp4", dest, inspect(files / "upright.mp4"))
    assert inspect(dest).width == 240 and "location" not in probe(dest)["tags"]


# --------------------------------------------------------------------------
# Thumbnails and posters


def test_image_thumbnail_fits_the_requested_side(tmp_path, files):
    assert make_image_thumbnail(files / "photo.jpg", tmp_path / "t.jpg") == (480, 320)
    out = Image.open(tmp_path / "t.jpg")
    assert out.size == (480, 320) and out.format == "JPEG" and dict(out.getexif()) == {}
    assert make_image_thumbnail(files / "photo.jpg", tmp_path / "t.webp", max_side=120) == (120, 80)
    assert Image.open(tmp_path / "t.webp").format == "WEBP"


def test_small_image_thumbnail_is_not_enlarged(tmp_path):
    src = mf.make_png(tmp_path / "s.png", w=64, h=48, mode="RGBA")
    assert make_image_thumbnail(src, tmp_path / "t.jpg") == (64, 48)


def test_thumbnail_of_animation_uses_the_first_frame_upright(tmp_path):
    gif = mf.make_gif(tmp_path / "a.gif", frames=3, w=100, h=50)
    assert make_image_thumbnail(gif, tmp_path / "t.jpg", max_side=50) == (50, 25)
    sideways = mf.make_jpeg(tmp_path / "s.jpg", w=100, h=50, orientation=6)
    assert make_image_thumbnail(sideways, tmp_path / "u.jpg", max_side=50) == (25, 50)


def test_video_poster_and_thumbnail(tmp_path, files):
    sizes = make_video_poster(files / "clip.mp4", tmp_path / "p.jpg", tmp_path / "t.jpg", thumb_side=160)
    assert sizes == ((320, 240), (160, 120))
    assert Image.open(tmp_path / "p.jpg").size == (320, 240)
    assert Image.open(tmp_path / "t.jpg").size == (160, 120)


def test_poster_of_upright_video_is_upright(tmp_path, files):
    sizes = make_video_poster(files / "upright.mp4", tmp_path / "p.jpg", tmp_path / "t.webp", thumb_side=100)
    assert sizes == ((240, 320), (75, 100))


# --------------------------------------------------------------------------
# Watermarks


def _band_and_top_change(src: Image.Image, out: Image.Image, band_rows: int) -> tuple[float, float]:
    w, h = src.size
    def diff(box):
        a = ImageStat.Stat(src.convert("L").crop(box)).mean[0]
        b = ImageStat.Stat(out.convert("L").crop(box)).mean[0]
        return abs(a - b)
    return diff((0, h - band_rows, w, h)), diff((0, 0, w, h // 2))


def test_watermarked_image_has_credit_band_same_size_and_no_metadata(tmp_path, files):
    src = files / "photo.jpg"
    dest = tmp_path / "wm.jpg"
    watermark_image(src, dest, CREDIT, MARK)
    out = Image.open(dest)
    assert out.size == (600, 400)
    assert dict(out.getexif()) == {} and "icc_profile" not in out.info
    band_change, top_change = _band_and_top_change(Image.open(src), out, 12)
    assert band_change > 20 and top_change < 2
    # text on both sides: bright pixels appear at the bottom-left and bottom-right
    bottom = out.convert("L").crop((0, 380, 600, 400))
    assert bottom.crop((0, 0, 150, 20)).getextrema()[1] > 200
    assert bottom.crop((450, 0, 600, 20)).getextrema()[1] > 200


def test_watermark_font_scales_with_the_image(tmp_path):
    small = _render_band(400, 300, CREDIT, MARK)
    large = _render_band(4000, 3000, CREDIT, MARK)
    assert large.height > 5 * small.height
    narrow = _render_band(120, 400, CREDIT, MARK)  # does not fit on one line
    assert narrow.width == 120 and narrow.height > small.height


def test_watermark_works_without_any_truetype_font(tmp_path, monkeypatch, files):
    real_truetype = ImageFont.truetype

    def no_font_files(font, *args, **kwargs):
        if isinstance(font, (str, os.PathLike)):
            raise OSError("no font")
        return real_truetype(font, *args, **kwargs)  # load_default's built-in font

    monkeypatch.setattr(ImageFont, "truetype", no_font_files)
    _font.cache_clear()
    try:
        watermark_image(files / "photo.jpg", tmp_path / "wm.png", CREDIT, MARK)
    finally:
        _font.cache_clear()
    assert Image.open(tmp_path / "wm.png").size == (600, 400)


def test_watermarked_animation_keeps_its_frames(tmp_path):
    src = mf.make_gif(tmp_path / "a.gif", frames=3, w=200, h=120)
    watermark_image(src, tmp_path / "wm.gif", CREDIT, MARK)
    out = Image.open(tmp_path / "wm.gif")
    assert out.n_frames == 3 and out.size == (200, 120) and "comment" not in out.info


@pytest.mark.parametrize("name", ["clip.mp4", "clip.webm"])
def test_watermarked_video_is_playable_mp4_with_the_same_timing(tmp_path, files, name):
    src = files / name
    dest = tmp_path / "wm.mp4"
    watermark_video(src, dest, CREDIT, MARK)
    before, after = probe(src), probe(dest)
    assert "mp4" in after["format"] and after["audio"] == "aac"
    assert after["size"] == before["size"]
    assert abs(after["frames"] - before["frames"]) <= 1
    assert after["duration"] == pytest.approx(before["duration"], abs=0.2)
    assert not {"location", "LOCATION", "creation_time"} & set(after["tags"])
    band_change, top_change = _band_and_top_change(before["last"], after["last"], 10)
    assert band_change > 20 and top_change < 4
    assert inspect(dest).kind == "video"


def test_watermarked_upright_video_stays_upright(tmp_path, files):
    watermark_video(files / "upright.mp4", tmp_path / "wm.mp4", CREDIT, MARK)
    assert probe(tmp_path / "wm.mp4")["size"] == (240, 320)


@pytest.mark.parametrize("name, rule", [("wide.mp4", "resolution"), ("long.mp4", "duration")])
def test_watermark_refuses_clips_over_the_limits(tmp_path, files, name, rule):
    with pytest.raises(MediaRejected) as caught:
        watermark_video(files / name, tmp_path / "wm.mp4", CREDIT, MARK, MediaLimits())
    assert caught.value.rule == rule
    assert not list(tmp_path.glob("*wm.mp4*"))  # no output, no half-written temporary file
