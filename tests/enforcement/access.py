from tests.access_matrix import LEADERSHIP, MEMBERS, Route

ROUTES = {
    "enforcement:rules": Route(MEMBERS),
    "enforcement:rules-edit": Route(LEADERSHIP),
    "enforcement:preview": Route(LEADERSHIP),
    "enforcement:fines": Route(LEADERSHIP),
    "enforcement:my-fines": Route(MEMBERS),
    # The member's own fine and case: the member, leadership and overseers may open them.
    "enforcement:fine-detail": Route(MEMBERS, kwargs=lambda p: {"fine_id": _fine(p).pk}),
    "enforcement:fine-resolve": Route(
        LEADERSHIP, method="post", kwargs=lambda p: {"fine_id": _fine(p).pk},
        data=lambda p: {"status": "waived", "reason": "First offence"},
    ),
    "enforcement:cases": Route(LEADERSHIP),
    "enforcement:case-detail": Route(MEMBERS, kwargs=lambda p: {"case_id": _case(p).pk}),
}


def _fine(p):
    from tests.enforcement.factories import FineFactory

    return FineFactory(membership=p.member)


def _case(p):
    from tests.enforcement.factories import ExpulsionCaseFactory

    return ExpulsionCaseFactory(membership=p.member)
