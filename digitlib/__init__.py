"""digitlib: the small library behind the digits course, GUI and CLI."""
from .config import DEFAULT_CHECKPOINT, TrainConfig, fast_mode
from .data import MNIST_MEAN, MNIST_STD, load_mnist, normalize
from .errors import DigitsError
from .models import MLP, DigitCNN, build_model

__version__ = "0.1.0"
__all__ = ["DEFAULT_CHECKPOINT", "TrainConfig", "fast_mode", "MNIST_MEAN", "MNIST_STD", "load_mnist",
           "normalize", "DigitsError", "MLP", "DigitCNN", "build_model", "__version__"]
