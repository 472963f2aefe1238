from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView

from wikisocial.accounts import views

app_name = "accounts"

urlpatterns = [
    path("auth/signup", views.signup, name="signup"),
    path("auth/signup/done", views.signup_done, name="signup-done"),
    path("auth/login", views.LoginView.as_view(), name="login"),
    path("auth/logout", auth_views.LogoutView.as_view(), name="logout"),
    path("auth/confirm", views.resend_confirmation, name="resend-confirmation"),
    path("auth/confirm/<str:token>", views.confirm_email, name="confirm-email"),
    path("auth/password/reset", views.PasswordResetView.as_view(), name="password-reset"),
    path(
        "auth/password/reset/sent",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_sent.html"),
        name="password-reset-done",
    ),
    path(
        "auth/password/reset/<uidb64>/<token>",
        views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "auth/password/reset/complete",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password-reset-complete",
    ),
    path("settings/", RedirectView.as_view(pattern_name="accounts:edit-profile"), name="settings"),
    path("settings/profile", views.edit_profile, name="edit-profile"),
    path("settings/account", views.account_settings, name="account-settings"),
    path("settings/display", views.display_settings, name="display-settings"),
    path("settings/delete", views.delete_account, name="delete-account"),
    path("settings/code-of-conduct", views.accept_code_of_conduct, name="accept-coc"),
]
