from django import template
from django.utils.safestring import SafeString, mark_safe

from wikisocial.core.markup import render_document

register = template.Library()


@register.filter
def markdown(source: str) -> SafeString:
    """Render a staff-written Markdown document (code of conduct …) to sanitised HTML."""
    return mark_safe(render_document(source or ""))  # noqa: S308 - sanitised by nh3
