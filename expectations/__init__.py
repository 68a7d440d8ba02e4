"""Great Expectations suites (as code), the validation runner and the quarantine store."""
