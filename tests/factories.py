"""Factories for the core rows every app's tests build on (chapters, people, seats)."""

import factory
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
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Profession {n}")
    slug = factory.Sequence(lambda n: f"profession-{n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["email"]

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.django.Password("pw-for-tests-1")


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
