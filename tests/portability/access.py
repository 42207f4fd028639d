from tests.access_matrix import LEADERSHIP, SIGNED_IN, Route

ROUTES = {
    "portability:roster-import": Route(LEADERSHIP),
    "portability:export": Route(LEADERSHIP),
    "portability:export-download": Route(LEADERSHIP, kwargs=lambda p: {"export_id": _ready_export(p).pk}),
    # A person's own data and account: anyone signed in, about themselves only (no ids in the address).
    "my-data": Route(SIGNED_IN, chapter_scoped=False),
    "account-delete": Route(SIGNED_IN, chapter_scoped=False),
}


def _ready_export(p):
    from portability.chapter_export import export_build
    from portability.models import ChapterExport

    export = ChapterExport.objects.create(chapter=p.chapter)
    export_build(export_id=export.pk)
    return export
