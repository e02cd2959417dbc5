"""`make bench`: throughput against a bare Django view, and SQL query counts under data growth."""
