from chapters.access import Need, access_for


def test_region_staff_oversee_only_their_region(personas):
    assert access_for(personas.region_staff, personas.chapter).can(Need.OVERSIGHT)
    assert access_for(personas.other_region_staff, personas.chapter) is None


def test_members_are_not_leadership(personas):
    access = access_for(personas.member.user, personas.chapter)
    assert access.can(Need.MEMBER) and not access.can(Need.LEADERSHIP)


def test_every_officer_is_leadership(personas):
    for m in (personas.president, personas.vice_president, personas.treasurer):
        assert access_for(m.user, personas.chapter).is_leadership


def test_an_officer_on_probation_keeps_the_seat_but_an_expelled_one_has_no_access(personas):
    personas.vice_president.status = "expelled"
    personas.vice_president.save()
    assert access_for(personas.vice_president.user, personas.chapter) is None


def test_inactive_accounts_have_no_access(personas):
    personas.member.user.is_active = False
    assert access_for(personas.member.user, personas.chapter) is None


def test_htmx_request_after_sign_out_redirects_the_whole_page(client, personas):
    url = personas.url("chapters:roster")
    response = client.get(url, headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{url}"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/accounts/login/?next={url}"
