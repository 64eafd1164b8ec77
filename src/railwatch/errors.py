"""All railwatch errors, under one root.

Each error also inherits the matching built-in so callers that know nothing of
railwatch can still catch it sensibly. The CLI turns any ``RailwatchError`` into
one line on stderr and exit code 2; nothing else is translated.
"""


class RailwatchError(Exception):
    """Root of every error railwatch raises on purpose."""


class InputError(RailwatchError, ValueError):
    """Bad input from the user: a malformed value, an unknown name."""


class StoreError(RailwatchError, RuntimeError):
    """The store is missing, unreadable or in an unexpected state."""


class NotFoundError(InputError, LookupError):
    """A named thing (site, image, document, model) is not in the store."""


class ConflictError(InputError):
    """The thing exists already and the user did not ask to replace it."""


class SiteError(InputError):
    """A site definition (GeoJSON) is malformed."""


class ImageryError(InputError):
    """An image cannot be read, georeferenced, dated or is out of bounds."""


class DetectionError(RailwatchError, RuntimeError):
    """The detector cannot run on this input (model missing, GSD out of range)."""


class UnfitImageError(DetectionError):
    """This image cannot be counted by this model (GSD out of its range, bands, georeference).

    ``detect --site`` skips such an image with a warning and records why on it,
    instead of letting one image stop a whole site.
    """


class PressError(InputError):
    """A press document cannot be read or understood."""


class AnalysisError(RailwatchError, ValueError):
    """The analysis cannot be done with the observations given."""


class ReportError(RailwatchError, RuntimeError):
    """A report cannot be rendered."""


class SimulationError(RailwatchError, RuntimeError):
    """A scene could not be rendered or written (on a cluster: by a worker)."""
