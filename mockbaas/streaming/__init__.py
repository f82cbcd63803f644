"""Live audio over WebSockets: the `streaming` option of a bot (see `session`)."""
