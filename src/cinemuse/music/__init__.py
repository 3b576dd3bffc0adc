"""The music engine: theory, learned melody/harmony/drum models, form, arrangement, rendering."""
