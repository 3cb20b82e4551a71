"""Run a meanshift preset under the VOT challenge's toolkit, over the TraX protocol.

The VOT toolkit (``vot-toolkit``) starts a tracker as a separate process and talks to it by TraX
(``vot-trax``): it sends the first frame with the target's region, then one frame at a time, and
reads back one region per frame. This module is that process::

    python -m meanshift.integrations.vot --preset generalized

It declares rectangle and polygon regions and image *paths*. Whatever the toolkit sends to
initialise -- a rectangle, a polygon (VOT2013-2019 ground truth) or a mask -- the tracker starts on
its axis-aligned bounding box; every reply is a rectangle ``(x, y, w, h)`` with the tracker's
``confidence`` as a property (read by the long-term analyses). Frames are read from their paths
with OpenCV, as BGR. It is a multi-object server (TraX 4): every target of a sequence is tracked by
one :class:`meanshift.MultiTracker`, and regions sent with a later frame are new targets.

The entry a user puts in the ``trackers.ini`` of a VOT workspace::

    [meanshift_generalized]
    label = meanshift (generalized)
    protocol = trax
    command = python -m meanshift.integrations.vot --preset generalized
    # Numba compiles on the very first start (about 4 s; the classic presets about 8 s; cached afterwards).
    timeout = 120

``python`` must be the interpreter that has meanshift installed (give its full path if the toolkit
runs from another environment). ``vot test meanshift_generalized`` then checks the integration on
the toolkit's synthetic sequence. See ``docs/integrations.md``.

Requires the ``vot`` extra: ``pip install '.[vot]'`` in the meanshift checkout (it is not on PyPI).

Examples
--------
The region conversion needs only ``vot-trax``:

>>> from trax import Polygon                                           # doctest: +SKIP
>>> from meanshift.integrations.vot import region_to_box              # doctest: +SKIP
>>> region_to_box(Polygon.create([(10.0, 20.0), (50.0, 18.0), (52.0, 60.0), (12.0, 62.0)]))  # doctest: +SKIP
(10.0, 18.0, 42.0, 44.0)
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["PRESET_ENV", "INSTALL_HINT", "require_trax", "region_to_box", "read_image", "serve", "main"]

#: Environment variable giving the preset when ``--preset`` is not on the command line (handy with the
#: toolkit's ``traxpython`` protocol, whose ``command`` is a bare module name: ``env_MEANSHIFT_VOT_PRESET``).
PRESET_ENV = "MEANSHIFT_VOT_PRESET"
INSTALL_HINT = "pip install '.[vot]' (from the meanshift checkout)"

Box = tuple[float, float, float, float]


def require_trax() -> Any:
    """Import and return the ``trax`` module of ``vot-trax``.

    Returns
    -------
    module
        ``trax``.

    Raises
    ------
    ImportError
        If ``vot-trax`` is not installed; the message names ``pip install '.[vot]'``.

    Examples
    --------
    >>> trax = require_trax()                                             # doctest: +SKIP
    >>> trax.Region.RECTANGLE                                            # doctest: +SKIP
    'rectangle'
    """
    try:
        import trax
        import trax.server  # noqa: F401  (the Server class lives there)
    except ImportError as exc:
        raise ImportError(
            f"the VOT integration needs the TraX protocol library (vot-trax): {INSTALL_HINT}"
        ) from exc
    return trax


def _bounds_of_points(xs: np.ndarray, ys: np.ndarray) -> Box:
    x0, y0 = float(np.min(xs)), float(np.min(ys))
    return (x0, y0, float(np.max(xs)) - x0, float(np.max(ys)) - y0)


def region_to_box(region: Any) -> Box:
    """The axis-aligned bounding box ``(x, y, w, h)`` of a TraX region.

    Parameters
    ----------
    region : trax.Rectangle, trax.Polygon or trax.Mask
        What the toolkit sent. A polygon's box spans its vertices (``w = max x - min x``, as the VOT
        toolkit bounds a polygon); a mask's box spans its non-zero pixels, offset included
        (``w = columns spanned``).

    Returns
    -------
    (x, y, w, h) : tuple of float
        0-based pixel coordinates, as the toolkit uses them.

    Raises
    ------
    ValueError
        For a special region (no location), an empty mask, a region with fewer than three
        vertices, non-finite coordinates, or a box without area.

    Examples
    --------
    >>> from trax import Rectangle                                        # doctest: +SKIP
    >>> region_to_box(Rectangle.create(5, 6, 30, 40))                     # doctest: +SKIP
    (5.0, 6.0, 30.0, 40.0)
    """
    kind = getattr(region, "type", None)
    box: Box
    if kind == "rectangle":
        x, y, w, h = region.bounds()  # trax's Rectangle.bounds() is (x, y, width, height)
        box = (float(x), float(y), float(w), float(h))
    elif kind == "polygon":
        points = np.asarray([region.get(i) for i in range(region.size())], dtype=np.float64)
        if points.shape[0] < 3:
            raise ValueError(f"a polygon region needs at least 3 vertices, got {points.shape[0]}")
        box = _bounds_of_points(points[:, 0], points[:, 1])
    elif kind == "mask":
        mask = np.asarray(region.array())
        rows, cols = np.nonzero(mask)
        if rows.size == 0:
            raise ValueError("the mask region is empty (no non-zero pixel)")
        ox, oy = region.offset()
        box = (
            float(cols.min() + ox),
            float(rows.min() + oy),
            float(cols.max() - cols.min() + 1),
            float(rows.max() - rows.min() + 1),
        )
    else:
        raise ValueError(f"cannot start a tracker on a region of type {kind!r} ({region})")
    if not all(math.isfinite(v) for v in box) or box[2] <= 0 or box[3] <= 0:
        raise ValueError(f"the region's bounding box {box} has no area")
    return box


def read_image(images: dict[str, Any]) -> np.ndarray:
    """Read the colour channel of a TraX frame request as a BGR ``uint8`` image.

    Parameters
    ----------
    images : dict
        ``request.image``: channel name -> ``trax.FileImage`` (we declare image paths only).

    Returns
    -------
    ndarray, shape (H, W, 3), uint8
        As ``cv2.imread`` gives it (grayscale files get three equal channels).

    Raises
    ------
    ValueError
        If there is no colour channel, it is not a path, or OpenCV cannot decode the file.

    Examples
    --------
    >>> from trax import FileImage                                       # doctest: +SKIP
    >>> read_image({"color": FileImage.create("frame.jpg")}).shape       # doctest: +SKIP
    (480, 640, 3)
    """
    import cv2

    image = images.get("color") if images else None
    if image is None:
        raise ValueError(f"the frame request has no colour channel (channels: {sorted(images or {})})")
    if not hasattr(image, "path"):
        raise ValueError(f"expected an image path, got {image}")
    path = image.path()
    frame = cv2.imread(path, cv2.IMREAD_COLOR)
    if frame is None or frame.size == 0:
        raise ValueError(f"cannot read the frame {path!r}")
    return frame


def _reply(trax: Any, box: Sequence[float], confidence: float) -> tuple[Any, dict[str, float]]:
    x, y, w, h = (float(v) for v in box)
    return (trax.Rectangle.create(x, y, w, h), {"confidence": float(confidence)})


def serve(preset: str = "generalized", *, log: bool = False) -> int:
    """Answer one TraX session of the VOT toolkit with trackers of ``preset``.

    The server declares itself multi-object (TraX 4), so one process serves every target of a
    sequence through a :class:`meanshift.MultiTracker` (each target blind to the others' boxes); with
    one target this is the plain preset. It waits for the toolkit's requests until it says quit:

    * *initialize*: a fresh ``MultiTracker(preset)`` starts one target on the bounding box of each
      region sent; the reply is those boxes.
    * *frame*: every target is tracked into the frame; regions sent with the frame are new targets,
      started on it. The reply lists every target, in the order they were added, each with its
      ``confidence`` property.

    Parameters
    ----------
    preset : str
        A name of ``meanshift.PRESETS``.
    log : bool
        Let libtrax log the protocol's messages to the console.

    Returns
    -------
    int
        Number of frames answered (initialisations included).

    Raises
    ------
    ImportError
        Without ``vot-trax``.
    ValueError
        For an unknown preset (before any connection is made), or a request the protocol does not
        allow (a frame before any initialisation, an initialisation without a region).

    Examples
    --------
    It is what ``python -m meanshift.integrations.vot`` runs; the toolkit starts it:

    >>> from meanshift.integrations.vot import serve                    # doctest: +SKIP
    >>> serve("generalized")                                            # doctest: +SKIP
    51
    """
    import meanshift

    if preset not in meanshift.PRESETS:
        raise ValueError(f"unknown preset {preset!r}; known: {', '.join(meanshift.PRESETS)}")
    trax = require_trax()
    from trax.server import Server

    multi = None
    answered = 0
    formats = [trax.Region.RECTANGLE, trax.Region.POLYGON]
    name = f"meanshift-{preset}"
    with Server(formats, [trax.Image.PATH], tracker_name=name, log=log, multiobject=True) as server:
        while True:
            request = server.wait()
            if request.type in (trax.TraxStatus.QUIT, trax.TraxStatus.ERROR):
                break
            frame = read_image(request.image)
            new = [region_to_box(region) for region, _properties in (request.objects or [])]
            replies: dict[int, tuple[Any, dict[str, float]]] = {}
            if request.type == trax.TraxStatus.INITIALIZE:
                if not new:
                    raise ValueError("the toolkit asked to initialise without a region")
                multi = meanshift.MultiTracker(preset)
            elif multi is None:
                raise ValueError("the toolkit sent a frame before initialising the tracker")
            else:
                for target, result in multi.update(frame).items():
                    replies[target] = _reply(trax, result.box, result.confidence)
            for box in new:
                replies[multi.add(frame, box)] = _reply(trax, box, 1.0)
            server.status([replies[target] for target in multi.targets])
            answered += 1
    return answered


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m meanshift.integrations.vot [--preset NAME] [--log]``.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 after a session, 2 when not started by a TraX client (the toolkit sets
        ``TRAX=1`` in the tracker's environment).

    Examples
    --------
    >>> from meanshift.integrations.vot import main                      # doctest: +SKIP
    >>> main(["--preset", "camshift"])                                  # doctest: +SKIP
    0
    """
    import meanshift

    parser = argparse.ArgumentParser(
        prog="python -m meanshift.integrations.vot",
        description="TraX server for the VOT toolkit: tracks with a meanshift preset. "
        "The toolkit starts it (trackers.ini: protocol = trax, command = this command).",
    )
    parser.add_argument(
        "--preset",
        default=os.environ.get(PRESET_ENV, "generalized"),
        choices=list(meanshift.PRESETS),
        help=f"tracker preset (default: ${PRESET_ENV} or generalized)",
    )
    parser.add_argument("--log", action="store_true", help="log the TraX messages to the console")
    args = parser.parse_args(argv)
    if "TRAX" not in os.environ:
        print(
            "python -m meanshift.integrations.vot is a TraX server: the VOT toolkit starts it (see the "
            "trackers.ini entry in docs/integrations.md) and sets TRAX=1 in its environment. "
            "To check the integration: vot test <tracker id>",
            file=sys.stderr,
        )
        return 2
    require_trax()
    serve(args.preset, log=args.log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
