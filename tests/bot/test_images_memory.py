"""A huge but valid photo costs one bounded decode, not several full-size copies.

Measured as the peak resident memory (VmHWM) of a child process (Pillow allocates
outside Python's heap, where tracemalloc cannot see), around the three calls a photo goes
through: the check, the picture a local model reads, and the JPEG a vision model gets.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from PIL import Image, ImageDraw

from tests.support.corpus import REPO

SIDE = 6000  # 36 megapixels, within the 40-megapixel limit
FULL_DECODE_MB = SIDE * SIDE * 4 / 2**20  # Pillow holds RGBA (and RGB) at 4 bytes a pixel
MARGIN_MB = 100  # one band while reducing, the reduced copies, the interpreter's own growth

MEASURE = """
import json, re, sys
from bot.images import check_image, load_rgb, to_rgb_jpeg
data = open(sys.argv[1], "rb").read()
def peak():  # this process's high-water mark (ru_maxrss would include the parent's)
    status = open("/proc/self/status").read()
    return int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) / 1024
before = peak()
width, height, _ = check_image(data)
size = list(load_rgb(data).size)
jpeg = to_rgb_jpeg(data)
print(json.dumps({"extra_mb": peak() - before, "size": size,
                  "checked": [width, height], "jpeg": len(jpeg)}))
"""


def _huge_png(path: Path) -> Path:
    """A 36 MP RGBA PNG of about 150 KB: mostly flat colour with a sign drawn on it."""
    picture = Image.new("RGBA", (SIDE, SIDE), (255, 255, 255, 255))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((1000, 1000, 5000, 5000), fill=(200, 30, 30, 200))
    draw.text((1200, 1200), "Fresh pesto", fill="black", font_size=400)
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    path.write_bytes(out.getvalue())
    return path


def test_a_36_megapixel_png_stays_within_one_full_decode(tmp_path: Path) -> None:
    photo = _huge_png(tmp_path / "huge.png")
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(photo)],
        cwd=REPO, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    found = json.loads(done.stdout)
    print(f"\n36 MP PNG ({photo.stat().st_size // 1024} KB): +{found['extra_mb']:.0f} MB peak "
          f"(one full decode is {FULL_DECODE_MB:.0f} MB)")
    assert found["extra_mb"] < FULL_DECODE_MB + MARGIN_MB
    assert found["checked"] == [SIDE, SIDE]
    assert max(found["size"]) <= 2048 and found["jpeg"] > 0
