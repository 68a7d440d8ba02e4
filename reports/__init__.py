"""Report rendering (self-contained HTML) for window staff."""
