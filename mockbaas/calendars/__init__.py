"""Calendar sync: models, HTTP handlers (responses) and routes (urls)."""
