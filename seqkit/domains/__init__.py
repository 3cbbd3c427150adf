"""Domain heads: each subpackage plugs the shared backbones into one field's data and tasks."""
