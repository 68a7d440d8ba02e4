"""The DuckDB store: raw store, schema, load, build, publish, query."""
