"""A chapter holding each pattern once, each beside honest activity that looks alike (a near miss), and the
flags a person expects from it, written out by hand.

Days are counted back from builders.NOW (the chapter's default thresholds: 180 days looked at).
"""

from __future__ import annotations

from referrals.models import OneToOne, Referral
from tests.integrity.builders import Activity

BYSTANDERS = [f"Zed {n}" for n in range(1, 9)]  # receive now and then, never give: no circle runs through them

# (pattern, the names it is about) for every flag the chapter should raise, and nothing else.
EXPECTED = {
    ("ring", frozenset({"Ann Ring", "Ben Ring"})),
    ("ring", frozenset({"Cat Three", "Dan Three", "Eve Three"})),
    ("repeat_prospect", frozenset({"Hal Repeat", "Ivy Receiver", "Zed 1", "Zed 2"})),
    ("tyfcb_unearned", frozenset({"Kim Giver", "Lou Closer"})),
    ("tyfcb_round", frozenset({"Oli Round", "Zed 3", "Zed 4", "Zed 5"})),
    ("tyfcb_repeated", frozenset({"Quin Same", "Zed 4", "Zed 5", "Zed 6"})),
    ("substitute", frozenset({"Ann Ring", "Ben Ring", "Cat Three"})),  # "Sam Standin", three members
    ("substitute", frozenset({"Fay Busy"})),  # "Vera Visitor": here once, and in another chapter
    ("one_to_one_bulk", frozenset({"Uma Bulk", "Zed 1", "Zed 2", "Zed 3", "Zed 4", "Zed 5"})),
    ("internal_relogged", frozenset({"Wes Inside", "Xan Seller"})),
}


