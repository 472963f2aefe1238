"""Forum pages: topic lists, topics, composing, moderation tools, watching, categories."""

from django.urls import path

from wikisocial.communities.views import forum

GROUP = "g/<handle:handle>"
TOPIC = f"{GROUP}/t/<int:topic_id>"

urlpatterns = [
    path(GROUP, forum.group_home, name="group"),
    path(f"{GROUP}/new", forum.new_topic, name="new-topic"),
    path(f"{GROUP}/c/<str:slug>", forum.category, name="category"),
    path(f"{GROUP}/tag/<str:name>", forum.tag, name="tag"),
    path(f"{GROUP}/watch", forum.watch, name="watch"),
    path(f"{GROUP}/categories", forum.categories, name="categories"),
    path(TOPIC, forum.topic_detail, name="topic"),
    path(f"{TOPIC}/<str:action>", forum.topic_action, name="topic-action"),
]
