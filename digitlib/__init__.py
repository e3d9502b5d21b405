"""digitlib: the small library behind the digits course, GUI and CLI.

The names below are imported on first use, so `python -m digitlib` can catch a Ctrl-C while
torch is still loading (see __main__.py).
"""
from importlib import import_module

_HOMES = {
    "SHIPPED_CHECKPOINT": "config", "TRAINED_CHECKPOINT": "config", "TrainConfig": "config",
    "default_model": "config", "fast_mode": "config", "RECIPES": "config",
    "WORK_DIR": "config", "CHECKPOINTS": "config", "MY_DIGITS": "config",
    "MNIST_MEAN": "data", "MNIST_STD": "data", "load_mnist": "data", "normalize": "data",
    "DigitsError": "errors", "MLP": "models", "DigitCNN": "models", "SpeedCNN": "models", "build_model": "models",
}
__version__ = "0.1.0"
__all__ = [*_HOMES, "__version__"]


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(f"module 'digitlib' has no attribute {name!r}")
