"""A realistic organisation built with set-based SQL (INSERT … SELECT over generate_series), PostgreSQL only.

Everything is relative to "now" (the app's clock, so time-machine and the settable clock move it):
the last `weeks` weekly meetings of every chapter end today, the next four are scheduled. The year
is "not yet judged": no fines, no cases, so the enforcement sweep has its first run to do. Who
breaks a rule is decided by a few weak members per chapter (about 3 % miss meetings, 3 % give few
referrals), so the rules produce a few percent of violators, as in a real organisation.

Ids are drawn from the tables' own sequences into temporary tables first, so each later
statement joins on them instead of looking rows up again.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from chapters.professions import PROFESSIONS

DEMO_PASSWORD = "scale-demo-2026"
DEMO_DOMAIN = "scale.leadsgroups.test"
# Specialities that turn the 40 stock professions into 200 classifications: a chapter of 150 needs
# 150 distinct ones.
SPECIALITIES = ["Commercial", "Residential", "Specialist", "Independent"]

FIRST = (
    "Aisha Alex Amara Ana Ben Carlos Chen Chloe Daniel Dev Elena Emma Farah Felix Grace Hannah Hiro Ines "
    "Isaac Jamal Jana Jonas Julia Kai Kenji Lara Leo Lina Lucas Maya Mei Mia Noah Nora Omar Oscar Priya "
    "Rafael Rosa Ruth Sam Sara Sofia Tariq Tom Uma Victor Wei Yara Zoe"
).split()
LAST = (
    "Adams Ahmed Ali Baker Becker Brown Costa Davies Dubois Evans Fischer Garcia Gupta Hall Ito Jensen Khan "
    "Kim Kowalski Lee Lopez Martin Meyer Moreau Murphy Nakamura Novak Okafor Patel Rossi Santos Schmidt "
    "Silva Singh Smith Suzuki Tan Taylor Walker Wang Weber Wilson Wong Yilmaz Young Zhang"
).split()
# (label, [(city, timezone, currency)]): twelve cities a zone.
ZONES = [
    ("Europe", [
        ("London", "Europe/London", "GBP"), ("Leeds", "Europe/London", "GBP"), ("Bristol", "Europe/London", "GBP"),
        ("Dublin", "Europe/Dublin", "EUR"), ("Lyon", "Europe/Paris", "EUR"), ("Ghent", "Europe/Brussels", "EUR"),
        ("Munich", "Europe/Berlin", "EUR"), ("Vienna", "Europe/Vienna", "EUR"), ("Milan", "Europe/Rome", "EUR"),
        ("Seville", "Europe/Madrid", "EUR"), ("Porto", "Europe/Lisbon", "EUR"), ("Krakow", "Europe/Warsaw", "PLN"),
    ]),
    ("Americas", [
        ("Boston", "America/New_York", "USD"), ("Atlanta", "America/New_York", "USD"),
        ("Miami", "America/New_York", "USD"), ("Toronto", "America/Toronto", "CAD"),
        ("Austin", "America/Chicago", "USD"), ("Omaha", "America/Chicago", "USD"),
        ("Denver", "America/Denver", "USD"), ("Phoenix", "America/Phoenix", "USD"),
        ("Seattle", "America/Los_Angeles", "USD"), ("Portland", "America/Los_Angeles", "USD"),
        ("Campinas", "America/Sao_Paulo", "BRL"), ("Tampa", "America/New_York", "USD"),
    ]),
    ("Asia", [
        ("Osaka", "Asia/Tokyo", "JPY"), ("Kyoto", "Asia/Tokyo", "JPY"), ("Nagoya", "Asia/Tokyo", "JPY"),
        ("Kobe", "Asia/Tokyo", "JPY"), ("Penang", "Asia/Kuala_Lumpur", "MYR"), ("Jurong", "Asia/Singapore", "SGD"),
        ("Pune", "Asia/Kolkata", "INR"), ("Chennai", "Asia/Kolkata", "INR"), ("Mysore", "Asia/Kolkata", "INR"),
        ("Sharjah", "Asia/Dubai", "AED"), ("Ajman", "Asia/Dubai", "AED"), ("Kowloon", "Asia/Hong_Kong", "HKD"),
    ]),
]
WORDS = "Achievers Connectors Trailblazers Pathfinders Partners Leaders Catalysts Pioneers Navigators Builders".split()


@dataclass
class SeedResult:
    seconds: float
    counts: dict[str, int]
    logins: dict[str, str]
    big_chapter: str
    small_chapter: str
    members_big: int
    members_small: int
    steps: list[tuple[str, float]] = field(default_factory=list)


class SeedRefused(Exception):
    pass


COUNTED = [
    ("regions", "chapters_region"), ("chapters", "chapters_chapter"), ("classifications", "chapters_classification"),
    ("users", "members_user"), ("memberships", "members_membership"), ("rules_versions", "enforcement_chapterrules"),
    ("leaves", "enforcement_leave"), ("meetings", "meetings_meeting"), ("attendance_rows", "meetings_attendance"),
    ("visitors", "meetings_visitor"), ("presentations", "meetings_presentation"),
    ("testimonials", "meetings_testimonial"), ("referrals", "referrals_referral"),
    ("thank_yous", "referrals_thankyou"), ("one_to_ones", "referrals_onetoone"),
    ("notifications", "members_notification"), ("fines", "enforcement_fine"),
    ("expulsion_cases", "enforcement_expulsioncase"),
]


def row_counts() -> dict[str, int]:
    with connection.cursor() as cur:
        out = {}
        for name, table in COUNTED:
            cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed table names
            out[name] = cur.fetchone()[0]
        return out


def seed_scale(*, chapters: int, weeks: int, seed: int = 1, now: datetime | None = None, log=None) -> SeedResult:
    """Fill an empty database with `chapters` chapters and `weeks` weeks of history; returns counts and logins."""
    if connection.vendor != "postgresql":
        raise SeedRefused("seed_scale builds its data with PostgreSQL's set-based SQL; set DATABASE_URL=postgres://…")
    if chapters < 1 or weeks < 1:
        raise SeedRefused("--chapters and --weeks must be at least 1.")
    from chapters.models import Chapter

    if Chapter.objects.exists():
        raise SeedRefused("seed_scale fills an empty database, and this one has chapters: use a new database.")
    now = now or timezone.now()
    started = time.perf_counter()
    steps: list[tuple[str, float]] = []
    params = {
        "now": now, "weeks": weeks, "n": chapters, "seed": ((seed * 7919) % 10000) / 10000.0,
        "regions": max(1, math.ceil(chapters / 25)), "first": FIRST, "last": LAST, "words": WORDS,
        "demo_hash": make_password(DEMO_PASSWORD), "domain": DEMO_DOMAIN,
    }
    for i, (label, cities) in enumerate(ZONES):
        params[f"z{i}_label"] = label
        params[f"z{i}_city"], params[f"z{i}_tz"], params[f"z{i}_cur"] = (list(x) for x in zip(*cities, strict=True))
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL synchronous_commit = off")
        cur.execute("SET LOCAL work_mem = '128MB'")
        cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cur.execute("SELECT setseed(%(seed)s)", params)
        foreign_keys = _drop_foreign_keys(cur)
        _classifications(cur)
        cur.execute("SELECT array_agg(id ORDER BY id) FROM chapters_classification")
        class_ids = cur.fetchone()[0]
        params["classes"] = class_ids
        params["steps"] = [p for p in (7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47) if math.gcd(p, len(class_ids)) == 1]
        for name, sql in STEPS:
            t = time.perf_counter()
            for statement in sql.split(";\n"):
                if statement.strip():
                    cur.execute(statement, params)
            steps.append((name, time.perf_counter() - t))
            if log:
                log(f"  {name:<28} {steps[-1][1]:6.1f} s")
        cur.execute("SELECT slug, size FROM sc_chapter WHERE g IN (1, 2) ORDER BY g")
        demo = cur.fetchall()
        t = time.perf_counter()
        _restore_foreign_keys(cur, foreign_keys)
        steps.append(("foreign keys checked", time.perf_counter() - t))
        if log:
            log(f"  {'foreign keys checked':<28} {steps[-1][1]:6.1f} s")
    t = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    steps.append(("analyze", time.perf_counter() - t))
    counts = row_counts()
    big, small = demo[0], (demo[1] if len(demo) > 1 else demo[0])
    logins = {
        "org admin": f"admin@{DEMO_DOMAIN}", "region staff": f"region@{DEMO_DOMAIN}",
        f"president of {big[0]}": f"president150@{DEMO_DOMAIN}", f"member of {big[0]}": f"member150@{DEMO_DOMAIN}",
    }
    if len(demo) > 1:
        logins[f"president of {small[0]}"] = f"president10@{DEMO_DOMAIN}"
        logins[f"member of {small[0]}"] = f"member10@{DEMO_DOMAIN}"
    return SeedResult(
        seconds=time.perf_counter() - started, counts=counts, logins=logins, big_chapter=big[0],
        small_chapter=small[0], members_big=big[1], members_small=small[1], steps=steps,
    )


# Every table the seed writes to. Their foreign keys are dropped for the load and added back before
# the commit: adding one back checks all rows in one join, where the deferred per-row checks of a
# 10-million-row load take minutes at COMMIT (PostgreSQL's "Populating a Database" advice).
LOADED_TABLES = [
    "chapters_chapter", "chapters_regionstaff", "members_membership", "enforcement_chapterrules",
    "enforcement_leave", "meetings_meeting", "meetings_attendance", "referrals_referral", "referrals_thankyou",
    "referrals_onetoone", "meetings_visitor", "meetings_presentation", "meetings_testimonial",
    "members_notification",
]


def _drop_foreign_keys(cur) -> list[tuple[str, str, str]]:
    cur.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
        [LOADED_TABLES],
    )
    keys = cur.fetchall()
    for table, name, _ in keys:
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    return keys


def _restore_foreign_keys(cur, keys) -> None:
    for table, name, definition in keys:
        cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def _classifications(cur) -> None:
    names = list(PROFESSIONS) + [f"{p} ({s.lower()})" for s in SPECIALITIES for p in PROFESSIONS]
    cur.execute(
        "INSERT INTO chapters_classification (name, slug) SELECT n, s FROM unnest(%s::text[], %s::text[]) AS t(n, s) "
        "ON CONFLICT DO NOTHING",
        [names, [slugify(n) for n in names]],
    )


def _zone(col: str) -> str:
    """SQL picking a zone's value by the region's zone number `z` (0, 1, 2)."""
    return f"(ARRAY[%(z0_{col})s, %(z1_{col})s, %(z2_{col})s])[z + 1]"


STEPS = [
    ("regions", f"""
