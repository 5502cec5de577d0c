#!/usr/bin/env python3
# Writes a spoiled copy of a VP8 IVF file, for 46-hostile-input's GStreamer cases.
#
#   ivf_spoil.py KIND[:SEED] IN OUT
#
# Payload spoilers keep each frame's VP8 frame tag (and a key frame's start code and size), so
# that GStreamer's VP8 parser lets the frame through to the decoder and the spoiled bytes reach
# the daemon:
#   bitflip    flips about one bit in 64 of each frame's payload after its header
#   truncate   cuts each frame to a random part of its payload (the IVF frame size says so)
#   random     replaces each frame's payload after its header with random bytes
#   anyflip    flips about one bit in 256 anywhere in the frames, headers included
# IVF container spoilers (the frames' bytes untouched):
#   oversize   the 4th frame's size field claims more bytes than the file has left
#   zerosize   every 3rd frame's size field is 0 (its bytes then read as frame headers)
#   cut        the file ends in the middle of the 5th frame
#   header     the IVF header's size is 0x0 and its frame count and rate are nonsense
import random
import struct
import sys

IVF_HEADER, FRAME_HEADER = 32, 12


def frames(data):
    """(offset of the frame header, payload) for each frame."""
    pos = IVF_HEADER
    while pos + FRAME_HEADER <= len(data):
        size = struct.unpack_from("<I", data, pos)[0]
        yield pos, data[pos + FRAME_HEADER : pos + FRAME_HEADER + size]
        pos += FRAME_HEADER + size


def vp8_header_bytes(payload):
    """Bytes of the VP8 frame tag, with a key frame's start code and size."""
    return 10 if payload and not payload[0] & 1 else 3


def flip(buf, start, one_in, rng):
    for i in range(start, len(buf)):
        if rng.randrange(one_in) == 0:
            buf[i] ^= 1 << rng.randrange(8)


def spoil(kind, data, rng):
    head = bytearray(data[:IVF_HEADER])
    if kind == "header":
        struct.pack_into("<HHIII", head, 12, 0, 0, 0, 7, 0xFFFFFFFF)
        return bytes(head) + data[IVF_HEADER:]
    out = bytearray(head)
    for n, (pos, payload) in enumerate(frames(data)):
        pts = data[pos + 4 : pos + FRAME_HEADER]
        payload = bytearray(payload)
        keep = min(vp8_header_bytes(payload), len(payload))
        size = len(payload)
        if kind == "bitflip":
            flip(payload, keep, 64, rng)
        elif kind == "anyflip":
            flip(payload, 0, 256, rng)
        elif kind == "random":
            payload[keep:] = rng.randbytes(len(payload) - keep)
        elif kind == "truncate":
            del payload[rng.randrange(keep, len(payload) + 1) :]
            size = len(payload)
        elif kind == "oversize" and n == 3:
            size = len(data) * 2
        elif kind == "zerosize" and n % 3 == 2:
            size = 0
        elif kind == "cut" and n == 4:
            out += struct.pack("<I", size) + pts + payload[: len(payload) // 2]
            return bytes(out)
        elif kind not in ("oversize", "zerosize", "cut"):
            sys.exit(f"ivf_spoil: unknown kind {kind}")
        out += struct.pack("<I", size) + pts + payload
    return bytes(out)


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: ivf_spoil.py KIND[:SEED] IN OUT")
    kind, _, seed = sys.argv[1].partition(":")
    with open(sys.argv[2], "rb") as f:
        data = f.read()
    if data[:4] != b"DKIF":
        sys.exit(f"ivf_spoil: {sys.argv[2]} is not an IVF file")
    with open(sys.argv[3], "wb") as f:
        f.write(spoil(kind, data, random.Random(int(seed or 1))))


if __name__ == "__main__":
    main()
