"""Railcar detection: find and classify every railcar in an image of a site.

A compact oriented-box network (shipped as ONNX in ``models/``) runs over the
scene in overlapping tiles at its own ground sample distance; the boxes become
:class:`railwatch.records.Detection` records and, in store mode, one detector
observation per railcar class per image. Training (``training``) is the only
part that needs torch.
"""

from typing import TYPE_CHECKING, Any

from railwatch.detect.model import (
    SHIPPED_MODEL,
    Detector,
    ModelInfo,
    OnnxDetector,
    load_model,
    read_info,
)

# Runs and evaluation read imagery (rasterio, GDAL) and write the store (SQLAlchemy); they are
# imported on first use, so training (``railwatch.detect.training``) needs neither, and can run
# on a machine that has only torch and the simulator's few packages.
_LAZY_MODULES = ("runs", "evaluation")

if TYPE_CHECKING:
    from railwatch.detect.evaluation import EvalReport, evaluate, find_samples
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


def __getattr__(name: str) -> Any:
    """A name of ``__all__`` not imported yet: taken from runs or evaluation, once."""
    import importlib

    if name in __all__:
        for module in _LAZY_MODULES:
            found = getattr(importlib.import_module(f"{__name__}.{module}"), name, None)
            if found is not None:
                globals()[name] = found
                return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
