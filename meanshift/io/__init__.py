"""Frames in, annotated frames out: the tracker's contact with files, cameras and screens.

Knows nothing of how tracking works; built on OpenCV and the public :mod:`meanshift` API only.
``sources`` (video files, cameras, streams; image folders in ``image_folder``; ``prefetch`` reads them
ahead on other threads) -> the tracker -> ``writers`` (box tables, annotated videos, written under a
temporary name until complete); ``boxes`` parses and checks boxes and box files; ``drawing`` draws results.

Examples
--------
Track a file and write the boxes, without a window:

>>> import meanshift                                                        # doctest: +SKIP
>>> from meanshift.io import open_source, BoxCsvWriter
>>> with open_source("clip.mp4") as source, BoxCsvWriter("boxes.csv") as csv:   # doctest: +SKIP
...     tracker = meanshift.generalized()
...     for index, frame in enumerate(source):
...         if index == 0:
...             tracker.init(frame, (120, 80, 40, 60))
...             csv.write_box(index, 0, (120, 80, 40, 60))
...         else:
...             csv.write_result(index, 0, tracker.update(frame))
"""

from meanshift.io.boxes import (
    check_box,
    format_box,
    initial_box_for,
    parse_box,
    read_box_file,
    sidecar_box_path,
)
from meanshift.io.drawing import (
    FpsMeter,
    draw_box,
    draw_result,
    draw_status,
    target_color,
    wrap_text,
)
from meanshift.io.image_folder import ImageFolderSource, decode_threads, image_folder_frames
from meanshift.io.opening import open_source
from meanshift.io.prefetch import PrefetchSource
from meanshift.io.sources import (
    IMAGE_EXTENSIONS,
    VIDEO_EXTENSIONS,
    CaptureSource,
    FrameSource,
    VideoError,
    is_camera_index,
    quiet_opencv,
    silence_opencv,
)
from meanshift.io.web_video import video_writer
from meanshift.io.writers import (
    BOX_FORMATS,
    CSV_COLUMNS,
    VIDEO_CODECS,
    BoxCsvWriter,
    BoxJsonLinesWriter,
    BoxMotWriter,
    VideoWriter,
    box_writer,
    check_video_codec,
    format_for_path,
    partial_path,
)

__all__ = [
    "VIDEO_EXTENSIONS",
    "IMAGE_EXTENSIONS",
    "CSV_COLUMNS",
    "VideoError",
    "FrameSource",
    "CaptureSource",
    "ImageFolderSource",
    "PrefetchSource",
    "decode_threads",
    "open_source",
    "quiet_opencv",
    "silence_opencv",
    "is_camera_index",
    "image_folder_frames",
    "VideoWriter",
    "video_writer",
    "check_video_codec",
    "VIDEO_CODECS",
    "BOX_FORMATS",
    "BoxCsvWriter",
    "BoxJsonLinesWriter",
    "BoxMotWriter",
    "box_writer",
    "format_for_path",
    "partial_path",
    "parse_box",
    "read_box_file",
    "format_box",
    "sidecar_box_path",
    "initial_box_for",
    "check_box",
    "target_color",
    "draw_box",
    "draw_result",
    "draw_status",
    "wrap_text",
    "FpsMeter",
]
