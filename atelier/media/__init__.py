"""The media library: checks uploaded works (images, short videos) by their
content, and makes the files Atelier publishes from them: metadata-free
copies, thumbnails, video posters and credited, watermarked copies.

Pure Python on Pillow and PyAV, with no Django imports, so it can be tested
and reused alone; a kernel package, it imports nothing from the apps. Callers
pass file objects or paths; every function leaves a file object rewound to
the start. Import from here (``from atelier.media import inspect_upload``):

====================  ======================================================
module                what it holds
====================  ======================================================
``uploads``           ``inspect_upload``, ``strip_metadata``,
                      ``inspect_and_strip`` (both, one decode): any upload
``sniffing``          formats, names and what unknown content looks like
``containers``        structure walkers: where a file really ends, hidden ZIPs
``images``            image checks, copies and thumbnails (Pillow)
``video``             video checks, remuxes, posters, re-encoding (PyAV)
``watermark``         the credit band, watermarked images and videos
``errors``            ``MediaRejected`` and its messages
``limits``            ``MediaLimits``, ``MediaInfo``, ``MB``
``files``             sources and atomic outputs
====================  ======================================================

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
* ``inspect_and_strip`` checks an upload and writes its metadata-free copy
  from the one decode the check made; images are never copied whole when
  nothing changes them (docs/media.md has the costs against bare Pillow).
* Derived video (``watermark_video``) is always MP4 with H.264 video and AAC
  audio, whatever the source container, because every browser plays it.
"""

from atelier.media.errors import MediaRejected
from atelier.media.images import make_image_thumbnail
from atelier.media.limits import MB, MediaInfo, MediaLimits
from atelier.media.uploads import inspect_and_strip, inspect_upload, strip_metadata
from atelier.media.video import make_video_poster
from atelier.media.watermark import watermark_image, watermark_video

__all__ = [
    "MB",
    "MediaInfo",
    "MediaLimits",
    "MediaRejected",
    "inspect_and_strip",
    "inspect_upload",
    "make_image_thumbnail",
    "make_video_poster",
    "strip_metadata",
    "watermark_image",
    "watermark_video",
]
