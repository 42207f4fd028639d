"""Referral pages in the permission matrix.

The matrix's referral is given by `member` to `president`; so `member` is the giver, `president` the
receiver, and the other in-chapter personas are third parties (leadership or not).
"""

from tests.access_matrix import LEADERSHIP, MEMBERS, OVERSIGHT, SIGNED_IN, Route

# People with a seat in the chapter: oversight staff without one cannot give, receive or log.
SEATED = MEMBERS - OVERSIGHT
# Who sees the prospect's name, contact and the giver's notes on the matrix's referral (given by
# `member` to `president`): the giver, the receiver and the chapter's seated leadership. Admins and
# region staff open the referral (MEMBERS above) and may erase its prospect data (LEADERSHIP), but
# see counts, statuses and values only. Checked by tests/referrals/test_views.py.
SEES_PROSPECT = frozenset({"member", "president", "vice_president", "treasurer"})
# Who gets prospect contact columns filled in the chapter's CSV export: seated leadership only.
SEES_PROSPECT_IN_CSV = frozenset({"president", "vice_president", "treasurer"})


def _referral(p):
    from tests.referrals.factories import ReferralFactory

    return ReferralFactory(giver=p.member, receiver=p.president, consent="not_asked")


def _one_to_one(p):
    from tests.referrals.factories import OneToOneFactory

    return OneToOneFactory(initiator=p.member, other=p.president)


def _credit(p):
    from tests.referrals.factories import EducationCreditFactory

    return EducationCreditFactory(membership=p.member)


ROUTES = {
    "referral-new": Route(SIGNED_IN, chapter_scoped=False),
    "referrals:new": Route(SEATED),
    "referrals:inbox": Route(SEATED),
    "referrals:outbox": Route(SEATED),
    "referrals:chapter-list": Route(MEMBERS),
    "referrals:stats": Route(MEMBERS),
    "referrals:export": Route(MEMBERS),
    "referrals:detail": Route(MEMBERS, kwargs=lambda p: {"referral_id": _referral(p).pk}),
    "referrals:status": Route(
        frozenset({"president"}),
        method="post",
        kwargs=lambda p: {"referral_id": _referral(p).pk},
        data=lambda p: {"to": "accepted"},
    ),
    "referrals:won": Route(frozenset({"president"}), kwargs=lambda p: {"referral_id": _referral(p).pk}),
    # Only the receiver rates (the matrix's referral is still "given": the service then refuses the rating).
    "referrals:rate": Route(
        frozenset({"president"}), method="post", kwargs=lambda p: {"referral_id": _referral(p).pk},
        data=lambda p: {"rating": "real"},
    ),
    "referrals:consent-request": Route(
        frozenset({"member"}), method="post", kwargs=lambda p: {"referral_id": _referral(p).pk}
    ),
    "referrals:erase-find": Route(LEADERSHIP),
    "referrals:erase": Route(
        LEADERSHIP,
        method="post",
        kwargs=lambda p: {"referral_id": _referral(p).pk},
        data=lambda p: {"reason": "The prospect phoned the president"},
    ),
    "referrals:one-to-ones": Route(SEATED),
    "referrals:one-to-one-answer": Route(
        frozenset({"president"}),
        method="post",
        kwargs=lambda p: {"one_to_one_id": _one_to_one(p).pk},
        data=lambda p: {"answer": "confirm"},
    ),
    "referrals:education": Route(SEATED),
    # Only the member's own credit (the matrix's credit is `member`'s): anyone else's is 404.
    "referrals:education-edit": Route(frozenset({"member"}), kwargs=lambda p: {"credit_id": _credit(p).pk}),
    "referrals:education-delete": Route(
        frozenset({"member"}), method="post", kwargs=lambda p: {"credit_id": _credit(p).pk}
    ),
    # The initiator withdraws a one-to-one the other has not answered yet.
    "referrals:one-to-one-withdraw": Route(
        frozenset({"member"}), method="post", kwargs=lambda p: {"one_to_one_id": _one_to_one(p).pk}
    ),
}
