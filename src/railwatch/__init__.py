"""railwatch: watch rail sites in satellite imagery and write the assessment.

Data flows one way: image → detections → observations → analysis → report.
Each stage is a subpackage named for its noun; ``railwatch.cli`` sits on top.
"""

__version__ = "0.1.0"
