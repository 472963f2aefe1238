"""The web door: server-rendered pages (htmx where it helps), one module per area."""
