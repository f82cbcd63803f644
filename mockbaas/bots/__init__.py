"""Meeting bots: the engine (models), its HTTP handlers (responses) and routes (urls)."""
