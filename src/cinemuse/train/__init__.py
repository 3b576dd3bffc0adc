"""Data preparation and training. The only place torch is imported; the runtime never imports this."""
