"""RQ jobs. Each takes ids, re-reads its rows, does nothing if the work is done, and lets
errors propagate so RQ's retry and failure handling see them."""
