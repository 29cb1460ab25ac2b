"""Products the warehouse publishes: open data (with disclosure control) and the yearly report."""