CREATE TEMP TABLE sc_region ON COMMIT DROP AS
SELECT r, (r - 1) %% 3 AS z, nextval(pg_get_serial_sequence('chapters_region', 'id')) AS id
FROM generate_series(1, %(regions)s) r;
INSERT INTO chapters_region (id, name, slug)
SELECT id, {_zone('label')} || ' ' || lpad(r::text, 2, '0'), 'scale-' || lower({_zone('label')}) || '-' || r
FROM sc_region;
"""),  # noqa: S608 - _zone() inserts fixed SQL; the values are parameters
    ("chapters", """
CREATE TEMP TABLE sc_chapter ON COMMIT DROP AS
SELECT g, id, region_id, z, size, ceil(size * 0.1)::int AS extra, tz, weekday, start_time, currency,
       slug, name, quota_kind, rules_kind,
       (%(now)s::timestamptz AT TIME ZONE tz)::date AS local_today
FROM (
  SELECT c.g, nextval(pg_get_serial_sequence('chapters_chapter', 'id')) AS id, reg.id AS region_id, reg.z,
         CASE c.g WHEN 1 THEN 150 WHEN 2 THEN 10 ELSE LEAST(150, 10 + floor(141 * power(random(), 6))::int) END AS size,
         (ARRAY[%(z0_tz)s, %(z1_tz)s, %(z2_tz)s])[reg.z + 1][1 + c.g %% 12] AS tz,
         CASE WHEN random() < 0.05 THEN 5 ELSE floor(random() * 5)::int END AS weekday,
         (ARRAY['07:00', '07:00', '06:45', '12:00', '18:30'])[1 + floor(random() * 5)::int]::time AS start_time,
         (ARRAY[%(z0_cur)s, %(z1_cur)s, %(z2_cur)s])[reg.z + 1][1 + c.g %% 12] AS currency,
         lower((ARRAY[%(z0_city)s, %(z1_city)s, %(z2_city)s])[reg.z + 1][1 + c.g %% 12]) || '-'
           || lower((%(words)s::text[])[1 + (c.g / 12) %% 10]) || '-' || c.g AS slug,
         (ARRAY[%(z0_city)s, %(z1_city)s, %(z2_city)s])[reg.z + 1][1 + c.g %% 12] || ' '
           || (%(words)s::text[])[1 + (c.g / 12) %% 10] || ' ' || c.g AS name,
         CASE WHEN c.g <= 2 THEN 'month' ELSE (ARRAY['none', 'none', 'none', 'none', 'none', 'none', 'none', 'none', 'none',
           'month', 'month', 'month', 'month', 'month', 'month', 'month', 'consented', 'consented', 'week', 'meeting']
         )[1 + floor(random() * 20)::int] END AS quota_kind,
         floor(random() * 20)::int AS rules_kind
  FROM generate_series(1, %(n)s) c(g)
  JOIN sc_region reg ON reg.r = 1 + (c.g - 1) %% %(regions)s
) x;
ALTER TABLE sc_chapter ADD PRIMARY KEY (g);
CREATE UNIQUE INDEX ON sc_chapter (id);
INSERT INTO chapters_chapter (id, region_id, name, slug, timezone, cadence, weekday, start_time, duration_minutes,
  venue, meal, currency, language, membership_fee, status, created_at)
