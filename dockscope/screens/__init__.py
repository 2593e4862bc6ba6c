"""Full screens pushed over the dashboard (the troubleshooting wizard)."""
