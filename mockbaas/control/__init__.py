"""The `/_mockbaas` control API: what tests and users script the mock with."""

PREFIX = "/_mockbaas"