SELECT id, region_id, name, slug, tz, 'weekly', weekday, start_time, 90,
  'The ' || split_part(name, ' ', 1) || ' Business Club', CASE WHEN start_time < '11:00' THEN 'breakfast'
  WHEN start_time < '15:00' THEN 'lunch' ELSE 'dinner' END, currency, 'en-gb', 450, 'active',
  %(now)s::timestamptz - interval '3 years'
FROM sc_chapter;
"""),
    ("seats", """
CREATE TEMP TABLE sc_seat ON COMMIT DROP AS
SELECT x.*, (x.status IN ('active', 'on_leave', 'probation')) AS seated,
       (x.status IN ('active', 'on_leave', 'probation') AND x.joined_on < x.data_start) AS stable
FROM (
  SELECT c.g, c.id AS chapter_id, s.k, c.local_today, c.local_today - 7 * %(weeks)s AS data_start,
         nextval(pg_get_serial_sequence('members_membership', 'id')) AS id,
         nextval(pg_get_serial_sequence('members_user', 'id')) AS user_id,
         CASE WHEN s.k <= 4 THEN 'active'
              WHEN s.k <= c.size THEN CASE WHEN r1 < 0.015 THEN 'on_leave' WHEN r1 < 0.02 THEN 'probation' ELSE 'active' END
              ELSE CASE WHEN r1 < 0.3 THEN 'applicant' WHEN r1 < 0.93 THEN 'resigned' ELSE 'expelled' END END AS status,
         CASE s.k WHEN 1 THEN 'president' WHEN 2 THEN 'vice_president' WHEN 3 THEN 'secretary_treasurer'
              ELSE 'member' END AS role,
         CASE WHEN s.k > c.size AND r1 < 0.3 THEN c.local_today - floor(r2 * 30)::int
              WHEN s.k <= 4 OR s.k > c.size OR r2 < 0.8 THEN c.local_today - 7 * %(weeks)s - 30 - floor(r3 * 1500)::int
              ELSE c.local_today - 7 * %(weeks)s + floor(r3 * GREATEST(1, 7 * %(weeks)s - 14))::int END AS joined_on,
         CASE WHEN s.k > c.size AND r1 >= 0.3 THEN c.local_today - 7 * %(weeks)s + floor(r2 * 7 * %(weeks)s)::int END
           AS left_on,
         (%(classes)s::bigint[])[1 + ((s.k - 1) * (%(steps)s::int[])[1 + c.g %% cardinality(%(steps)s::int[])]
           + c.g * 7) %% cardinality(%(classes)s::bigint[])] AS classification_id,
         CASE WHEN s.k <= 4 THEN 'normal' WHEN r4 < 0.03 THEN 'weak_attend' WHEN r4 < 0.06 THEN 'weak_refer'
              ELSE 'normal' END AS tier,
         (%(first)s::text[])[1 + floor(r5 * cardinality(%(first)s::text[]))::int] AS first_name,
         (%(last)s::text[])[1 + floor(r6 * cardinality(%(last)s::text[]))::int] AS last_name
  FROM sc_chapter c
  CROSS JOIN LATERAL generate_series(1, c.size + c.extra) s(k)
  CROSS JOIN LATERAL (SELECT random() + s.k * 0 AS r1, random() + s.k * 0 AS r2, random() + s.k * 0 AS r3,
                             random() + s.k * 0 AS r4, random() + s.k * 0 AS r5, random() + s.k * 0 AS r6) r
) x;
ALTER TABLE sc_seat ADD PRIMARY KEY (id);
CREATE INDEX ON sc_seat (chapter_id) WHERE stable;
"""),
    ("users and memberships", """
