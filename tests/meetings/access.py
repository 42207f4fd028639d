from tests.access_matrix import LEADERSHIP, MEMBERS, Route


def _meeting(p):
    from tests.meetings.factories import MeetingFactory

    return MeetingFactory(chapter=p.chapter)


def _meeting_kw(p):
    return {"meeting_id": _meeting(p).pk}


def _cancelled_kw(p):
    from tests.meetings.factories import MeetingFactory

    return {"meeting_id": MeetingFactory(chapter=p.chapter, status="cancelled", cancel_reason="Holiday").pk}


def _visitor(p):
    from tests.meetings.factories import VisitorFactory

    return VisitorFactory(meeting=_meeting(p), email="")


def _presentation(p):
    from tests.meetings.factories import PresentationFactory

    return PresentationFactory(meeting=_meeting(p), presenter=p.member)


ROUTES = {
    "meetings:list": Route(MEMBERS),
    "meetings:next": Route(MEMBERS),
    "meetings:add": Route(LEADERSHIP),
    "meetings:detail": Route(MEMBERS, kwargs=_meeting_kw),
    "meetings:move": Route(LEADERSHIP, kwargs=_meeting_kw),
    "meetings:cancel": Route(LEADERSHIP, kwargs=_meeting_kw),
    "meetings:reinstate": Route(LEADERSHIP, method="post", kwargs=_cancelled_kw),
    "meetings:close": Route(LEADERSHIP, kwargs=_meeting_kw),
    "meetings:roll-counts": Route(MEMBERS, kwargs=_meeting_kw),
    "meetings:roll-rest-present": Route(LEADERSHIP, method="post", kwargs=_meeting_kw),
    "meetings:roll-rest-undo": Route(LEADERSHIP, method="post", kwargs=_meeting_kw),
    "meetings:attendance-mark": Route(
        LEADERSHIP, method="post", data=lambda p: {"status": "present"},
        kwargs=lambda p: {"meeting_id": _meeting(p).pk, "membership_id": p.member.pk},
    ),
    "meetings:attendance-correct": Route(
        LEADERSHIP, kwargs=lambda p: {"meeting_id": _meeting(p).pk, "membership_id": p.member.pk}
    ),
    "meetings:visitor-add": Route(LEADERSHIP, kwargs=_meeting_kw),
    "meetings:testimonials": Route(MEMBERS, kwargs=_meeting_kw),
    "meetings:testimonial-add": Route(LEADERSHIP, kwargs=_meeting_kw),
    "meetings:visitors": Route(LEADERSHIP),
    "meetings:settings": Route(LEADERSHIP),
    "meetings:visitor-edit": Route(LEADERSHIP, kwargs=lambda p: {"visitor_id": _visitor(p).pk}),
    "meetings:visitor-convert": Route(LEADERSHIP, method="post", kwargs=lambda p: {"visitor_id": _visitor(p).pk}),
    "meetings:rota": Route(MEMBERS),
    "meetings:presentation-remove": Route(
        LEADERSHIP, method="post", kwargs=lambda p: {"presentation_id": _presentation(p).pk}
    ),
    "meetings:my-attendance": Route(MEMBERS),
    "meetings:report": Route(LEADERSHIP),
    "meetings:report-csv": Route(LEADERSHIP),
    "meetings:read-out": Route(LEADERSHIP, kwargs=_meeting_kw),
    "meetings:read-out-csv": Route(LEADERSHIP, kwargs=_meeting_kw),
    "meetings:run-sheet": Route(LEADERSHIP, kwargs=_meeting_kw),
    "meetings:run-sheet-csv": Route(LEADERSHIP, kwargs=_meeting_kw),
    "meetings:calendar": Route(MEMBERS),
    "meetings:calendar-reset": Route(MEMBERS, method="post"),
}
