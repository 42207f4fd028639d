"""The report pages as people use them: who sees what, ranges, sorting, CSVs, the settings and the chapter page."""

import csv
import io
import json
import re
from datetime import UTC, date, datetime, time

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from meetings.models import Attendance, Meeting
from members.models import AuditEvent
from referrals.models import Referral
from reports.models import ScorecardLimits, ScorecardRules

NOW = datetime(2026, 6, 3, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _scorecard(personas, membership, query=""):
    return reverse("reports:scorecard", args=[personas.chapter.slug, membership.pk]) + query


# Who sees a scorecard ------------------------------------------------------------------------------


@pytest.mark.parametrize("who,status", [
    ("member", 200), ("member2", 403), ("president", 200), ("vice_president", 200), ("region_staff", 200),
    ("org_admin", 200), ("outsider", 404), ("other_region_staff", 404),
])
def test_a_scorecard_is_the_members_and_leaderships_to_see(client, personas, who, status):
    personas.login(client, who)
    response = client.get(_scorecard(personas, personas.member))
    assert response.status_code == status
    if status == 200:
        assert "Mona Member" in response.content.decode()


def test_the_member_reads_my_scorecard_and_the_menu_links_it(client, personas):
    personas.login(client, "member")
    html = client.get(_scorecard(personas, personas.member)).content.decode()
    assert "<h1>My scorecard</h1>" in html
    assert f'href="{_scorecard(personas, personas.member)}">My scorecard</a>' in html
    assert reverse("reports:health", args=[personas.chapter.slug]) not in html  # not leadership's


def test_the_scorecard_shows_every_reason_and_the_chapters_ladders(client, personas):
    personas.login(client, "president")
    html = client.get(_scorecard(personas, personas.member)).content.decode()
    assert "0 absences in 26 weeks: 15 of 15 points (0 → 15, 1 → 10, 2 → 5, more → 0)." in html
    assert "20 of 100 points" in html  # no absence, never late: the rest earns nothing
    assert "grey (green from 70, amber from 50, red from 30, grey below 30)" in html
    assert "Change the chapter's scorecard" in html


@pytest.mark.parametrize("query,message", [
    ("?start=2026-05-01&end=2026-04-01", "The end comes before the start."),
    ("?start=2024-01-01&end=2026-06-01", "Choose at most two years"),
    ("?start=2026-05-01&end=2026-07-01", "The report cannot reach past today"),
    ("?start=nonsense&end=2026-06-01", "Enter a valid date."),
    ("?start=2026-05-01", "This field is required."),
])
def test_a_refused_range_says_why_and_shows_no_figures(client, personas, query, message):
    personas.login(client, "member")
    response = client.get(_scorecard(personas, personas.member, query))
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html and 'data-testid="range-refused"' in html and 'data-testid="lights"' not in html


def test_a_chosen_range_is_used(client, personas):
    personas.login(client, "member")
    html = client.get(_scorecard(personas, personas.member, "?start=2026-05-07&end=2026-06-03")).content.decode()
    assert "0 absences in 4 weeks" in html and "7 May 2026 – 3 Jun 2026" in html


# Chapter health --------------------------------------------------------------------------------------


def _health(personas, query=""):
    return reverse("reports:health", args=[personas.chapter.slug]) + query


def _activity(personas):
    """A closed meeting last week with marks, and a referral."""
    chapter = personas.chapter
    day = date(2026, 5, 27)
    meeting = Meeting.objects.create(chapter=chapter, local_date=day, scheduled_date=day, status="closed",
                                     starts_at=datetime.combine(day, time(7), tzinfo=chapter.tz))
    for m, status in ((personas.member, "present"), (personas.member2, "absent"), (personas.president, "late")):
        Attendance.objects.create(meeting=meeting, membership=m, status=status)
    Referral.objects.create(chapter=chapter, giver=personas.member, receiver=personas.member2,
                            consent=Referral.Consent.STATED)


def test_health_draws_each_chart_from_json_with_its_table_beside_it(client, personas):
    _activity(personas)
    personas.login(client, "president")
    html = client.get(_health(personas)).content.decode()
    data = json.loads(re.search(r'<script id="chart-data-attendance" type="application/json">(.*?)</script>', html)[1])
    assert data["type"] == "line" and len(data["labels"]) == 26 and data["labels"][-2] == "25 May"
    assert data["datasets"][0]["data"][-2] == pytest.approx(66.7)  # 2 of 3 counted marks
    assert html.count("<canvas data-chart=") == 4  # attendance, referrals, conversion, seats
    assert html.count('<details class="chart-data">') == 4
    assert html.count('data-testid="chart-empty"') == 2
    assert "No closed business was thanked for in this range." in html and "No visitor came in this range." in html
    assert "<script>" not in html.replace('<script type="application/json"', "") and " style=" not in html
    assert " onclick=" not in html


def test_health_charts_say_so_when_there_is_nothing_to_draw(client, personas):
    personas.login(client, "president")
    html = client.get(_health(personas)).content.decode()
    assert "No meeting was held (or marked) in this range: no attendance to show." in html
    assert "No referral was given in this range." in html


def test_the_roster_of_scorecards_sorts_on_the_server_and_says_how(client, personas):
    _activity(personas)
    personas.login(client, "president")
    html = client.get(_health(personas, "?sort=name")).content.decode()
    names = re.findall(r'<td class="stack-head"><a href="[^"]+">([^<]+)</a>', html)
    assert names == sorted(names) and "Mona Member" in names
    assert 'aria-sort="ascending"><a href="?start=2025-12-08&amp;end=2026-06-03&amp;sort=name&amp;reverse=1"' in html
    html = client.get(_health(personas, "?sort=name&reverse=1")).content.decode()
    assert re.findall(r'<td class="stack-head"><a href="[^"]+">([^<]+)</a>', html) == sorted(names, reverse=True)
    assert 'aria-sort="descending"' in html
    html = client.get(_health(personas, "?sort=absences")).content.decode()
    rows = re.findall(r'<td class="stack-head"><a href="[^"]+">([^<]+)</a>', html)
    assert rows[-1] == "Max Member"  # the one absence: fewest points last


def test_htmx_gets_the_fragment_it_targets(client, personas):
    _activity(personas)
    personas.login(client, "president")
    roster = client.get(_health(personas, "?sort=name"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="health-roster")
    body = roster.content.decode()
    assert body.lstrip().startswith('<section id="health-roster"') and "<canvas" not in body and "<html" not in body
    report = client.get(_health(personas), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="health-report").content.decode()
    assert report.lstrip().startswith('<div id="health-report"') and "chart-data-attendance" in report
    assert 'id="health-roster"' in report and "<html" not in report


def test_health_refuses_a_bad_range_in_words(client, personas):
    personas.login(client, "president")
    html = client.get(_health(personas, "?start=2026-06-01&end=2026-05-01")).content.decode()
    assert "The end comes before the start." in html and "<canvas" not in html


def _csv(response):
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment; filename=")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_weekly_csv_has_a_row_a_week(client, personas):
    _activity(personas)
    personas.login(client, "president")
    rows = _csv(client.get(reverse("reports:health-csv", args=[personas.chapter.slug])))
    assert rows[0][:3] == ["Week from", "Meetings", "Present"] and len(rows) == 1 + 26
    last_week = rows[-2]
    assert last_week[0] == "2026-05-25" and last_week[1:8] == ["1", "1", "1", "0", "1", "0", "66.7"]
    assert last_week[8:12] == ["0", "0", "0", ""]  # the referral was given today, in the next week
    assert rows[-1][8:10] == ["1", "1"]


def test_the_scorecards_csv_is_formula_safe(client, personas):
    personas.member.user.full_name = "=HYPERLINK(\"http://evil\")"
    personas.member.user.save()
    personas.login(client, "president")
    rows = _csv(client.get(reverse("reports:scorecards-csv", args=[personas.chapter.slug]) + "?sort=name"))
    assert rows[0][:6] == ["Member", "Classification", "Status", "Score", "Out of", "Band"]
    assert rows[0][6:8] == ["Absences: figure", "Absences: points"]
    assert len(rows) == 1 + 5  # every seated member of the chapter
    assert ["'=HYPERLINK(\"http://evil\")"] == [r[0] for r in rows if "HYPERLINK" in r[0]]


def test_a_csv_of_a_refused_range_is_a_400_in_words(client, personas):
    personas.login(client, "president")
    response = client.get(reverse("reports:health-csv", args=[personas.chapter.slug]) + "?start=x&end=y")
    assert response.status_code == 400 and "the date range was refused" in response.content.decode()


# The chapter page's Health label ----------------------------------------------------------------------


def test_the_health_label_links_leadership_to_health_and_states_its_rule(client, personas):
    personas.login(client, "president")
    html = client.get(reverse("chapters:home", args=[personas.chapter.slug])).content.decode()
    assert f'<a href="{_health(personas)}" data-testid="health-link" aria-describedby="health-rule">Health: restart</a>' in html
    assert ("Active members under 17: restart, 17–23: high risk, 24–27: at risk, 28–32: fit, 33 and more: healthy"
            in html)
    personas.login(client, "member")
    html = client.get(reverse("chapters:home", args=[personas.chapter.slug])).content.decode()
    assert "Health: restart" in html and 'data-testid="health-link"' not in html and "33 and more: healthy" in html


# Scorecard settings ---------------------------------------------------------------------------------------

SETTINGS = {
    "absences": "0=15, 1=10, 2=5", "lates": "0=5", "referrals": "0.5=5, 1=15", "visitors": "0.1=10, 0.2=20",
    "one_to_ones": "0.25=5, 0.5=10", "education": "0.25=5, 0.5=10", "testimonials": "1=5, 2=10",
    "tyfcb": "1000=5, 5000=15",
    "referrals_count": "consented", "tyfcb_counts": "both", "tyfcb_business": "new",
    "green_from": "75", "amber_from": "55", "red_from": "35",
}


def _settings(personas):
    return reverse("reports:scorecard-settings", args=[personas.chapter.slug])


def test_leadership_sets_the_scorecard_and_the_audit_trail_says_what_changed(client, personas):
    personas.login(client, "president")
    response = client.post(_settings(personas), SETTINGS)
    assert response.status_code == 302
    rules = ScorecardRules.objects.get(chapter=personas.chapter)
    assert rules.one_to_ones == [["0.25", 5], ["0.5", 10]] and rules.referrals_count == "consented"
    assert (rules.green_from, rules.amber_from, rules.red_from) == (75, 55, 35)
    event = AuditEvent.objects.get(action="scorecard.rules_changed")
    assert event.actor == personas.president.user and "one_to_ones" in event.summary_params["fields"]["names"]
    assert event.before["one_to_ones"] == [] and event.after["green_from"] == 75
    with translation.override("de"):  # the fields changed, named as the scorecard form names them
        assert "One-to-Ones" in event.summary_text and "Grün ab (Punkte)" in event.summary_text, event.summary_text
    html = client.get(_scorecard(personas, personas.member)).content.decode()
    assert "green from 75, amber from 55, red from 35" in html
    assert "0 one-to-ones (confirmed) in 26 weeks = 0 a week: 0 of 10 points (&lt; 0.25 → 0, ≥ 0.25 → 5, ≥ 0.5 → 10)" in html


@pytest.mark.parametrize("change,field,message", [
    ({"tyfcb": "1000=5"}, None, "must add up to 100; they add up to 90"),
    ({"referrals": "0.5=35", "tyfcb": ""}, "referrals", "at most 30 points for any one figure"),
    ({"absences": "0=15, 5=5"}, "absences", "no points for more than 4 absences"),
    ({"referrals": "0.2=5, 0.4=15"}, "referrals", "at least 0.5 referrals a week for the full points"),
    ({"green_from": "55", "amber_from": "40", "red_from": "20"}, "green_from", "starts green at 60 points"),
    ({"amber_from": "80"}, "amber_from", "Amber must start below green."),
    ({"lates": "1=5, 0=5"}, "lates", "smallest to largest"),
    ({"visitors": "0.1=10\n0.2=20"}, "visitors", "line breaks"),
])
def test_the_settings_refuse_what_the_limits_or_sense_forbid(client, personas, change, field, message):
    personas.login(client, "president")
    response = client.post(_settings(personas), {**SETTINGS, **change})
    assert response.status_code == 200
    form = response.context["form"]
    errors = form.non_field_errors() if field is None else form.errors[field]
    assert any(message in e for e in errors), errors
    assert not ScorecardRules.objects.filter(chapter=personas.chapter).exists()


def test_a_region_may_loosen_its_limits(client, personas):
    ScorecardLimits.objects.create(region=personas.chapter.region, component_points_max=40, green_from_min=50)
    personas.login(client, "president")
    change = {"referrals": "0.5=35", "tyfcb": "", "visitors": "0.1=10, 0.2=15", "green_from": "55", "amber_from": "40",
              "red_from": "20"}
    response = client.post(_settings(personas), {**SETTINGS, **change})
    assert response.status_code == 302, response.context["form"].errors


def test_the_settings_page_shows_the_scorecard_in_force_and_the_limits(client, personas):
    personas.login(client, "treasurer")
    html = client.get(_settings(personas)).content.decode()
    assert "<strong>Absences</strong>: 0 → 15, 1 → 10, 2 → 5, more → 0" in html
    assert "<strong>One-to-ones</strong>: not scored" in html
    assert "at most 30 points for any one figure, green from 60 points at the lowest" in html
    assert 'value="0.5=5, 0.75=10, 1=15, 1.2=20"' in html


def test_saving_the_scorecard_unchanged_says_so(client, personas):
    personas.login(client, "president")
    assert client.post(_settings(personas), SETTINGS).status_code == 302
    response = client.post(_settings(personas), SETTINGS)
    assert response.status_code == 200
    assert "Nothing changed: this is the chapter&#x27;s scorecard already." in response.content.decode()
    assert AuditEvent.objects.filter(action="scorecard.rules_changed").count() == 1
