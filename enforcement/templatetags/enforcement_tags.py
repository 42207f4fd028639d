from django import template

from enforcement import formatting

register = template.Library()


@register.simple_tag
def money(amount, currency):
    return formatting.money(amount, currency)


@register.filter
def num(value):
    return formatting.num(value)
