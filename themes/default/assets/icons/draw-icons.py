# Draws the default theme's icon: a red rounded square with three white "text lines", as PNG and ICO.
import zlib, struct, sys
def png(size):
    r = size * 0.18
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            # rounded square mask
            cx = min(max(x + 0.5, r), size - r); cy = min(max(y + 0.5, r), size - r)
            inside = (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r
            if not inside:
                row += bytes([0, 0, 0, 0]); continue
            u, v = (x + 0.5) / size, (y + 0.5) / size
            line = 0.2 <= u <= 0.8 and any(a <= v <= a + 0.1 for a in (0.22, 0.45)) or (0.2 <= u <= 0.6 and 0.68 <= v <= 0.78)
            row += bytes([255, 255, 255, 255]) if line else bytes([0xa4, 0x16, 0x1a, 255])
        rows.append(bytes(row))
    raw = b"".join(rows)
    def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
out = sys.argv[1]
for s in (192, 512, 180):
    open(f"{out}/icon-{s}.png", "wb").write(png(s))
p32 = png(32)
ico = struct.pack("<HHH", 0, 1, 1) + struct.pack("<BBBBHHII", 32, 32, 0, 0, 1, 32, len(p32), 22) + p32
open(f"{out}/favicon.ico", "wb").write(ico)
