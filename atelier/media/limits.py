"""What an upload may be (``MediaLimits``) and what an inspected upload is
(``MediaInfo``). Sizes use decimal megabytes (1 MB = 1,000,000 bytes)."""

from __future__ import annotations

from dataclasses import dataclass

MB = 1_000_000


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
