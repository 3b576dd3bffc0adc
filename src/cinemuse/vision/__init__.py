"""Pictures: the shared image encoder, colourisation, restoration, covers, stylisation."""
