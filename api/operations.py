"""What every operation shares: the statuses it may answer with, paging, and feeding the browser's forms."""

from datetime import date
from typing import Annotated

from ninja import Path, Schema

from api.schemas import MAX_ID, SLUG_PATTERN, ErrorOut, PageIn, ValidationErrorOut

# Any operation may refuse: no or a bad token (401), a role or scope (403), outside the caller's
# chapters (404), invalid input (422), over the rate limit (429). Listed in the schema, so clients
# (and schemathesis) know every answer.
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut, 429: ErrorOut}


def answers(schema, status: int = 200) -> dict:
    """A read's answers: `schema` with `status`, or one of the refusals."""
    return {status: schema, **ERRORS}


def write_answers(schema, status: int = 200) -> dict:
    """A write's answers: a read's, and 400 for a body that is not JSON at all."""
    return {status: schema, 400: ErrorOut, **ERRORS}


def paginate(rows, paging: PageIn, item) -> dict:
    """One page of a queryset (a COUNT and one read of `page_size` rows), each row made an item by `item`."""
    start = (paging.page - 1) * paging.page_size
    return {
        "count": rows.count(),
        "page": paging.page,
        "page_size": paging.page_size,
        "items": [item(row) for row in rows[start:start + paging.page_size]],
    }


def form_data(payload: Schema, **renamed) -> dict[str, str]:
    """A payload as the browser's form would post it (strings; None as empty), with fields renamed for the form.

    The API validates with the very forms the pages use, then calls the same services: the rules
    for a referral, a one-to-one or a mark are written once.
    """
    data = payload.dict()
    for form_name, api_name in renamed.items():
        data[form_name] = data.pop(api_name)
    return {name: _as_text(value) for name, value in data.items()}


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


# A chapter's slug in an operation's path: the pattern of the pages' addresses, so nothing else reaches it.
ChapterSlug = Annotated[str, Path(max_length=60, pattern=SLUG_PATTERN, description="The chapter's slug.")]
# An id in the path, within a database bigint: a larger number is 422, not an overflow.
ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
