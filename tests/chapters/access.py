from tests.access_matrix import LEADERSHIP, MEMBERS, SIGNED_IN, Route

ROUTES = {
    "dashboard": Route(SIGNED_IN, chapter_scoped=False),
    "chapters:home": Route(MEMBERS),
    "chapters:roster": Route(MEMBERS),
    "chapters:roster-csv": Route(MEMBERS),
    "chapters:settings": Route(LEADERSHIP),
    "chapters:members": Route(LEADERSHIP),
    "chapters:member-invite": Route(LEADERSHIP),
    "chapters:member-edit": Route(LEADERSHIP, kwargs=lambda p: {"membership_id": p.member.pk}),
    "chapters:invitation-revoke": Route(
        LEADERSHIP, method="post", kwargs=lambda p: {"invitation_id": _invitation(p).pk}
    ),
    "chapters:invitation-resend": Route(
        LEADERSHIP, method="post", kwargs=lambda p: {"invitation_id": _invitation(p).pk}
    ),
    "chapters:audit": Route(LEADERSHIP),
}


def _invitation(p):
    from members.services import invitation_create

    invitation, _ = invitation_create(
        chapter=p.chapter, email="new@example.com", full_name="", role="member", classification=None,
        invited_by=p.president.user,
    )
    return invitation
