"""Discovery documents at fixed, well-known paths: include at the root of the URL conf."""

from django.urls import path, re_path

from wikisocial.federation import discovery

app_name = "discovery"

urlpatterns = [
    path(".well-known/webfinger", discovery.webfinger, name="webfinger"),
    path(".well-known/host-meta", discovery.host_meta, name="host-meta"),
    path(".well-known/host-meta.json", discovery.host_meta_json, name="host-meta-json"),
    path(".well-known/nodeinfo", discovery.nodeinfo_links, name="nodeinfo-links"),
    re_path(r"^nodeinfo/(?P<version>2\.[01])$", discovery.nodeinfo, name="nodeinfo"),
]
