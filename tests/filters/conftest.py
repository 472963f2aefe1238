from tests.posts.fixtures import ana, as_, bea, cem  # noqa: F401
