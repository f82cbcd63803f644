"""Zoom OAuth connections (the 2026 v1 routes): models, handlers and routes."""
