"""Forum pages: topic lists, topics, composing, moderation tools."""

urlpatterns: list = []