INSERT INTO members_user (id, password, last_login, is_superuser, email, full_name, business_name, phone, is_active,
  is_staff, is_org_admin, notification_delivery, language, date_joined)
SELECT s.user_id,
  CASE WHEN s.g IN (1, 2) AND s.k IN (1, 4) THEN %(demo_hash)s ELSE '!' || md5(s.id::text || random()::text) END,
  NULL, false,
  CASE WHEN s.g = 1 AND s.k = 1 THEN 'president150@' || %(domain)s WHEN s.g = 1 AND s.k = 4 THEN 'member150@' || %(domain)s
       WHEN s.g = 2 AND s.k = 1 THEN 'president10@' || %(domain)s WHEN s.g = 2 AND s.k = 4 THEN 'member10@' || %(domain)s
       ELSE 'c' || lpad(s.g::text, 4, '0') || 'm' || lpad(s.k::text, 3, '0') || '@' || %(domain)s END,
  s.first_name || ' ' || s.last_name, s.last_name || ' ' || cl.name, '+44 20 7946 ' || lpad((s.id %% 10000)::text, 4, '0'),
  true, false, false, '{}'::jsonb, '', s.joined_on::timestamptz
FROM sc_seat s JOIN chapters_classification cl ON cl.id = s.classification_id;
INSERT INTO members_user (password, is_superuser, email, full_name, business_name, phone, is_active, is_staff,
  is_org_admin, notification_delivery, language, date_joined)
VALUES (%(demo_hash)s, true, 'admin@' || %(domain)s, 'Olivia Admin', '', '', true, true, true, '{}', '', %(now)s),
       (%(demo_hash)s, false, 'region@' || %(domain)s, 'Rhea Regional', '', '', true, false, false, '{}', '', %(now)s);
INSERT INTO chapters_regionstaff (region_id, user_id)
SELECT r.id, u.id FROM sc_region r, members_user u WHERE r.r = 1 AND u.email = 'region@' || %(domain)s;
INSERT INTO account_emailaddress (user_id, email, verified, "primary")  -- the demo logins can sign in
SELECT id, email, true, true FROM members_user WHERE password = %(demo_hash)s;
INSERT INTO members_membership (id, user_id, chapter_id, classification_id, business_name, role, status, joined_on,
  renewal_due, left_on, status_note, created_at)
