"""The only place that speaks HTTP to API callers: `calls` (what handlers use) and
`app` (routes, each wrapped once, and the application)."""
