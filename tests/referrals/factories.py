import factory
from factory.django import DjangoModelFactory

from referrals.models import EducationCredit, OneToOne, Referral
from tests.factories import MembershipFactory


class ReferralFactory(DjangoModelFactory):
    """An outside referral between two members of one chapter."""

    class Meta:
        model = Referral

    giver = factory.SubFactory(MembershipFactory)
    receiver = factory.SubFactory(MembershipFactory, chapter=factory.SelfAttribute("..giver.chapter"))
    chapter = factory.LazyAttribute(lambda o: o.giver.chapter)
    kind = Referral.Kind.OUTSIDE
    prospect_name = "Petra Prospect"
    prospect_email = "petra@prospect.example"
    prospect_phone = "+44 7700 900123"
    consent = Referral.Consent.STATED
    temperature = 3


class OneToOneFactory(DjangoModelFactory):
    class Meta:
        model = OneToOne

    initiator = factory.SubFactory(MembershipFactory)
    other = factory.SubFactory(MembershipFactory, chapter=factory.SelfAttribute("..initiator.chapter"))
    chapter = factory.LazyAttribute(lambda o: o.initiator.chapter)
    met_on = factory.Faker("past_date", start_date="-30d")


class EducationCreditFactory(DjangoModelFactory):
    class Meta:
        model = EducationCredit

    membership = factory.SubFactory(MembershipFactory)
    chapter = factory.LazyAttribute(lambda o: o.membership.chapter)
    completed_on = factory.Faker("past_date", start_date="-30d")
    title = "Negotiation workshop"
    hours = 2