SELECT s.id, s.user_id, s.chapter_id, s.classification_id, s.last_name || ' ' || cl.name, s.role, s.status, s.joined_on,
  CASE WHEN s.seated THEN s.joined_on + ((s.local_today - s.joined_on) / 365 + 1) * 365 END, s.left_on,
  CASE s.status WHEN 'resigned' THEN 'Resigned: moved away' WHEN 'expelled' THEN 'Expelled by the membership committee'
       WHEN 'probation' THEN 'Probation agreed with the membership committee' ELSE '' END,
  s.joined_on::timestamptz
FROM sc_seat s JOIN chapters_classification cl ON cl.id = s.classification_id;
CREATE TEMP TABLE sc_stable ON COMMIT DROP AS
SELECT chapter_id, array_agg(id ORDER BY id) AS ids, count(*)::int AS n FROM sc_seat WHERE stable GROUP BY chapter_id;
ALTER TABLE sc_stable ADD PRIMARY KEY (chapter_id);
"""),
    ("rules versions", """
INSERT INTO enforcement_chapterrules (chapter_id, number, effective_from, currency, absence_window, window_months,
  fixed_start_month, absences_allowed, late_weight, medical_weight, substitute_weight, substitutes_allowed,
  medical_allowed, referral_quota, quota_period, quota_counts, fine_absence, fine_late, fine_quota, grace_days,
  exempt_on_leave, consent_grace_days, late_fee_stacks_with_absence, expulsion_violations, expulsion_months, reason,
  created_by_id, created_at, weight_given, weight_contacted, weight_meeting, weight_won, repeat_window_days)
SELECT c.id, v.number, CASE v.number WHEN 1 THEN c.local_today - 7 * %(weeks)s
         ELSE c.local_today - 30 - (c.g * 37) %% GREATEST(1, LEAST(200, 7 * %(weeks)s - 30)) END,
  c.currency,
  CASE WHEN c.rules_kind < 12 THEN 'rolling' WHEN c.rules_kind < 14 THEN 'rolling' WHEN c.rules_kind < 17 THEN 'quarter'
       ELSE 'half' END,
  CASE WHEN c.rules_kind BETWEEN 12 AND 13 THEN 12 ELSE 6 END,
  CASE WHEN c.rules_kind = 19 THEN 4 ELSE 1 END,
  LEAST(6, CASE WHEN c.rules_kind BETWEEN 12 AND 13 THEN 6 ELSE 3 END + (v.number = 2 AND c.g %% 2 = 0)::int),
  CASE WHEN c.rules_kind %% 5 = 0 THEN 0 WHEN c.rules_kind %% 7 = 1 THEN 1 ELSE 0.5 END, 0, 0, 3, 8,
  CASE WHEN c.quota_kind = 'none' AND v.number = 2 AND c.g %% 2 = 1 THEN 2 WHEN c.quota_kind = 'none' THEN 0
       WHEN c.quota_kind = 'month' THEN 2 ELSE 1 END,
  CASE WHEN c.quota_kind IN ('week', 'meeting') THEN c.quota_kind ELSE 'month' END,
  CASE WHEN c.quota_kind = 'consented' THEN 'consented' ELSE 'all' END,
  (ARRAY[0, 10, 20, 25])[1 + c.g %% 4], CASE WHEN c.g %% 20 = 3 THEN 2 ELSE 0 END, (ARRAY[0, 5, 10])[1 + c.g %% 3],
  (ARRAY[90, 90, 60, 0, 120])[1 + c.g %% 5], true, 3, false,
  CASE WHEN c.g %% 4 = 0 THEN 4 ELSE 3 END, CASE WHEN c.g %% 4 = 0 THEN 12 ELSE 6 END,
  CASE v.number WHEN 1 THEN 'First rules' ELSE 'Annual review: one more absence allowed, quota set' END,
  NULL, %(now)s::timestamptz - interval '1 year', 0.50, 1.00, 1.50, 2.00, 365
FROM sc_chapter c
CROSS JOIN LATERAL generate_series(1, CASE WHEN c.g %% 4 = 1 OR c.g = 2 THEN 2 ELSE 1 END) v(number);
"""),
    ("leave", """
CREATE TEMP TABLE sc_leave ON COMMIT DROP AS
SELECT s.id AS membership_id, s.chapter_id, s.local_today - 7 - floor(random() * 50)::int AS starts_on,
       CASE WHEN random() < 0.5 THEN NULL ELSE s.local_today + 14 + floor(random() * 60)::int END AS ends_on,
       'Medical leave agreed with leadership' AS reason
FROM sc_seat s WHERE s.status = 'on_leave'
UNION ALL
SELECT s.id, s.chapter_id, x.starts_on, x.starts_on + 21 + floor(random() * 35)::int, 'Parental leave'
FROM sc_seat s
CROSS JOIN LATERAL (SELECT s.data_start + floor(random() * GREATEST(1, 7 * %(weeks)s - 70))::int AS starts_on) x
WHERE s.stable AND s.status = 'active' AND s.k > 4 AND (s.id * 7919) %% 100 < 4 AND 7 * %(weeks)s > 70;
CREATE INDEX ON sc_leave (membership_id);
INSERT INTO enforcement_leave (chapter_id, membership_id, starts_on, ends_on, reason, created_by_id, created_at,
  updated_at)
