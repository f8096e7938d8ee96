"""User-facing errors: their message is shown verbatim in the UI and the CLI (never a traceback)."""


class ScgrnError(Exception):
    """Base class of every error whose message is meant for the user."""


class InputError(ScgrnError, ValueError):
    """The user's file, table or parameter is not usable; the message says why and how to fix it."""


class TrainingError(ScgrnError, RuntimeError):
    """Training could not go on (diverged, out of memory, ...)."""


class NonFiniteLossError(TrainingError):
    """The loss became NaN or infinite."""

    def __init__(self, epoch: int, value: float, name: str = "loss"):
        super().__init__(
            f"The {name} became {value} at epoch {epoch}: training diverged. "
            "Try a lower learning rate, a different likelihood, or check the input for extreme values."
        )
        self.epoch = epoch
        self.value = value
