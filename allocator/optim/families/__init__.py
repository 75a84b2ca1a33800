"""The constraint families of the model, one module per group; each ``define_<family>()`` takes
the :class:`~allocator.optim.handles.ModelHandles`, adds its named rows and returns early when
its input is empty. :func:`allocator.optim.model.build_model` calls them in order."""
