from tests.access_matrix import LEADERSHIP, OVERSIGHT, SIGNED_IN, Route

ROUTES = {
    # A member's scorecard: the member themself (`member`), the chapter's leadership and overseers; another
    # member of the chapter (`member2` is someone else to them) is refused.
    "reports:scorecard": Route(LEADERSHIP | {"member"}, kwargs=lambda p: {"membership_id": p.member.pk}),
    "reports:health": Route(LEADERSHIP),
    "reports:health-csv": Route(LEADERSHIP),
    "reports:scorecards-csv": Route(LEADERSHIP),
    "reports:scorecard-settings": Route(LEADERSHIP),
    # The organisation overview: organisation admins (every chapter) and region staff (their regions'
    # chapters, so staff of another region too); members and presidents are refused.
    "org-overview": Route(OVERSIGHT | {"other_region_staff"}, chapter_scoped=False),
    "org-overview-csv": Route(OVERSIGHT | {"other_region_staff"}, chapter_scoped=False),
    # The dashboard's traffic lights: anyone signed in, who sees their own seats' scorecards only (none without
    # a seat); tests/home/test_dashboard.py checks that no one else's is in it.
    "my-lights": Route(SIGNED_IN, chapter_scoped=False),
}
