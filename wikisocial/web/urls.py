from django.urls import path, register_converter

from wikisocial.web import views

app_name = "web"


class UsernameConverter:
    regex = r"[A-Za-z0-9_]{1,30}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(UsernameConverter, "username")

urlpatterns = [
    path("", views.home, name="home"),
    path("about", views.about, name="about"),
    path("about/code-of-conduct", views.code_of_conduct, name="code-of-conduct"),
    path("directory", views.directory, name="directory"),
    path("@<username:username>", views.profile, name="profile"),
    path("i18n/language", views.set_language, name="set-language"),
]
