"""The `/_mockbaas` control API: what tests and users script the mock with."""

PREFIX = "/_mockbaas"

#: The dashboard's static files (path -> package file in `mockbaas/ui`, content type).
#: They hold no data: with a control token they are served without it (control/ui_route.py).
UI_FILES: dict[str, tuple[str, str]] = {
    f"{PREFIX}/ui": ("index.html", "text/html"),
    f"{PREFIX}/ui/app.js": ("app.js", "text/javascript"),
    f"{PREFIX}/ui/app.css": ("app.css", "text/css"),
    # named in the page, so a browser does not ask the API for /favicon.ico (a 404 that
    # would land in the traffic log as a contract violation)
    f"{PREFIX}/ui/icon.svg": ("icon.svg", "image/svg+xml"),
}
