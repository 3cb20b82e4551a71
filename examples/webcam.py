"""A complete live tracker: draw a box around something in front of the camera, watch it tracked.

Usage::

    python examples/webcam.py                      # camera 0; drag a box, press Enter
    python examples/webcam.py 1 --preset camshift  # another camera, the classic tracker
    python examples/webcam.py clip.mp4 --box 120,80,40,60   # any video works too

Keys: space pauses, r re-selects the target, q or Esc quits. (``meanshift webcam`` is the full
version of this, with several targets, recording and more options.)
"""

import argparse

import cv2

import meanshift
from meanshift.apps.live import has_display, select_box
from meanshift.io import FpsMeter, VideoError, draw_result, draw_status, open_source, parse_box, silence_opencv

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("source", nargs="?", default="0", help="camera index, video file or folder of frames")
parser.add_argument("--box", type=parse_box, help="x,y,w,h of the target instead of drawing it")
parser.add_argument("--preset", default="generalized", choices=meanshift.PRESETS)
args = parser.parse_args()

# OpenCV's own console lines ("[ERROR:0@0.242] ... Camera index out of range") would come before ours;
# the error below says what went wrong in one line, as `meanshift webcam` does.
silence_opencv()
try:
    source = open_source(args.source, width=640, height=480)
except VideoError as exc:
    raise SystemExit(f"error: {exc}") from None
if not has_display():
    raise SystemExit("error: no display to show the video on (DISPLAY is not set)")

WINDOW = "meanshift webcam"
cv2.namedWindow(WINDOW, cv2.WINDOW_AUTOSIZE | cv2.WINDOW_GUI_NORMAL)
frame = source.read()
box = args.box or select_box(WINDOW, frame)
if box is None:
    raise SystemExit("no target selected")
tracker = meanshift.create_tracker(args.preset)
tracker.init(frame, box)
fps, paused, view = FpsMeter(), False, frame

while True:
    if not paused:
        frame = source.read()
        if frame is None:  # end of a file, or the camera stopped delivering frames
            break
        result = tracker.update(frame)
        view = draw_result(frame.copy(), result, (0, 255, 255))
        draw_status(view, [f"fps {fps.tick():.0f}  score {result.score:.2f}", "space  r  q"])
    cv2.imshow(WINDOW, view)
    key = cv2.waitKey(1) & 0xFF
    if key in (ord("q"), 27):
        break
    if key == ord(" "):
        paused = not paused
    elif key == ord("r") and (box := select_box(WINDOW, frame)) is not None:
        tracker = meanshift.create_tracker(args.preset)  # a new target: a fresh model
        tracker.init(frame, box)

source.close()
cv2.destroyAllWindows()
