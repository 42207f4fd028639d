"""`{{ n|notice_title }}` and `{{ n|notice_body }}`: a notice's words in the reader's language."""

from django import template

from members.notice_texts import notice_text

register = template.Library()


@register.filter
def notice_title(notice) -> str:
    return notice_text(notice)[0]


@register.filter
def notice_body(notice) -> str:
    return notice_text(notice)[1]