def build(activity: Activity, *, other_chapter_activity: Activity | None = None) -> Activity:
    a = activity
    # Rings. A pair: 7 referrals between them, 80 % and 75 % of what each gave.
    a.referrals("Ann Ring", "Ben Ring", 4)
    a.referral("Ann Ring", "Zed 7")
    a.referrals("Ben Ring", "Ann Ring", 3, days=20)
    a.referral("Ben Ring", "Zed 8")
    # A three passing round a circle: 7 among them, everything each gave.
    a.referrals("Cat Three", "Dan Three", 2)
    a.referral("Cat Three", "Eve Three")
    a.referrals("Dan Three", "Eve Three", 2, days=30)
    a.referrals("Eve Three", "Cat Three", 2, days=40)
    # Near miss: busy partners passing 8 to each other, but 40 % of what each gives (6 more to others each).
    a.referrals("Fay Busy", "Gus Busy", 4)
    a.referrals("Gus Busy", "Fay Busy", 4, days=50)
    for name in BYSTANDERS[:6]:
        a.referral("Fay Busy", name, days=60)
        a.referral("Gus Busy", name, days=70)
    # Near miss: a loyal pair, all they give to each other, but 5 referrals only.
    a.referrals("Joy Loyal", "Jim Loyal", 3)
    a.referrals("Jim Loyal", "Joy Loyal", 2, days=15)

    # The same prospect: one giver, one person three times (an address typed two ways, then only the phone).
    a.referral("Hal Repeat", "Ivy Receiver", email="rose@example.com", phone="07700 900555")
    a.referral("Hal Repeat", "Zed 1", days=20, email=" ROSE+again@Example.com", phone="")
    a.referral("Hal Repeat", "Zed 2", days=30, email="", phone="+44 (0)7700 900555")
    # Near misses: two people of one firm; one person referred once each by two givers; a prospect erased.
    a.referral("Jon Careful", "Ivy Receiver", email="sam@acme.example", phone="")
    a.referral("Jon Careful", "Zed 1", days=12, email="sam@acme-ltd.example", phone="")
    a.referral("Jon Careful", "Zed 2", days=14, email="lee@shared.example", phone="")
    a.referral("Fay Busy", "Zed 3", days=16, email="lee@shared.example", phone="")
    erased = a.referral("Jon Careful", "Zed 3", days=18, email="kit@gone.example", phone="")
    a.referral("Jon Careful", "Zed 4", days=19, email="kit@gone.example", phone="")
    Referral.objects.filter(pk=erased.pk).update(prospect_email="", prospect_name="", prospect_erased_at=a.now)

    # TYFCB closed the day the referral was given, and one closed before it.
    a.thank_you("Kim Giver", "Lou Closer", "640.00", given_days=40, closed_after=0)
    a.thank_you("Kim Giver", "Lou Closer", "310.00", given_days=20, closed_after=-5)
    # Near miss: closed two days after (the threshold is less than two).
    a.thank_you("Max Giver", "Ned Closer", "880.00", given_days=30, closed_after=2)

    # Round amounts: every amount Oli recorded is a multiple of 1,000.
    a.thank_you("Zed 3", "Oli Round", "1000.00", given_days=60)
    a.thank_you("Zed 4", "Oli Round", "2000.00", given_days=50)
    a.thank_you("Zed 5", "Oli Round", "5000.00", given_days=40)
    # Near miss: two round among four.
    a.thank_you("Zed 6", "Pam Mixed", "1000.00", given_days=60)
    a.thank_you("Zed 7", "Pam Mixed", "2000.00", given_days=50)
    a.thank_you("Zed 8", "Pam Mixed", "1234.50", given_days=40)
    a.thank_you("Zed 1", "Pam Mixed", "980.00", given_days=35)

    # Repeated amounts: the same new business three times.
    a.thank_you("Zed 4", "Quin Same", "750.00", given_days=70)
    a.thank_you("Zed 5", "Quin Same", "750.00", given_days=50)
    a.thank_you("Zed 6", "Quin Same", "750.00", given_days=30)
    # Near misses: a monthly retainer (repeat business at one price), and new business of one amount twice.
    for days in (90, 60, 30):
        a.thank_you("Zed 7", "Ray Retainer", "750.00", given_days=days, business=Referral.BusinessType.REPEAT)
    a.thank_you("Zed 8", "Ray Retainer", "600.00", given_days=80)
    a.thank_you("Zed 2", "Ray Retainer", "600.00", given_days=20)

    # A professional substitute for three members; near miss: a colleague standing in for two, in any case.
    a.substitute("Ann Ring", "Sam Standin", days=7)
    a.substitute("Ben Ring", "Sam Standin", days=14)
    a.substitute("Cat Three", "sam standin ", days=21)
    a.substitute("Dan Three", "Tom Cover", days=7)
    a.substitute("Dan Three", "Tom Cover", days=28)
    a.substitute("Eve Three", "TOM COVER", days=35)
    # One name that also stood in at another chapter; near miss: a name only here, once.
    a.substitute("Fay Busy", "Vera Visitor", days=14)
    a.substitute("Gus Busy", "Will Walker", days=21)
    if other_chapter_activity is not None:
        other_chapter_activity.substitute("Olive Elsewhere", "Vera Visitor", days=28)

    # Five one-to-ones recorded one evening (dated to weeks apart); near miss: four one evening, a fifth
    # the next morning, and a declined one.
    for n, name in enumerate(BYSTANDERS[:5]):
        a.one_to_one("Uma Bulk", name, met_days=10 + 7 * n, recorded_days=3, minute=n)
    for n, name in enumerate(BYSTANDERS[:4]):
        a.one_to_one("Vic Backfill", name, met_days=10 + 7 * n, recorded_days=5, minute=n)
    a.one_to_one("Vic Backfill", "Zed 5", met_days=40, recorded_days=4, hour=8)
    a.one_to_one("Vic Backfill", "Zed 6", met_days=41, recorded_days=5, minute=30, status=OneToOne.Status.DECLINED)

    # An inside referral (the giver's own purchase) logged twice five days apart; near miss: 20 days apart.
    a.referral("Wes Inside", "Xan Seller", days=30, kind=Referral.Kind.INSIDE, email="", phone="")
    a.referral("Wes Inside", "Xan Seller", days=25, kind=Referral.Kind.INSIDE, email="", phone="")
    a.referral("Wes Inside", "Yas Seller", days=60, kind=Referral.Kind.INSIDE, email="", phone="")
    a.referral("Wes Inside", "Yas Seller", days=40, kind=Referral.Kind.INSIDE, email="", phone="")
    # … and outside referrals to one member close together are no purchase of the giver's.
    a.referral("Wes Inside", "Zed 8", days=10)
    a.referral("Wes Inside", "Zed 8", days=9)
    return a


def flags_as_names(chapter) -> set[tuple[str, frozenset[str]]]:
    """The chapter's open flags as (pattern, names): comparable with EXPECTED."""
    from integrity.models import IntegrityFlag

    return {
        (flag.kind, frozenset(m.user.full_name for m in flag.memberships.all()))
        for flag in IntegrityFlag.objects.filter(chapter=chapter, status="open").prefetch_related("memberships__user")
    }
