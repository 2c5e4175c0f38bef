"""Decode an uploaded photo and re-encode it clean: JPEG, PNG, WebP or HEIC in; a JPEG of
at most 1600 px and a 320 px thumbnail out, orientation applied, colours converted to
sRGB, and nothing else of the file kept (no EXIF, GPS, camera serials, XMP, comments or
ICC profile: a new image is made from the pixels alone). Only the date the photo was
taken is read from its EXIF, as a date.

Bounded work: the pixel count is checked from the header before anything is decoded (a
decompression bomb is refused, not decoded), a JPEG is decoded at the smallest DCT scale
that still gives 1600 px, and at most ``CONCURRENT_DECODES`` decodes run at once per
process, so memory does not grow with the number of concurrent uploads.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from datetime import date, datetime

from PIL import Image, ImageCms, ImageFile, UnidentifiedImageError

from smultron.core.errors import AppError
from smultron.core.messages import M

try:  # HEIC from iPads; registered once, the same for every request
    import pillow_heif

    pillow_heif.register_heif_opener(thumbnails=False)
    HEIF = ("HEIF",)
except ImportError:  # pragma: no cover - pinned in setup.cfg
    HEIF = ()

MAX_SIDE = 1600
THUMB_SIDE = 320
MAX_PIXELS = 50_000_000  # a 48 MP phone photo passes; a 20,000 x 20,000 bomb does not
QUALITY = 82
THUMB_QUALITY = 75
FORMATS = ("JPEG", "PNG", "WEBP", *HEIF)  # JPEG opens MPO (several pictures) too
CONCURRENT_DECODES = 2
EXIF_IFD = 0x8769
DATE_TIME_ORIGINAL = 0x9003
DATE_TIME = 0x0132
ORIENTATION_TAG = 0x0112
ORIENTATION = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
               4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
               6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
               8: Image.Transpose.ROTATE_90}

Image.init()  # every plugin registered (MPO, WebP), not only the five preinit() loads
_decodes = threading.BoundedSemaphore(CONCURRENT_DECODES)
_SRGB = ImageCms.createProfile("sRGB")


class NotAnImage(AppError):
    status = 415


class BrokenImage(AppError):
    status = 422


@dataclass(frozen=True)
class CleanPhoto:
    """The re-encoded photo: JPEG bytes of the photo and its thumbnail."""

    content: bytes
    thumb: bytes
    width: int
    height: int
    taken_on: date | None


def _open(stream) -> Image.Image:
    try:
        image = Image.open(stream, formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _bomb() from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise NotAnImage(M("This file is not a photo Smultron can read: send a JPEG, PNG, "
                           "WebP or HEIC image.")) from None
    if image.width * image.height > MAX_PIXELS:
        raise _bomb()
    return image


def _bomb() -> BrokenImage:
    return BrokenImage(M("The image has too many pixels (at most %(n)d megapixels).",
                         n=MAX_PIXELS // 1_000_000))


def _taken_on(image: Image.Image) -> date | None:
    """The day the photo was taken (EXIF DateTimeOriginal, else DateTime), if plausible."""
    try:
        exif = image.getexif()
        raw = exif.get_ifd(EXIF_IFD).get(DATE_TIME_ORIGINAL) or exif.get(DATE_TIME)
        day = datetime.strptime(str(raw)[:10], "%Y:%m:%d").date()
    except (ValueError, TypeError, KeyError, OSError, SyntaxError):
        return None
    return day if date(2000, 1, 1) <= day <= date.today() else None


def _srgb(image: Image.Image) -> Image.Image:
    """RGB pixels in sRGB: an embedded profile (Display P3 on iPads) is converted, then the
    profile itself is dropped with the rest of the metadata."""
    profile = image.info.get("icc_profile")
    rgb = _flattened(image)
    if not profile:
        return rgb
    try:
        return ImageCms.profileToProfile(rgb, io.BytesIO(profile), _SRGB, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return rgb  # a broken profile: the pixels as they are


def _flattened(image: Image.Image) -> Image.Image:
    """RGB, transparency composited onto white."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.point(lambda value: value / 256).convert("L")
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, image.convert("RGBA")).convert("RGB")
    return image.convert("RGB")


def _pixels_only(image: Image.Image) -> Image.Image:
    """A new image holding the pixels and nothing of the file's info (EXIF, XMP, comments,
    profiles): what is saved from it cannot carry them over."""
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    return clean


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()


def _decode(image: Image.Image) -> Image.Image:
    if image.format in ("JPEG", "MPO"):
        image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # decode at 1/2, 1/4 or 1/8 scale
    # WeasyPrint (the PDFs) sets Pillow's global LOAD_TRUNCATED_IMAGES when it is
    # imported, which makes a truncated photo load with grey where its end is missing.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        image.load()
    except Image.DecompressionBombError:
        raise _bomb() from None
    except (OSError, ValueError, SyntaxError, EOFError):
        raise BrokenImage(M("The photo could not be read to its end: the file is truncated "
                            "or damaged. Take or choose it again.")) from None
    return image


def _orientation(image: Image.Image) -> Image.Transpose | None:
    try:
        return ORIENTATION.get(image.getexif().get(ORIENTATION_TAG))
    except (ValueError, TypeError, OSError, SyntaxError):
        return None


def clean(stream) -> CleanPhoto:
    """The photo in ``stream`` (a binary file object) re-encoded, or NotAnImage /
    BrokenImage with a message. Reads the file lazily: it may be on disk."""
    with _decodes:
        with _open(stream) as image:
            taken_on, turn = _taken_on(image), _orientation(image)
            rgb = _srgb(_decode(image))
        if turn is not None:
            rgb = rgb.transpose(turn)
        rgb.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        photo = _pixels_only(rgb)
        thumb = photo.copy()
        thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
        return CleanPhoto(_jpeg(photo, QUALITY), _jpeg(thumb, THUMB_QUALITY),
                          photo.width, photo.height, taken_on)


