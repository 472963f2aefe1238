from django import forms

from wikisocial.notifications.models import NotificationPolicy


class PolicyForm(forms.ModelForm):
    class Meta:
        model = NotificationPolicy
        fields = ["filter_not_following", "filter_new_accounts", "email_each"]
