from django import template
from django.utils.safestring import SafeString, mark_safe

from wikisocial.core.markup import render_markdown

register = template.Library()


@register.filter
def markdown(source: str) -> SafeString:
    """Render trusted-length Markdown (instance texts) to sanitised HTML."""
    return mark_safe(render_markdown(source or ""))  # noqa: S308 - sanitised by nh3
