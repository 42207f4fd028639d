from tests.access_matrix import MEMBERS, SIGNED_IN, Route


def _photo_kw(p):
    from tests.directory.photos import give_photo

    give_photo(p.member2)
    return {"membership_id": p.member2.pk}


def _own_photo(p):
    from tests.directory.photos import give_photo

    give_photo(p.member)
    return {}


ROUTES = {
    "directory:chapter": Route(MEMBERS),
    # A member's photo, for the chapter's members (and its leadership and oversight) only.
    "directory:photo": Route(MEMBERS, kwargs=_photo_kw),
    "directory-search": Route(SIGNED_IN, chapter_scoped=False),
    # One's own photo: only its owner (here the member) gets it; everyone else has none to see.
    "profile-photo": Route(frozenset({"member"}), chapter_scoped=False, kwargs=_own_photo),
}
