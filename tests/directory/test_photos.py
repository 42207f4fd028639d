"""Profile photos: uploaded on the profile page, checked by decoding, resized, stripped, shown to the chapter only."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image

from members.models import Profile
from members.photos import photo_prepare
from tests.directory.photos import give_photo, image_bytes, upload

pytestmark = pytest.mark.django_db

PROFILE_FORM = {
    "full_name": "Mona Member", "business_name": "Mona's Mortgages", "phone": "", "website": "", "ideal_referral": "",
    "phone_visibility": "hidden", "email_visibility": "hidden", "website_visibility": "chapters",
    "photo_visibility": "chapters",
}


def _post_profile(client, personas, **extra):
    personas.login(client, "member")
    return client.post(reverse("profile"), {**PROFILE_FORM, **extra})


def _stored(user) -> Image.Image:
    profile = Profile.objects.get(user=user)
    with default_storage.open(profile.photo.name) as f:
        image = Image.open(io.BytesIO(f.read()))
        image.load()
    return image


def test_an_uploaded_photo_is_resized_and_reencoded_as_jpeg(client, personas):
    response = _post_profile(client, personas, photo=upload(image_bytes((1600, 1200), fmt="PNG"), "me.png", "image/png"))
    assert response.status_code == 302
    image = _stored(personas.member.user)
    assert image.format == "JPEG" and max(image.size) == 400 and image.size == (400, 300)


def test_the_cameras_metadata_is_removed(client, personas):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # GPS latitude
    data = image_bytes((800, 600), exif=exif.tobytes())
    assert b"PhoneMaker" in data
    _post_profile(client, personas, photo=upload(data))
    image = _stored(personas.member.user)
    assert not image.getexif() and "exif" not in image.info
    with default_storage.open(Profile.objects.get(user=personas.member.user).photo.name) as f:
        assert b"PhoneMaker" not in f.read()


def test_a_photo_is_checked_by_decoding_not_by_its_name(client, personas):
    response = _post_profile(client, personas, photo=upload(b"<?php echo 'hi'; ?>" * 50, "me.jpg"))
    assert response.status_code == 200
    assert "not an image we can read" in response.content.decode()
    assert not Profile.objects.filter(user=personas.member.user).exclude(photo="").exists()
    # a real image under a misleading name is read for what it is
    response = _post_profile(client, personas, photo=upload(image_bytes(fmt="WEBP"), "me.txt", "text/plain"))
    assert response.status_code == 302 and _stored(personas.member.user).format == "JPEG"


def test_a_photo_over_the_size_limit_is_refused(client, personas, settings):
    settings.PROFILE_PHOTO_MAX_BYTES = 50_000
    noisy = Image.effect_noise((1000, 1000), 100).convert("RGB")  # noise does not compress
    buffer = io.BytesIO()
    noisy.save(buffer, format="JPEG", quality=95)
    assert len(buffer.getvalue()) > 50_000
    response = _post_profile(client, personas, photo=upload(buffer.getvalue()))
    assert response.status_code == 200 and "the most is" in response.content.decode()


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    with pytest.raises(ValidationError, match="too many pixels"):
        photo_prepare(upload(image_bytes((10_000, 5_000), fmt="PNG", mode="1", color=0), "bomb.png"))


def test_a_transparent_png_gets_a_white_background():
    prepared = photo_prepare(upload(image_bytes((50, 50), fmt="PNG", mode="RGBA", color=(0, 0, 0, 0)), "t.png"))
    image = Image.open(io.BytesIO(prepared.read()))
    assert image.mode == "RGB" and image.getpixel((25, 25)) == (255, 255, 255)


def test_a_new_photo_replaces_the_old_file(client, personas, django_capture_on_commit_callbacks):
    first = give_photo(personas.member).photo.name
    assert default_storage.exists(first)
    with django_capture_on_commit_callbacks(execute=True):
        _post_profile(client, personas, photo=upload(image_bytes((500, 500))))
    second = Profile.objects.get(user=personas.member.user).photo.name
    assert second != first and default_storage.exists(second) and not default_storage.exists(first)
    with django_capture_on_commit_callbacks(execute=True):
        _post_profile(client, personas, remove_photo="on")
    assert not Profile.objects.get(user=personas.member.user).photo and not default_storage.exists(second)


def test_saving_without_a_new_photo_keeps_the_photo(client, personas):
    name = give_photo(personas.member).photo.name
    _post_profile(client, personas, photo_visibility="hidden")
    profile = Profile.objects.get(user=personas.member.user)
    assert profile.photo.name == name and profile.photo_visibility == "hidden"


def test_a_shared_photo_is_served_to_the_chapter_as_jpeg_and_kept_private(client, personas):
    give_photo(personas.member)
    personas.login(client, "member2")
    html = client.get(personas.url("directory:chapter")).content.decode()
    url = personas.url("directory:photo", personas.member.pk)
    assert f'src="{url}?v=' in html
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"].startswith("private")
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"  # a JPEG


def test_a_hidden_photo_is_404_for_the_chapter_but_its_owner_still_sees_it(client, personas):
    give_photo(personas.member, visibility="hidden")
    personas.login(client, "president")
    assert client.get(personas.url("directory:photo", personas.member.pk)).status_code == 404
    personas.login(client, "member")
    assert client.get(reverse("profile-photo")).status_code == 200
    assert reverse("profile-photo") in client.get(reverse("profile")).content.decode()


def test_the_profile_page_saves_each_fields_choice(client, personas):
    response = _post_profile(
        client, personas, phone="+44 7700 900444", website="mona.example", ideal_referral="Landlords",
        phone_visibility="chapters", email_visibility="hidden", website_visibility="hidden",
    )
    assert response.status_code == 302
    profile = Profile.objects.get(user=personas.member.user)
    assert (profile.phone_visibility, profile.email_visibility, profile.website_visibility) == (
        "chapters", "hidden", "hidden")
    assert profile.website == "https://mona.example" and profile.ideal_referral == "Landlords"


def test_a_website_must_be_a_web_address(client, personas):
    response = _post_profile(client, personas, website="javascript:alert(1)")
    assert response.status_code == 200 and not Profile.objects.filter(user=personas.member.user).exists()


def test_deleting_an_account_deletes_its_photo(personas, django_capture_on_commit_callbacks):
    name = give_photo(personas.member2).photo.name
    with django_capture_on_commit_callbacks(execute=True):
        personas.member2.delete()
        personas.member2.user.delete()
    assert not default_storage.exists(name)
