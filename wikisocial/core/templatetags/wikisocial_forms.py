from django import forms, template

register = template.Library()


@register.filter
def get_field(form: forms.Form, name: str) -> forms.BoundField:
    """The bound field called ``name`` (for forms whose rows are made at run time)."""
    return form[name]
