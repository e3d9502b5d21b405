"""Opening picture files of digits: one clear line for anything that is not a readable picture.

What counts as a picture file (PICTURE_SUFFIXES, is_picture_file) is decided here once, from
what Pillow can read, for the folder that is evaluated and the collector that counts it alike.

A picture is shown the way a viewer shows it (EXIF rotation applied), huge pictures are shrunk
while decoding where the format allows it (JPEG) and refused otherwise, before they can take
gigabytes of memory; any large picture is shrunk once decoded; an animated picture is read from
its first frame, with a note; damaged metadata is a note, not Pillow's warnings.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from digitlib.errors import DigitsError

MAX_PIXELS = 50_000_000   # ~7000x7000: a phone photo is 12-50 Mpx; larger is refused, not decoded
DRAFT_SIDE = 2048         # JPEGs are decoded at most about this size (1/2, 1/4 or 1/8 scale)

# Every file suffix of a format Pillow can open (".png", ".jpg", ".gif", ".webp", ...); a suffix
# Pillow only writes (".pdf") is not one.
PICTURE_SUFFIXES = frozenset(suffix for suffix, fmt in Image.registered_extensions().items() if fmt in Image.OPEN)


@dataclass
class Picture:
    image: Image.Image
    note: str | None = None    # something worth telling, e.g. "animated: first frame read"


def is_picture_file(path: Path) -> bool:
    """A visible regular file with a picture's suffix, in any case ("a.PNG"). Hidden files (".DS_Store",
    half-written saves) are not pictures; nor is a pipe or a device, which would hang the reader."""
    return not path.name.startswith(".") and path.is_file() and path.suffix.lower() in PICTURE_SUFFIXES


def open_picture(path: str | Path) -> Picture:
    """Read one picture file fully into memory; every failure is a DigitsError naming the file."""
    path = Path(path)
    if path.is_dir():
        raise DigitsError(f"{path}: is a folder, not an image file")
    if path.exists() and not path.is_file():  # a pipe would wait forever for a writer
        raise DigitsError(f"{path}: is not a regular file (a pipe or a device?), not an image file")
    notes = []
    limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None  # our limit below, so a big JPEG is shrunk
    try:
        with warnings.catch_warnings(record=True) as warned:  # Pillow's warnings become one note
            warnings.simplefilter("always")
            with Image.open(path) as img:
                w, h = img.size
                if w * h > MAX_PIXELS and img.format == "JPEG":
                    img.draft("L", (DRAFT_SIDE, DRAFT_SIDE))  # decode at reduced scale: cheap
                    notes.append(f"large picture ({w}x{h}) read at {img.size[0]}x{img.size[1]}")
                if img.size[0] * img.size[1] > MAX_PIXELS:
                    raise _too_big(path, w, h)
                if getattr(img, "n_frames", 1) > 1:
                    notes.append(f"animated picture with {img.n_frames} frames: reading the first only")
                img.seek(0)
                image = upright(img)  # as a viewer shows it, not as stored (a new image: img is closed below)
                image.load()
                if max(image.size) > 2 * DRAFT_SIDE:  # a 49 Mpx PNG would take gigabytes further on
                    image = image.reduce(-(-max(image.size) // DRAFT_SIDE))
        if warned:
            notes.append(f"damaged metadata ignored ({str(warned[0].message).splitlines()[0][:80]})")
    except FileNotFoundError:
        raise DigitsError(f"{path}: no such image file") from None
    except PermissionError:
        raise DigitsError(f"{path}: cannot read it (permission denied)") from None
    except UnidentifiedImageError:
        raise DigitsError(f"{path}: cannot read it as an image (not a picture format Pillow knows)") from None
    except (OSError, ValueError, SyntaxError) as e:  # truncated or damaged data
        raise DigitsError(f"{path}: cannot read it as an image (damaged or truncated: {e})") from None
    finally:
        Image.MAX_IMAGE_PIXELS = limit
    return Picture(image, "; ".join(notes) or None)


ORIENTATION = 0x0112  # the EXIF tag that says how to turn a photo to show it


def upright(image: Image.Image) -> Image.Image:
    """A new image, turned as a viewer shows it by its EXIF orientation; the result carries no
    orientation any more, so nothing turns it a second time."""
    return ImageOps.exif_transpose(image)


def needs_turning(image: Image.Image) -> bool:
    """True for a picture whose EXIF still says to turn it (opened with Image.open, not open_picture)."""
    return image.getexif().get(ORIENTATION, 1) != 1


def _too_big(path: Path, w: int, h: int) -> DigitsError:
    return DigitsError(f"{path}: picture too large ({w}x{h} = {w * h / 1e6:.0f} Mpx, the limit is "
                       f"{MAX_PIXELS / 1e6:.0f} Mpx); shrink it first")
