"""The roster downloads as CSV: what the page shows, formula-safe, without contact details."""

import csv
import io

import pytest

pytestmark = pytest.mark.django_db


def _rows(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_roster_csv_lists_the_seated_members_without_contacts(client, personas):
    personas.member.user.phone = "+44 7700 900555"
    personas.member.user.business_name = "=cmd|' /C calc'!A0"
    personas.member.user.save()
    personas.member2.status = "resigned"
    personas.member2.save()
    personas.login(client, "member")
    response = client.get(personas.url("chapters:roster-csv"))
    assert response["Content-Disposition"] == 'attachment; filename="roster-home-chapter.csv"'
    rows = _rows(response)
    assert rows[0] == ["Member", "Classification", "Business", "Role", "Status", "Joined on"]
    names = [r[0] for r in rows[1:]]
    assert "Mona Member" in names and "Max Member" not in names and "Otto Outsider" not in names
    mona = next(r for r in rows if r[0] == "Mona Member")
    assert mona[2] == "'=cmd|' /C calc'!A0"
    assert "7700" not in response.content.decode() and personas.member.user.email not in response.content.decode()


def test_the_roster_csv_keeps_the_pages_search(client, personas):
    personas.login(client, "member")
    rows = _rows(client.get(personas.url("chapters:roster-csv") + "?q=mona"))
    assert [r[0] for r in rows[1:]] == ["Mona Member"]


def test_the_roster_page_links_its_csv(client, personas):
    personas.login(client, "member")
    assert personas.url("chapters:roster-csv") in client.get(personas.url("chapters:roster")).content.decode()
