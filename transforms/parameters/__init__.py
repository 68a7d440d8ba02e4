"""The dated, versioned policy parameter table (policy.md section 1)."""
