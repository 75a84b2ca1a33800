"""The ``allocate`` command line (:mod:`allocator.cli.app`): the only layer that imports typer,
prints, or exits."""
