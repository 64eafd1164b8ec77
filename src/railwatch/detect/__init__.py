"""Railcar detection: find and classify every railcar in an image of a site.

A compact oriented-box network (shipped as ONNX in ``models/``) runs over the
scene in overlapping tiles at its own ground sample distance; the boxes become
:class:`railwatch.records.Detection` records and, in store mode, one detector
observation per railcar class per image. Training (``training``) is the only
part that needs torch.
"""

from railwatch.detect.evaluation import EvalReport, evaluate, find_samples
from railwatch.detect.model import (
    SHIPPED_MODEL,
    Detector,
    ModelInfo,
    OnnxDetector,
    load_model,
    read_info,
)
from railwatch.detect.runs import (
    ImageResult,
    active_detector,
    counts_of,
    detect_file,
    detect_image,
    list_models,
    run_paths,
    run_site,
    to_geojson,
    use_model,
    with_shipped,
)

__all__ = [
    "SHIPPED_MODEL",
    "Detector",
    "EvalReport",
    "ImageResult",
    "ModelInfo",
    "OnnxDetector",
    "active_detector",
    "counts_of",
    "detect_file",
    "detect_image",
    "evaluate",
    "find_samples",
    "list_models",
    "load_model",
    "read_info",
    "run_paths",
    "run_site",
    "to_geojson",
    "use_model",
    "with_shipped",
]
