"""The API's notifications follow the person's delivery choices: a notice set "off" is listed, already read."""

from members.models import User
from members.notifications import notification_send
from tests.api.conftest import url as api_url


def test_an_off_notice_reads_as_read_in_the_api(personas, api):
    User.objects.filter(pk=personas.member.user.pk).update(notification_delivery={"thank_you": "off"})
    personas.member.user.refresh_from_db()
    notification_send(user=personas.member.user, kind="thank_you", title="Thanks", chapter=personas.chapter)
    token = api.token(personas.member)
    [item] = api.get(api_url("notification_list"), token).json()["items"]
    assert item["title"] == "Thanks" and item["read_at"] is not None
    assert api.get(api_url("notification_list") + "?unread=true", token).json()["items"] == []
