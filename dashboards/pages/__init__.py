"""The dashboard's pages: one module each, registered by dashboards/app.py with `register(app)`."""
