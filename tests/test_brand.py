"""The brand images Home Assistant (2026.3+) serves for the integration and HACS checks for."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
import pytest

BRAND = Path(__file__).resolve().parents[1] / "custom_components" / "wmbus" / "brand"


@pytest.mark.parametrize(
    ("name", "size"),
    [("icon.png", 256), ("icon@2x.png", 512), ("dark_icon.png", 256), ("dark_icon@2x.png", 512)],
)
def test_brand_image_is_a_square_png_of_its_size(name: str, size: int) -> None:
    with Image.open(BRAND / name) as image:
        assert image.format == "PNG"
        assert image.size == (size, size)
        assert image.has_transparency_data  # the rounded corners show the background
    assert (BRAND / name).stat().st_size < 16 * 1024  # served to every browser: keep it small
