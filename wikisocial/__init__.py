"""WikiSocial: a federated, ad-free social network and community space."""

__version__ = "0.1.0"
