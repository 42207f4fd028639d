"""Factories for the core rows every app's tests build on (chapters, people, seats)."""

import factory
from django.utils.text import slugify
from factory.django import DjangoModelFactory

from chapters.models import Chapter, Classification, Region, RegionStaff
from members.models import Membership, User


class RegionFactory(DjangoModelFactory):
    class Meta:
        model = Region

    name = factory.Sequence(lambda n: f"Region {n}")
    slug = factory.Sequence(lambda n: f"region-{n}")


class ChapterFactory(DjangoModelFactory):
    class Meta:
        model = Chapter

    name = factory.Sequence(lambda n: f"Chapter {n}")
    slug = factory.Sequence(lambda n: f"chapter-{n}")
    region = factory.SubFactory(RegionFactory)
    timezone = "Europe/London"


class ClassificationFactory(DjangoModelFactory):
    class Meta:
        model = Classification
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Profession {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["email"]
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.django.Password("pw-for-tests-1")

    @factory.post_generation
    def verified_email(obj, create, extracted, **kwargs):
        """People in tests have confirmed their address (allauth asks for it at sign-in)."""
        if create and extracted is not False:
            from allauth.account.models import EmailAddress

            EmailAddress.objects.get_or_create(user=obj, email=obj.email, defaults={"verified": True, "primary": True})


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    chapter = factory.SubFactory(ChapterFactory)
    classification = factory.SubFactory(ClassificationFactory)
    role = Membership.Role.MEMBER
    status = Membership.Status.ACTIVE


class RegionStaffFactory(DjangoModelFactory):
    class Meta:
        model = RegionStaff

    user = factory.SubFactory(UserFactory)
    region = factory.SubFactory(RegionFactory)