SELECT chapter_id, membership_id, starts_on, ends_on, reason, NULL, starts_on::timestamptz, starts_on::timestamptz
FROM sc_leave;
"""),
    ("meetings", """
CREATE TEMP TABLE sc_meeting ON COMMIT DROP AS
SELECT x.*, CASE WHEN x.cancelled AND x.past THEN 'cancelled' WHEN x.past THEN 'closed' ELSE 'scheduled' END AS status
FROM (
  SELECT nextval(pg_get_serial_sequence('meetings_meeting', 'id')) AS id, c.id AS chapter_id, c.g, i, d AS local_date,
         (d + c.start_time) AT TIME ZONE c.tz AS starts_at,
         ((d + c.start_time) AT TIME ZONE c.tz) + interval '90 minutes' <= %(now)s::timestamptz AS past,
         (random() < 0.02 AND i > -(%(weeks)s - 1) AND i < 0 AND c.quota_kind <> 'week') AS cancelled
  FROM sc_chapter c
  CROSS JOIN LATERAL (SELECT c.local_today - ((extract(isodow FROM c.local_today)::int - 1 - c.weekday + 7) %% 7) AS last) l
  CROSS JOIN LATERAL generate_series(-(%(weeks)s - 1), 4) i
  CROSS JOIN LATERAL (SELECT l.last + 7 * i AS d) dd
) x;
ALTER TABLE sc_meeting ADD PRIMARY KEY (id);
INSERT INTO meetings_meeting (id, chapter_id, kind, starts_at, local_date, scheduled_date, duration_minutes, venue,
  status, cancel_reason, closed_at, closed_by_id, created_at)
SELECT m.id, m.chapter_id, 'regular', m.starts_at, m.local_date, m.local_date, 90, ch.venue, m.status,
  CASE WHEN m.status = 'cancelled' THEN 'Public holiday' ELSE '' END,
  CASE WHEN m.status = 'closed' THEN LEAST(m.starts_at + interval '2 hours', %(now)s::timestamptz) END,
  CASE WHEN m.status = 'closed' THEN p.user_id END, m.starts_at - interval '8 weeks'
FROM sc_meeting m JOIN chapters_chapter ch ON ch.id = m.chapter_id
JOIN sc_seat p ON p.chapter_id = m.chapter_id AND p.k = 1;
"""),
    ("attendance", """
CREATE TEMP TABLE sc_att ON COMMIT DROP AS
SELECT a.*, CASE
    WHEN a.in_leave THEN 'medical'
    WHEN a.tier = 'weak_attend' THEN CASE WHEN a.r < 0.72 THEN 'present' WHEN a.r < 0.78 THEN 'late'
      WHEN a.r < 0.90 THEN 'absent' WHEN a.r < 0.96 THEN 'substitute' ELSE 'medical' END
    ELSE CASE WHEN a.r < 0.905 THEN 'present' WHEN a.r < 0.93 THEN 'late' WHEN a.r < 0.95 THEN 'absent'
      WHEN a.r < 0.98 THEN 'substitute' ELSE 'medical' END END AS status
FROM (
  SELECT m.id AS meeting_id, s.id AS membership_id, s.user_id, s.chapter_id, s.tier, m.starts_at, m.local_date, m.i,
         EXISTS (SELECT 1 FROM sc_leave l WHERE l.membership_id = s.id AND l.starts_on <= m.local_date
                 AND (l.ends_on IS NULL OR m.local_date <= l.ends_on)) AS in_leave,
         random() + m.i * 0 AS r
  FROM sc_meeting m JOIN sc_seat s ON s.chapter_id = m.chapter_id
  WHERE m.status = 'closed' AND s.status <> 'applicant' AND s.joined_on <= m.local_date
    AND (s.left_on IS NULL OR m.local_date <= s.left_on)
) a;
INSERT INTO meetings_attendance (meeting_id, membership_id, status, substitute_name, substitute_business,
  recorded_by_id, recorded_at)
SELECT meeting_id, membership_id, status, CASE WHEN status = 'substitute' THEN 'Sam Standin' ELSE '' END,
  CASE WHEN status = 'substitute' THEN 'Standin Services' ELSE '' END, NULL, starts_at + interval '20 minutes'
FROM sc_att;
"""),
    ("referrals", """
CREATE TEMP TABLE sc_ref ON COMMIT DROP AS
SELECT y.*, CASE
    WHEN y.consent = 'declined' THEN 'prospect_declined'
    WHEN y.age < 7 THEN (ARRAY['given', 'given', 'accepted', 'contacted'])[1 + floor(y.r2 * 4)::int]
    WHEN y.r2 < 0.22 THEN 'won' WHEN y.r2 < 0.37 THEN 'lost' WHEN y.r2 < 0.42 THEN 'declined'
    WHEN y.r2 < 0.50 THEN 'meeting' WHEN y.r2 < 0.65 THEN 'contacted' WHEN y.r2 < 0.80 THEN 'accepted'
    ELSE 'given' END AS status
