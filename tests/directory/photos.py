"""Image files for the directory's tests, made with Pillow in memory."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def image_bytes(size=(1200, 800), fmt="JPEG", color=(200, 80, 40), mode="RGB", **save) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, format=fmt, **save)
    return buffer.getvalue()


def upload(data: bytes, name="photo.jpg", content_type="image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def give_photo(membership, *, visibility="chapters"):
    """A profile with a stored photo for the seat's person, shared (or hidden) as asked."""
    from members.models import Profile
    from members.photos import photo_prepare
    from members.services import profile_directory_update

    card = Profile.objects.filter(user=membership.user).first() or Profile()
    return profile_directory_update(
        user=membership.user, website=card.website, ideal_referral=card.ideal_referral,
        visibility={"photo": visibility}, photo=photo_prepare(upload(image_bytes((300, 300)))),
    )
