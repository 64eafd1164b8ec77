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
    ImageTask,
    StoreRun,
    active_detector,
    cached_model,
    counts_of,
    detect_file,
    detect_image,
    detect_task,
    list_models,
    plan_tasks,
    run_paths,
    run_site,
    run_store,
    store_result,
    to_geojson,
    use_model,
    with_shipped,
)

__all__ = [
    "SHIPPED_MODEL",
    "Detector",
    "EvalReport",
    "ImageResult",
    "ImageTask",
    "ModelInfo",
    "OnnxDetector",
    "StoreRun",
    "active_detector",
    "cached_model",
    "counts_of",
    "detect_file",
    "detect_image",
    "detect_task",
    "evaluate",
    "find_samples",
    "list_models",
    "load_model",
    "plan_tasks",
    "read_info",
    "run_paths",
    "run_site",
    "run_store",
    "store_result",
    "to_geojson",
    "use_model",
    "with_shipped",
]