FROM (
  SELECT x.*, CASE WHEN x.r1 < 0.55 THEN 'stated' WHEN x.r1 < 0.75 THEN 'confirmed' WHEN x.r1 < 0.97 THEN 'not_asked'
                   ELSE 'declined' END AS consent,
         extract(epoch FROM %(now)s::timestamptz - x.created_at) / 86400 AS age
  FROM (
    SELECT a.chapter_id, a.membership_id AS giver_id,
           CASE WHEN st.ids[1 + floor(q.ri * st.n)::int] <> a.membership_id THEN st.ids[1 + floor(q.ri * st.n)::int]
                ELSE st.ids[1 + (floor(q.ri * st.n)::int + 1) %% st.n] END AS receiver_id,
           LEAST(CASE WHEN c.quota_kind IN ('week', 'meeting') THEN a.starts_at + interval '30 minutes' + q.rt * interval '1 hour'
                      ELSE a.starts_at + q.rt * interval '6 days' END, %(now)s::timestamptz - interval '1 minute') AS created_at,
           q.r1, q.r2, q.r3
    FROM sc_att a
    JOIN sc_chapter c ON c.id = a.chapter_id
    JOIN sc_stable st ON st.chapter_id = a.chapter_id
    CROSS JOIN LATERAL (SELECT CASE WHEN a.in_leave THEN 0
        WHEN a.tier = 'weak_refer' THEN (random() < 0.45)::int
        ELSE 1 + (random() < 0.08)::int - (c.quota_kind NOT IN ('week', 'meeting') AND random() < 0.1)::int END
        + a.i * 0 AS n) nn
    CROSS JOIN LATERAL generate_series(1, nn.n) j
    CROSS JOIN LATERAL (SELECT random() + j * 0 AS ri, random() + j * 0 AS rt, random() + j * 0 AS r1,
                               random() + j * 0 AS r2, random() + j * 0 AS r3) q
    WHERE st.n >= 2
  ) x
) y;
INSERT INTO referrals_referral (chapter_id, giver_id, receiver_id, kind, prospect_name, prospect_email, prospect_phone,
  consent, temperature, notes, status, status_changed_at, closed_value, closed_on, business_type, prospect_erased_at,
  created_at, decline_reason, stale_since, prospect_key, rating)
SELECT r.chapter_id, r.giver_id, r.receiver_id, CASE WHEN r.r3 < 0.2 THEN 'inside' ELSE 'outside' END,
  (%(first)s::text[])[1 + floor(r.r3 * 997)::int %% cardinality(%(first)s::text[])] || ' '
    || (%(last)s::text[])[1 + floor(r.r3 * 7919)::int %% cardinality(%(last)s::text[])],
  'prospect' || floor(r.r3 * 1000000)::int || '@example.com', '+1 555 0100', r.consent,
  1 + floor(r.r3 * 5)::int, '', r.status,
  CASE WHEN r.status = 'given' THEN r.created_at
       ELSE LEAST(r.created_at + (1 + r.r1 * 20) * interval '1 day', %(now)s::timestamptz) END,
  CASE WHEN r.status = 'won' THEN round((150 + power(r.r1, 2) * 12000)::numeric, 2) END,
  CASE WHEN r.status = 'won' THEN LEAST((r.created_at + (1 + r.r1 * 20) * interval '1 day')::date,
                                       %(now)s::timestamptz::date) END,
  CASE WHEN r.status = 'won' THEN CASE WHEN r.r3 < 0.7 THEN 'new' ELSE 'repeat' END ELSE '' END,
  NULL, r.created_at, CASE WHEN r.status = 'declined' THEN 'Outside my area' ELSE '' END, NULL, '', ''
FROM sc_ref r;
"""),
    ("thank-yous", """
INSERT INTO referrals_thankyou (chapter_id, referral_id, giver_id, receiver_id, value, closed_on, business_type,
  created_at)
SELECT chapter_id, id, giver_id, receiver_id, closed_value, closed_on, business_type, status_changed_at
FROM referrals_referral WHERE status = 'won' AND id %% 10 <> 0;
"""),
    ("one-to-ones", """
INSERT INTO referrals_onetoone (chapter_id, initiator_id, other_id, met_on, notes, status, answered_at, created_at)
SELECT chapter_id, initiator_id, other_id, met_on, '', status,
  CASE WHEN status <> 'pending' THEN met_on + interval '2 days' END, met_on + interval '1 day'
FROM (
  SELECT a.chapter_id, a.membership_id AS initiator_id,
         CASE WHEN st.ids[1 + floor(a.r * 0.2 * st.n * 5)::int %% st.n] <> a.membership_id
              THEN st.ids[1 + floor(a.r * 0.2 * st.n * 5)::int %% st.n]
              ELSE st.ids[1 + (floor(a.r * 0.2 * st.n * 5)::int + 1) %% st.n] END AS other_id,
         LEAST(a.local_date + 1 + floor(a.r * 40)::int %% 5, %(now)s::timestamptz::date) AS met_on,
         CASE WHEN a.local_date > %(now)s::timestamptz::date - 14 THEN
                CASE WHEN random() < 0.6 THEN 'pending' ELSE 'confirmed' END
              ELSE (ARRAY['pending', 'pending', 'declined', 'confirmed', 'confirmed', 'confirmed', 'confirmed', 'confirmed', 'confirmed',
                'confirmed', 'confirmed', 'confirmed', 'confirmed', 'confirmed', 'confirmed', 'confirmed', 'confirmed', 'confirmed',
                'confirmed', 'confirmed'])[1 + floor(random() * 20)::int] END AS status
  FROM sc_att a JOIN sc_stable st ON st.chapter_id = a.chapter_id
  WHERE a.r < 0.2 AND st.n >= 2
) o
ON CONFLICT DO NOTHING;
"""),
    ("visitors and run sheets", """
