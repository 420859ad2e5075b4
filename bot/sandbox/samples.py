"""Sample pictures, so a newcomer without a photo at hand can still send one."""

from __future__ import annotations

import io
from functools import cache

from PIL import Image, ImageDraw


@cache
def sample_photo(kind: str) -> bytes:
    """A drawn selfie (`face`) or a drain cover in the street (anything else), as JPEG."""
    image = Image.new("RGB", (480, 360), (214, 226, 236) if kind == "face" else (150, 150, 146))
    draw = ImageDraw.Draw(image)
    if kind == "face":
        draw.ellipse((160, 60, 320, 260), fill=(241, 205, 170), outline=(120, 90, 70), width=3)
        draw.pieslice((150, 40, 330, 190), 180, 360, fill=(40, 32, 30))
        for x in (205, 275):
            draw.ellipse((x - 8, 140, x + 8, 156), fill=(40, 32, 30))
        draw.arc((200, 170, 280, 230), 20, 160, fill=(150, 60, 60), width=4)
        draw.rectangle((170, 270, 310, 360), fill=(60, 110, 170))
    else:
        draw.rectangle((140, 90, 340, 270), fill=(60, 60, 58), outline=(30, 30, 30), width=6)
        for x in range(160, 330, 22):
            draw.rectangle((x, 105, x + 10, 255), fill=(25, 25, 24))
        draw.ellipse((280, 230, 460, 330), fill=(110, 120, 96))  # the water that does not drain
    output = io.BytesIO()
    image.save(output, format="JPEG", quality=85)
    return output.getvalue()
