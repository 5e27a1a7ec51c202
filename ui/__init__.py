"""The web app's tabs: one module per tab, each building its components and wiring its events to the service."""
