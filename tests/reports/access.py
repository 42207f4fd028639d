from tests.access_matrix import LEADERSHIP, OVERSIGHT, Route

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
}
