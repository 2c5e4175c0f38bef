"""Small audio files made in the test (no encoder on the machine): real containers with
real headers, as mutagen and a browser read them, but silent or empty frames.

``mp3(s)``: MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz); ``ogg(s)``: an Ogg Vorbis
stream's three header packets and a last page whose granule position gives the length;
``m4a(s)``: an MP4 with one sound track (mp4a) whose media header gives the length."""

from __future__ import annotations

import io
import math
import struct

from mutagen.ogg import OggPage

RATE = 44100


def mp3(seconds: float) -> bytes:
    header = b"\xff\xfb\x90\x64"  # MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, no padding
    frame = header + bytes(144 * 128000 // RATE - len(header))
    return frame * math.ceil(seconds * RATE / 1152)


def _page(packets: list[bytes], sequence: int, position: int, *, first=False, last=False):
    page = OggPage()
    page.packets, page.sequence, page.serial, page.position = packets, sequence, 0x5A17, position
    page.first, page.last = first, last
    return page.write()


def ogg(seconds: float) -> bytes:
    ident = (b"\x01vorbis" + struct.pack("<IBIiii", 0, 1, RATE, 0, 96000, 0)
             + bytes([0xB8, 0x01]))
    vendor = b"smultron tests"
    comment = b"\x03vorbis" + struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", 0) \
        + b"\x01"
    setup = b"\x05vorbis" + bytes(32)
    out = io.BytesIO()
    out.write(_page([ident], 0, 0, first=True))
    out.write(_page([comment, setup], 1, 0))
    out.write(_page([bytes(64)], 2, round(seconds * RATE), last=True))
    return out.getvalue()


def _atom(name: bytes, *children: bytes) -> bytes:
    body = b"".join(children)
    return struct.pack(">I", 8 + len(body)) + name + body


def _full(name: bytes, body: bytes) -> bytes:
    return _atom(name, b"\x00\x00\x00\x00" + body)


def m4a(seconds: float) -> bytes:
    duration = round(seconds * RATE)
    mvhd = _full(b"mvhd", struct.pack(">IIII", 0, 0, RATE, duration) + bytes(80))
    mdhd = _full(b"mdhd", struct.pack(">IIII", 0, 0, RATE, duration) + bytes(4))
    hdlr = _full(b"hdlr", b"\x00\x00\x00\x00soun" + bytes(12) + b"sound\x00")
    entry = _atom(b"mp4a", bytes(6) + struct.pack(">H", 1) + bytes(8)
                  + struct.pack(">HHHHI", 1, 16, 0, 0, RATE << 16) + _atom(b"free"))
    stsd = _full(b"stsd", struct.pack(">I", 1) + entry)
    stbl = _atom(b"stbl", stsd)
    minf = _atom(b"minf", stbl)
    trak = _atom(b"trak", _atom(b"mdia", mdhd, hdlr, minf))
    ftyp = _atom(b"ftyp", b"M4A \x00\x00\x02\x00M4A isom")
    return ftyp + _atom(b"moov", mvhd, trak) + _atom(b"mdat", bytes(16))


def wav(seconds: float) -> bytes:
    """A WAVE file: audio, but not a type Smultron takes."""
    data = bytes(int(seconds * 8000))
    fmt = struct.pack("<HHIIHH", 1, 1, 8000, 8000, 1, 8)
    return (b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt "
            + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(data)) + data)