INSERT INTO meetings_visitor (meeting_id, name, business, classification_id, email, phone, invited_by_id, follow_up,
  notes, applicant_membership_id, invitation_id, recorded_by_id, created_at)
SELECT m.id, (%(first)s::text[])[1 + floor(q.r1 * cardinality(%(first)s::text[]))::int] || ' '
    || (%(last)s::text[])[1 + floor(q.r2 * cardinality(%(last)s::text[]))::int],
  'Visiting Ventures', (%(classes)s::bigint[])[1 + floor(q.r3 * cardinality(%(classes)s::bigint[]))::int],
  'visitor' || m.id || '-' || j || '@example.com', '',
  st.ids[1 + floor(q.r4 * st.n)::int],
  CASE WHEN m.local_date > %(now)s::timestamptz::date - 10 THEN 'new'
       ELSE (ARRAY['thanked', 'thanked', 'interested', 'not_interested', 'not_interested', 'applied'])[1 + floor(q.r1 * 6)::int] END,
  '', NULL, NULL, NULL, m.starts_at
FROM sc_meeting m JOIN sc_stable st ON st.chapter_id = m.chapter_id
CROSS JOIN LATERAL generate_series(1, (random() < 0.45)::int + (random() < 0.2)::int + (random() < 0.05)::int + m.i * 0) j
CROSS JOIN LATERAL (SELECT random() + j * 0 AS r1, random() + j * 0 AS r2, random() + j * 0 AS r3, random() + j * 0 AS r4) q
WHERE m.status = 'closed';
INSERT INTO meetings_presentation (meeting_id, presenter_id, kind, topic, created_at)
SELECT m.id, st.ids[1 + ((m.i + 1000 * st.n) %% st.n)], 'feature', 'What I do and who I help', m.starts_at - interval '4 weeks'
FROM sc_meeting m JOIN sc_stable st ON st.chapter_id = m.chapter_id WHERE m.status <> 'cancelled'
UNION ALL
SELECT m.id, st.ids[1 + ((m.i + 1000 * st.n + 7) %% st.n)], 'education', 'Asking for the referral you want',
  m.starts_at - interval '4 weeks'
FROM sc_meeting m JOIN sc_stable st ON st.chapter_id = m.chapter_id WHERE m.status <> 'cancelled' AND m.i %% 4 = 0;
INSERT INTO meetings_testimonial (meeting_id, given_by_id, about_id, text, created_at)
SELECT m.id, st.ids[1 + (m.i + 1000 * st.n) %% st.n], st.ids[1 + (m.i + 1000 * st.n + 1) %% st.n],
  'Quick, careful work and a fair price: I recommend them.', m.starts_at + interval '1 hour'
FROM sc_meeting m JOIN sc_stable st ON st.chapter_id = m.chapter_id WHERE m.status = 'closed' AND st.n >= 2;
"""),
    ("notifications", """
INSERT INTO members_notification (user_id, chapter_id, kind, title, body, url, created_at, read_at, email_wanted,
  email_sent_at, email_claimed_at, dedupe_key, message_key, params, digest_wanted)
SELECT a.user_id, a.chapter_id, k.kind, k.title, '', '', x.created_at,
  CASE WHEN x.created_at < %(now)s::timestamptz - interval '7 days' AND random() < 0.9 THEN x.created_at + interval '1 day' END,
  true, x.created_at + interval '1 minute', x.created_at, NULL, '', '{}'::jsonb, false
FROM sc_att a
CROSS JOIN LATERAL generate_series(1, 1 + (random() < 0.5)::int + a.i * 0) j
CROSS JOIN LATERAL (SELECT LEAST(a.starts_at + (j * 0.37 + a.r) * interval '2 days', %(now)s::timestamptz - interval '1 minute')
                      AS created_at) x
CROSS JOIN LATERAL (SELECT (ARRAY['referral_received', 'referral_updated', 'reminder', 'thank_you', 'one_to_one'])[
                      1 + (floor(a.r * 1000)::int + j) %% 5] AS kind) kk
CROSS JOIN LATERAL (SELECT kk.kind, CASE kk.kind WHEN 'referral_received' THEN 'You received a referral'
    WHEN 'referral_updated' THEN 'A referral you gave was updated' WHEN 'reminder' THEN 'Meeting tomorrow'
    WHEN 'thank_you' THEN 'Thank you for closed business' ELSE 'A one-to-one to confirm' END AS title) k;
"""),
]
