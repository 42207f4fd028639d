"""Profile photos: checked by decoding (never by the file's name), resized and re-encoded on upload.

Re-encoding to JPEG keeps only pixels: EXIF (a phone's GPS position, its serial number), ICC
profiles and comments are dropped, and anything hidden after the image data goes with them.
"""

from __future__ import annotations

import io
import secrets
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from leadsgroups.formats import format_number

MAX_SIDE = 400  # pixels: a directory card shows it at about 96 px, a retina screen at twice that
# A small file can still claim a huge canvas (a "decompression bomb"): refuse before decoding it.
MAX_PIXELS = 40_000_000
ACCEPTED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "GIF": "GIF"}
UPLOAD_TO = "profile-photos/"


def max_bytes() -> int:
    return settings.PROFILE_PHOTO_MAX_BYTES


def photo_prepare(upload) -> ContentFile:
    """The upload as a JPEG of at most MAX_SIDE × MAX_SIDE pixels, or ValidationError saying why not."""
    limit = max_bytes()
    if upload.size > limit:
        raise ValidationError(
            _("The photo is %(size)s MB; the most is %(limit)s MB."), code="too_big",
            params={"size": format_number(upload.size / 1_048_576, 1), "limit": format_number(limit / 1_048_576, 0)},
        )
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                if image.format not in ACCEPTED_FORMATS:
                    raise ValidationError(_("That file is not a JPEG, PNG, WebP or GIF image."), code="format")
                if image.width * image.height > MAX_PIXELS:
                    raise ValidationError(_("The photo has too many pixels; send a smaller one."), code="pixels")
                image.load()  # decode it all: a truncated or corrupt file fails here, not later
                image = ImageOps.exif_transpose(image)  # upright as the camera meant it, before EXIF is dropped
                image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
                out = _flatten(image)
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError,
            ValueError, SyntaxError) as exc:
        raise ValidationError(
            _("That file is not an image we can read (JPEG, PNG, WebP or GIF)."), code="invalid"
        ) from exc
    buffer = io.BytesIO()
    out.save(buffer, format="JPEG", quality=85, optimize=True)  # no exif= or icc_profile=: metadata is dropped
    return ContentFile(buffer.getvalue(), name=f"{secrets.token_hex(16)}.jpg")


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white: JPEG has no transparency, and a palette or CMYK image must be converted first."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")


def photo_response(profile) -> FileResponse:
    """Send a profile's photo; the caller decided the viewer may see it."""
    try:
        handle = profile.photo.open("rb")
    except FileNotFoundError as exc:  # the row outlived its file (restored backup, another machine's disk)
        raise Http404(_("No photo.")) from exc
    response = FileResponse(handle, content_type="image/jpeg")
    # Links carry the file's random name (?v=…): a new photo is a new address, so caching is safe;
    # private, because who may see it depends on who asks.
    response["Cache-Control"] = "private, max-age=86400"
    return response


def photo_version(profile) -> str:
    """The part of a photo link that changes with the photo (its random file name)."""
    return profile.photo.name.rsplit("/", 1)[-1].split(".", 1)[0][:12] if profile.photo else ""


def photo_file_forget(sender, instance, **kwargs) -> None:
    """post_delete of a Profile: delete its photo's file once the deletion is committed."""
    if instance.photo:
        name, storage = instance.photo.name, instance.photo.storage
        transaction.on_commit(lambda: storage.delete(name))
