"""Reads a PNG written by rsvg-convert (8-bit RGB or RGBA, not interlaced) with zlib alone and
prints JSON facts the plot tests assert on:

    png_probe.py FILE.png [--at X,Y]... [--near RRGGBB]...

{"width": W, "height": H, "non_white": N, "at": [[r, g, b], ...], "near": {"rrggbb": count, ...}}

non_white counts pixels that are visibly not white; near counts pixels within a small distance of
each colour (anti-aliased edges excluded). Alpha is composited onto white.
"""
import json
import struct
import sys
import zlib

NEAR_DISTANCE = 40  # per-channel sum: tolerates rendering differences, not a different hue
NON_WHITE_BELOW = 245


def read_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"{path}: not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        raise SystemExit(f"{path}: unsupported PNG (depth {depth}, colour type {colour}, interlace {interlace})")
    channels = 4 if colour == 6 else 3
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                predictor = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
                line[i] = (line[i] + predictor) & 0xFF
        rows.append(line)
        previous = line
    def pixel(x, y):
        line = rows[y]
        r, g, b = line[x * channels:x * channels + 3]
        a = line[x * channels + 3] if channels == 4 else 255
        return [round(c * a / 255 + 255 * (1 - a / 255)) for c in (r, g, b)]
    return width, height, pixel


def main(argv):
    path, at, near = argv[0], [], []
    args = iter(argv[1:])
    for flag in args:
        value = next(args)
        if flag == "--at":
            at.append(tuple(int(v) for v in value.split(",")))
        elif flag == "--near":
            near.append(value.lower())
    width, height, pixel = read_png(path)
    targets = {h: (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)) for h in near}
    counts, non_white = {h: 0 for h in near}, 0
    for y in range(height):
        for x in range(width):
            p = pixel(x, y)
            if min(p) < NON_WHITE_BELOW:
                non_white += 1
            for h, t in targets.items():
                if sum(abs(a - b) for a, b in zip(p, t)) <= NEAR_DISTANCE:
                    counts[h] += 1
    print(json.dumps({"width": width, "height": height, "non_white": non_white,
                      "at": [pixel(x, y) for x, y in at], "near": counts}))


if __name__ == "__main__":
    main(sys.argv[1:])
