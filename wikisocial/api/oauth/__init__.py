"""OAuth 2 as Mastodon clients expect it, on django-oauth-toolkit and oauthlib.

- ``server``: the oauthlib server (authorization code with S256 PKCE, client credentials,
  refresh, revocation) and the request validator that adds Mastodon's rules: per-app scopes,
  redirect URIs matched exactly, one app usable for both user and app tokens.
- ``applications``: registering an app (``POST /api/v1/apps``).
- ``views``: ``/oauth/authorize`` (consent page), ``/oauth/token``, ``/oauth/revoke``,
  ``/oauth/userinfo`` and ``/.well-known/oauth-authorization-server``.
"""
