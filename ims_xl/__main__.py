"""``python -m ims_xl``: the same as the ``ims-xl`` command (for a PC whose Scripts folder is not on PATH)."""

from .cli import main

raise SystemExit(main())
