"""The one exception type the CLI, GUI and notebooks turn into a one-line message."""


class DigitsError(Exception):
    """A problem the user can fix (bad file, wrong path, ...); str() is the whole message."""


INTERRUPTED = 130  # the exit code shells give a Ctrl-C; the CLI returns it when interrupted
