"""Photos for the tests, made on the spot: a JPEG full of metadata (EXIF GPS, a camera
serial, XMP, a comment, an orientation), PNG, WebP and HEIC, a truncated JPEG and a
20,000 x 20,000 px PNG decompression bomb, and a reader of a JPEG's segments."""

from __future__ import annotations

import io
import struct
import zlib

import pillow_heif
from PIL import Image

SERIAL = "SERIAL-4711-XYZ"
SECRET = b"where-the-children-live"
pillow_heif.register_heif_opener()


def _pattern(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """A red image whose top half has blue stripes (so orientation can be told)."""
    image = Image.new("RGB", (width, height), (200, 30, 30))
    stripes = Image.new("RGB", (width, height // 2), (20, 20, 220))
    for x in range(0, width, 40):
        image.paste(stripes.crop((0, 0, 10, height // 2)), (x, 0))
    return image.convert(mode)


def jpeg_with_metadata(width: int = 2400, height: int = 1200, orientation: int = 6) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F], exif[0x0110] = "Apple", "iPad Pro (12.9-inch)"
    exif.get_ifd(0x8769)[0x9003] = "2026:10:01 10:11:12"  # DateTimeOriginal
    exif.get_ifd(0x8769)[0xA431] = SERIAL  # BodySerialNumber
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (67.0, 51.0, 20.5), "E", (20.0, 13.0, 31.25)
    out = io.BytesIO()
    _pattern(width, height).save(out, "JPEG", exif=exif, comment=SECRET, quality=90,
                                 xmp=b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>" + SECRET
                                 + b"</x:xmpmeta>")
    return out.getvalue()


def encoded(kind: str, width: int = 800, height: int = 600) -> bytes:
    """A plain photo as PNG (with transparency), WEBP, HEIF or JPEG."""
    mode = "RGBA" if kind in ("PNG", "WEBP") else "RGB"
    out = io.BytesIO()
    image = _pattern(width, height, mode)
    if kind == "HEIF":
        exif = Image.Exif()
        exif.get_ifd(0x8825)[2] = (67.0, 51.0, 20.5)
        image.save(out, kind, exif=exif.tobytes())
    else:
        image.save(out, kind)
    return out.getvalue()


def truncated_jpeg() -> bytes:
    whole = jpeg_with_metadata(orientation=1)
    return whole[: len(whole) // 2]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def png_bomb(side: int = 20_000) -> bytes:
    """A valid 1-bit PNG of side x side pixels: about 50 kB that decodes to 400 MP."""
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    packer = zlib.compressobj(9)
    row = b"\0" * (1 + side // 8)
    data = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data)
            + _chunk(b"IEND", b""))


def jpeg_segments(data: bytes) -> list[int]:
    """The marker bytes of a JPEG's segments before its image data (0xE0 = APP0 JFIF,
    0xE1 = APP1 EXIF/XMP, 0xE2 = APP2 ICC, 0xFE = a comment, ...)."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    markers, at = [], 2
    while at < len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: the image data follows
            break
        (length,) = struct.unpack(">H", data[at + 2: at + 4])
        at += 2 + length
    return markers


def size_of(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def striped_side(data: bytes) -> str:
    """Where the blue stripes of ``_pattern`` are: top, right, bottom or left."""
    with Image.open(io.BytesIO(data)) as image:
        small = image.convert("RGB").resize((8, 8))
    blue = [[small.getpixel((x, y))[2] for x in range(8)] for y in range(8)]
    halves = {"top": sum(map(sum, blue[:4])), "bottom": sum(map(sum, blue[4:])),
              "left": sum(sum(row[:4]) for row in blue),
              "right": sum(sum(row[4:]) for row in blue)}
    return max(halves, key=halves.get)


def add(db, place, state: str = "approved", taken_on=None, size=(640, 480)):
    """A photo of ``place`` stored as the app stores one (re-encoded by smultron.photos), in
    ``state``, without going through HTTP (for the exports' and reports' tests); in the
    object store when ``db``'s app has one (SMULTRON_PHOTO_STORE=s3://…)."""
    import hashlib
    import uuid

    from smultron.models import PlacePhoto
    from smultron.photos import imaging, store

    body = encoded("JPEG", *size)
    clean = imaging.clean(io.BytesIO(body))
    photo_id = uuid.uuid4()
    row = PlacePhoto(id=photo_id, place_id=place.id, municipality_id=place.municipality_id,
                     state=state, **store.write(db, photo_id, clean.content, clean.thumb),
                     width=clean.width, height=clean.height,
                     upload_sha256=hashlib.sha256(body + uuid.uuid4().bytes).hexdigest(),
                     taken_on=taken_on)
    db.add(row)
    db.flush()
    return row
