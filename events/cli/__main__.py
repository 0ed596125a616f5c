"""``python -m events.cli ...``: the same as the ``strikedb`` command."""

from events.cli import main

if __name__ == "__main__":
    main()
