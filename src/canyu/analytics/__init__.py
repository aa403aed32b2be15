"""Analytics: portable queries over the store, and the algorithms that are not SQL."""
