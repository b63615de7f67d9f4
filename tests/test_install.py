"""The install: `make install` (Makefile) and the image (Dockerfile) install the versions
uv.lock pins, with the same uv."""

import re
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def test_the_makefile_and_the_image_install_with_the_same_uv():
    makefile = (BASE_DIR / "Makefile").read_text()
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    (make_version,) = re.findall(r"^UV_VERSION := (\S+)$", makefile, re.MULTILINE)
    (image_version,) = re.findall(r"pip install --no-cache-dir uv==(\S+)", dockerfile)
    assert make_version == image_version
