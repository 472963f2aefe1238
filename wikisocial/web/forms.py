from django.forms.renderers import DjangoTemplates


class FormRenderer(DjangoTemplates):
    """Django's renderer with our field layout: every field in a wrapper, checkboxes before
    their label, help text under the label and the errors under the input."""

    field_template_name = "web/forms/field.html"
