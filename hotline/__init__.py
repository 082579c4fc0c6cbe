"""The composition root, above every home: the registry of homes (`homes.py`), the `Platform` that
builds each home's service (`platform.py`), the node (`node.py`), the `hotline` command (`cli.py`) and
the demo data loader (`demo.py`). No home imports this package; the core knows nothing of it.
"""
