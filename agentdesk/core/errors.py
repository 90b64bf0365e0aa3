"""The store's error, below both the store and the migration runner (which raise it)."""


class StoreError(RuntimeError):
    """A database that cannot be opened or used, said plainly."""
